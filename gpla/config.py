"""Run configuration: a TOML file (or a packaged preset) → validated, typed objects.

Every section is optional and every field has a default, so a config only says what differs from the
quickstart. Unknown keys are errors (a typo must not silently fall back to a default). Validation
errors become one ``ConfigError`` naming the key path, e.g. ``subjects.models[0]: ...``.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gpla.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PRESETS = ("quickstart", "paper")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelsConfig(_Section):
    agent: str = "llamacpp:default"
    """Default model of the four GPLA agents (M_P, M_G, M_E and the question designer)."""
    parser: str | None = None
    """PerceptionParser model (M_P); ``None`` = ``agent``."""
    generator: str | None = None
    """ValueGenerator model (M_G); ``None`` = ``agent``."""
    evaluator: str | None = None
    """ValueEvaluator model (M_E, GPV's ValueLlama role); ``None`` = ``agent``."""
    designer: str | None = None
    """QuestionDesigner model (Prompt 1); ``None`` = ``agent``."""
    embedding: str = "st:default"
    """Embedding model for lexicon deduplication (and for value → Schwartz mapping unless
    ``analysis.mapping_embedder`` names another)."""

    def spec(self, role: Literal["parser", "generator", "evaluator", "designer"]) -> str:
        return getattr(self, role) or self.agent


class AgentsConfig(_Section):
    """Generation limits of the agents; ``None`` keeps the agent's own default. Small limits keep
    the offline quickstart fast on a CPU."""

    parser_max_tokens: int | None = Field(default=None, gt=0)
    generator_max_tokens: int | None = Field(default=None, gt=0)
    designer_max_tokens: int | None = Field(default=None, gt=0)
    parser_prompt_style: Literal["auto", "gpv", "fewshot"] = "auto"
    """GPV's parser prompt, our few-shot prompt, or auto: GPV's for chat models, few-shot for base models."""
    generator: Literal["auto", "fewshot", "kaleido"] = "auto"
    """Value Generator style; auto = Kaleido's system for a seq2seq model carrying Kaleido's templates."""
    kaleido: dict[str, Any] = Field(default_factory=dict)
    """Options of the Kaleido generator (``beams``, ``relevance_threshold``, ``ngram_threshold``,
    ``embed_threshold``, ``dedup_across_vrd``, ``embedder``...); unset = Kaleido's own values."""

    def options(self, role: Literal["parser", "generator", "designer"]) -> dict[str, Any]:
        limit = getattr(self, f"{role}_max_tokens")
        opts: dict[str, Any] = {} if limit is None else {"max_tokens": limit}
        if role == "parser":
            opts["prompt_style"] = self.parser_prompt_style
        if role == "generator":
            opts["style"] = self.generator
            if self.kaleido:
                opts["kaleido"] = dict(self.kaleido)
        return opts


class CorpusSource(_Section):
    spec: str
    """A corpus spec understood by ``gpla.corpora`` (``valuebench``, ``csv:path.csv:text=answer``...)."""
    expected_docs: int | None = Field(default=None, ge=0)
    """Document count used by ``--dry-run`` when the source cannot be read here (user data elsewhere)."""


class GeneratedCorpus(_Section):
    """A corpus the subjects write themselves by answering seed questions (offline quickstart)."""

    seed_questions: list[str] = Field(min_length=1)
    profiles: list[int | str] = Field(default_factory=lambda: list[int | str]([1]))
    """Profiling prompts (ids or anchors of Table 7) the corpus writers are steered with."""
    models: list[str] | None = None
    """Corpus writers; ``None`` = the subjects' models."""
    max_tokens: int = Field(default=96, gt=0)
    temperature: float = Field(default=0.0, ge=0)


class CorpusConfig(_Section):
    sources: list[CorpusSource] = Field(default_factory=list)
    generate: GeneratedCorpus | None = None
    batch_size: int = Field(default=8, gt=0)
    """Documents per checkpoint in the perception and value stages."""
    perceptions: Literal["parser", "sentences", "whole"] = "parser"
    """How documents become perceptions: the PerceptionParser (GPV), or without a model call each
    sentence / each whole document. (ValueBench answers load as perceptions already, as the paper
    takes them, App. A.1, unless their spec says ``as=documents``.)"""


class LexiconConfig(_Section):
    file: Path | None = None
    """Use this lexicon (CSV/Parquet with a ``value`` column) instead of building one from the corpus."""
    max_values: int | None = Field(default=None, gt=0)
    """Keep at most this many values, most frequent first (the paper ends with 123)."""
    min_frequency: int = Field(default=1, ge=1)
    pin: list[str] = Field(default_factory=list)
    """Values always kept."""
    ban: list[str] = Field(default_factory=list)
    """Values always dropped."""
    dedup: dict[str, Any] = Field(default_factory=dict)
    """Threshold overrides passed to the lexicon layer's deduplication (names as it documents them)."""
    expected_values: int | None = Field(default=None, gt=0)
    """Lexicon size assumed by ``--dry-run`` before a lexicon exists (the paper's 123)."""


class QuestionsConfig(_Section):
    file: Path | None = None
    """Use these questions (CSV/Parquet with ``value, question``) instead of designing them (Prompt 1)."""
    batch_size: int = Field(default=16, gt=0)


class CustomProfile(_Section):
    name: str
    system_prompt: str


class SubjectsConfig(_Section):
    models: list[str] = Field(default_factory=lambda: ["llamacpp:default"], min_length=1)
    """LLMs measured; subjects = models × profiles (33 × 21 = 693 in the paper)."""
    profiles: list[int | str] | Literal["all"] = "all"
    """Profiling prompts of the paper's Table 7 by id (1-21) or anchor name, or ``"all"``."""
    custom_profiles: list[CustomProfile] = Field(default_factory=list)
    """Additional user-written system prompts."""
    families: dict[str, str] = Field(default_factory=dict)
    """Model spec → model family (e.g. all GPT models "GPT"): the report then tests whether the value
    system is measured alike across families (measurement invariance). Empty: not tested."""


class AdministrationConfig(_Section):
    temperature: float = Field(default=0.0, ge=0)
    max_tokens: int = Field(default=256, gt=0)
    batch_size: int = Field(default=16, gt=0)
    """Requests per checkpoint: a killed run redoes at most one batch."""
    batch_api: bool = False
    """Send ``openai:`` subjects' requests through the OpenAI Batch API (half price, within 24 h):
    one job per model and checkpoint, so raise ``batch_size`` (up to 50,000); a rerun resumes
    the submitted jobs instead of paying twice."""


class GPVConfig(_Section):
    mode: Literal["all", "per_question"] = "all"
    """``all``: each value measured from every response of a subject (the paper, App. A.3);
    ``per_question``: only from the response to the question designed for that value."""
    batch_size: int = Field(default=8, gt=0)
    """Responses per checkpoint in the judgment stage."""
    batch_api: bool = False
    """Judge with an ``openai:`` evaluator through the OpenAI Batch API: one job per checkpoint
    and question (relevance, valence), so raise ``batch_size`` until a checkpoint holds up to
    50,000 pairs; a rerun resumes the submitted jobs."""
    perceptions: Literal["parser", "sentences", "whole"] = "parser"
    """How responses become perceptions: the PerceptionParser (GPV), or each sentence / whole
    response without a model call (cheaper, coarser)."""
    missing: Literal["nan", "zero"] = "nan"
    """Cells without relevant evidence (n = 0): left missing (default: GPV gives no score there, and
    ``analysis.missing`` decides how statistics treat them) or scored 0 (neutral). The count of such
    cells is reported either way. Mean imputation is ``analysis.missing = "mean"``."""
    protocol: Literal["gpv", "raw"] = "gpv"
    """How the evaluator reads its labels: ``gpv`` reproduces GPV's code (one token per label, no BOS,
    the model's generation-config processors, renormalised; for ValueLlama and models trained on
    its format); ``raw`` sums case/space variants of raw logits (other models)."""
    perceptions_per_response: float = Field(default=4.0, gt=0)
    """Used only by ``--dry-run`` estimates."""
    relevant_fraction: float = Field(default=0.2, ge=0, le=1)
    """Used only by ``--dry-run`` estimates: share of pairs that need the valence call."""
    prefilter: str = "off"
    """Embedding prefilter of the (perception, value) pairs (issue 8, ``mode = "all"`` only):
    ``off`` judges every pair (exact GPV); ``top:K`` only each perception's K most similar values,
    ``sim:T`` those with cosine similarity >= T (embedder: ``models.embedding``). Default off: against
    human judgments the packaged embedders' top:k keeps about k/10 of the relevant Schwartz pairs
    (``benchmarks/prefilter_recall.py``; README, "Know your evaluator")."""
    # Written ``validate`` in a config; the attribute has another name because pydantic's
    # BaseModel already has a ``validate`` method.
    validate_items: int = Field(default=0, ge=0,
                                validation_alias=AliasChoices("validate", "validate_items"))
    """``validate``: before judging, check the evaluator against human judgments (issue 16) on this
    many Value Portrait items × 10 Schwartz values, beside the ``models.embedding`` baseline (0 =
    off); the result heads the run report, with a warning when the evaluator is no better than the
    baseline."""

    @field_validator("missing", mode="before")
    @classmethod
    def _missing_moved(cls, v: Any) -> Any:
        if v == "value_mean":
            raise ValueError('"value_mean" moved: X keeps missing cells; set [analysis] missing = "mean"')
        return v

    @field_validator("prefilter")
    @classmethod
    def _prefilter_spec(cls, v: str) -> str:
        from gpla.measure.prefilter import Prefilter

        try:
            return str(Prefilter.parse(v))  # normalised, so "top:3" and "3" share a stage key
        except ConfigError as exc:
            raise ValueError(str(exc)) from exc

    @model_validator(mode="after")
    def _prefilter_needs_all(self) -> GPVConfig:
        if self.prefilter != "off" and self.mode != "all":
            raise ValueError(f"prefilter {self.prefilter} applies to mode 'all' only (mode is {self.mode!r})")
        return self


class AnalysisConfig(_Section):
    n_factors: int | Literal["auto", "kaiser"] = "auto"
    rotation: Literal["varimax", "promax", "none"] = "varimax"
    method: Literal["pca", "efa"] = "pca"
    """``efa`` also fits an exploratory factor analysis (psych::fa) of the values the PCA kept, with
    as many factors, into ``analysis/efa/``; the system, Table 1 and the CFA comparison stay PCA's."""
    efa_extraction: Literal["minres", "ml"] = "minres"
    """Factoring method of the EFA (psych's ``fm``)."""
    efa_rotation: Literal["oblimin", "promax", "varimax", "none"] = "oblimin"
    """Rotation of the EFA (psych's default: oblimin)."""
    prune: bool = True
    min_loading: float = Field(default=0.4, ge=0, le=1)
    cross_margin: float = Field(default=0.1, ge=0, le=1)
    missing: Literal["pairwise", "listwise", "mean"] = "pairwise"
    """Cells of X without evidence. ``pairwise`` (default, what psych users get: ``principal`` and
    ``alpha`` correlate with ``use="pairwise"``): PCA and alpha use pairwise-complete correlations,
    each CFA drops its incomplete rows (lavaan's default, listwise; FIML is not offered);
    ``listwise``: drop incomplete subjects first; ``mean``: impute each value's mean over the
    subjects with evidence (invents data, so only when asked). The report gives the count."""
    holdout_fraction: float = Field(default=0.5, gt=0, lt=1)
    """Share of subjects held out for the CFA comparison (the paper fits CFA on held-out data)."""
    bootstrap: Literal["construction", "holdout", "both", "none"] = "construction"
    """Which rows are topped up by resampling to 5 × #variables: the construction half (§5.1: "we
    construct it using half of the measurement data and bootstrap the data to ensure its
    sufficiency"), the held-out rows of the CFA, both, or none."""
    theory_data: Literal["holdout", "all"] = "holdout"
    """Rows on which the compared systems are fitted: the held-out half, like ours (comparable
    indices), or all subjects, as the paper fitted Schwartz's."""
    compare_systems: list[str] = Field(default_factory=lambda: ["schwartz-h", "schwartz-l"])
    """Systems whose CFA fit is compared with ours after mapping our values onto their factors:
    ``schwartz-h`` (4 higher-order), ``schwartz-l`` (10 basic), ``five-factor`` or a CSV/TOML file."""
    mapping_embedder: str | None = None
    """Embedding model that maps our values onto the compared systems' factors (the paper used
    ``openai:text-embedding-3-large``, §5.1); ``None`` = ``models.embedding`` (the dedup embedder)."""
    schwartz_scores: Path | None = None
    """Schwartz value scores of the same subjects (CSV: ``subject_id`` + one column per value, e.g.
    from Value Portrait) for the Table 12 correlations."""
    random_state: int = 0


class EngineConfig(_Section):
    """Where the model stages run. Not part of any stage key (results are the same), so a run
    started in-process resumes on Ray and back."""

    kind: Literal["local", "ray"] = "local"
    """``local``: in this process; ``ray``: each batch of a model stage on a Ray Data actor pool."""
    address: str | None = None
    """Ray cluster: ``auto`` (the one ``ray start`` runs here), ``ray://HOST:10001``, or ``None`` to
    start a local cluster in this process."""
    workers: int | None = Field(default=None, gt=0)
    """Actors, each loading every model once; ``None`` = one per whole CPU (per GPU with GPUs)."""
    cpus_per_worker: float | None = Field(default=None, gt=0)
    """``None`` = the cluster's CPUs less half a CPU for Ray Data's own tasks, shared by the workers."""
    gpus_per_worker: float | None = Field(default=None, ge=0)
    """``None`` = the cluster's GPUs shared by the workers (0 without GPUs)."""


class ModelPrice(_Section):
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class RunConfig(_Section):
    name: str = "gpla-run"
    models: ModelsConfig = ModelsConfig()
    agents: AgentsConfig = AgentsConfig()
    corpus: CorpusConfig = CorpusConfig()
    lexicon: LexiconConfig = LexiconConfig()
    questions: QuestionsConfig = QuestionsConfig()
    subjects: SubjectsConfig = SubjectsConfig()
    administration: AdministrationConfig = AdministrationConfig()
    gpv: GPVConfig = GPVConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    engine: EngineConfig = EngineConfig()
    pricing: dict[str, ModelPrice] = Field(default_factory=dict)
    """USD per million tokens by model spec, for ``--dry-run`` cost estimates."""

    @model_validator(mode="after")
    def _lexicon_has_a_source(self) -> RunConfig:
        if self.lexicon.file is None and not self.corpus.sources and self.corpus.generate is None:
            raise ValueError(
                "no lexicon source: set lexicon.file, or corpus.sources, or corpus.generate"
            )
        return self

    @field_validator("pricing")
    @classmethod
    def _pricing_keys(cls, v: dict[str, ModelPrice]) -> dict[str, ModelPrice]:
        for key in v:
            if ":" not in key:
                raise ValueError(f"pricing key {key!r} is not a model spec like 'openai:gpt-4o'")
        return v

    def with_base(self, base: Path) -> RunConfig:
        """Resolve relative paths against the config file's folder: files, corpus specs, compared
        systems, and model specs naming local files (``llamacpp:m.gguf``, ``hf:./folder``) wherever
        a spec appears (roles, subjects and their families, corpus writers, prices)."""

        def fix(p: Path | None) -> Path | None:
            return p if p is None or p.is_absolute() else (base / p).resolve()

        def spec(s: str) -> str:
            return _model_spec_with_base(s, base)

        def opt(s: str | None) -> str | None:
            return None if s is None else spec(s)

        def specs(items: list[str] | None) -> list[str] | None:
            return None if items is None else [spec(s) for s in items]

        m, corpus, subjects, analysis = self.models, self.corpus, self.subjects, self.analysis
        generate = corpus.generate
        return self.model_copy(update={
            "models": m.model_copy(update={
                "agent": spec(m.agent), "parser": opt(m.parser), "generator": opt(m.generator),
                "evaluator": opt(m.evaluator), "designer": opt(m.designer), "embedding": spec(m.embedding)}),
            "subjects": subjects.model_copy(update={
                "models": specs(subjects.models),
                "families": {spec(k): v for k, v in subjects.families.items()}}),
            "pricing": {spec(k): v for k, v in self.pricing.items()},
            "lexicon": self.lexicon.model_copy(update={"file": fix(self.lexicon.file)}),
            "questions": self.questions.model_copy(update={"file": fix(self.questions.file)}),
            "analysis": analysis.model_copy(update={
                "schwartz_scores": fix(analysis.schwartz_scores),
                "mapping_embedder": opt(analysis.mapping_embedder),
                "compare_systems": [_system_spec_with_base(x, base) for x in analysis.compare_systems]}),
            "corpus": corpus.model_copy(update={
                "sources": [src.model_copy(update={"spec": _corpus_spec_with_base(src.spec, base)})
                            for src in corpus.sources],
                "generate": generate and generate.model_copy(update={"models": specs(generate.models)})}),
        })

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _corpus_spec_with_base(spec: str, base: Path) -> str:
    """The corpus spec with its file resolved against `base` (``csv:data/x.csv:text=COL``)."""
    from gpla.corpora.spec import parse_spec

    try:
        parsed = parse_spec(spec)
    except ConfigError:
        return spec  # reported with its key path when the corpus is loaded or dry-run
    if parsed.path is None or Path(parsed.path).is_absolute():
        return spec
    path = str((base / parsed.path).resolve())
    if not spec.strip().startswith(f"{parsed.kind}:"):
        return path  # a bare path: its kind comes from its suffix
    return ":".join([parsed.kind, path, *(f"{k}={v}" for k, v in parsed.options.items())])


# Backends whose model part may be a local file or folder (a hub id stays as it is).
_LOCAL_MODEL_KINDS = ("llamacpp", "hf", "vllm", "st")


def _model_spec_with_base(spec: str, base: Path) -> str:
    """``kind:PATH[?options]`` with a relative PATH resolved against `base` when it names a local
    file: it starts with ``./`` or ``../``, is a ``.gguf`` file, or exists under `base`. Anything
    else (``default``, hub ids such as ``hf:google/gemma-2b``, ``openai:`` models) is left alone."""
    kind, sep, rest = spec.strip().partition(":")
    if not sep or kind not in _LOCAL_MODEL_KINDS:
        return spec
    path, q, query = rest.partition("?")
    local = path.startswith(("./", "../")) or path.endswith(".gguf") or (base / path).exists()
    if not path or Path(path).expanduser().is_absolute() or not local or path == "default":
        return spec
    return f"{kind}:{(base / path).resolve()}{q}{query}"


def _system_spec_with_base(spec: str, base: Path) -> str:
    """A compared system's file (``my.toml``, ``map:my.csv``) resolved against `base`; names stay."""
    prefix = "map:" if spec.startswith("map:") else ""
    rest = spec.removeprefix(prefix)
    if "." not in Path(rest).name or Path(rest).is_absolute():  # ours, schwartz-h, five-factor...
        return spec
    return f"{prefix}{(base / rest).resolve()}"


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_config(data: dict[str, Any], source: str = "config") -> RunConfig:
    """Validate a config mapping; errors name the source and every offending key path."""
    try:
        return RunConfig.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in err.errors())
        raise ConfigError(f"{source}: {problems}") from None


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a TOML run configuration."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    return parse_config(data, str(path)).with_base(path.parent.resolve())


def load_preset(name: str) -> RunConfig:
    """A packaged preset: ``quickstart`` (offline, embedded model) or ``paper`` (the paper's design)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    text = resources.files("gpla.presets").joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return parse_config(tomllib.loads(text), f"preset {name}")
