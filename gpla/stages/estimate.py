"""``--dry-run``: per-stage model calls and tokens (and cost with a price table) without calling anything.

Sizes come from the config: corpus sizes from ``expected_docs`` (or by loading the source, which
makes no model call), lexicon size from ``lexicon.file`` / ``max_values`` / ``expected_values``.
Token counts are rough (≈ 4 characters per token; fixed prompt overheads of the agents measured on
their templates); they are meant for budgeting, not billing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gpla.config import RunConfig
from gpla.errors import ConfigError, GplaError
from gpla.measure.subjects import build_subjects
from gpla.tables import read_raw_table

PARSER_OVERHEAD = 450  # PerceptionParser instructions + few-shot example
GENERATOR_OVERHEAD = 300
DESIGNER_OVERHEAD = 330  # the paper's Prompt 1
EVALUATOR_PROMPT = 220  # GPV's ValueLlama relevance/valence prompt with one sentence
PERCEPTION_TOKENS = 25
PARSER_OUTPUT = 140
GENERATOR_OUTPUT = 40
DESIGNER_OUTPUT = 70
DOC_TOKENS_DEFAULT = 200
COLUMNS = ["stage", "model", "calls", "prompt_tokens", "completion_tokens", "cost_usd"]


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _docs(cfg: RunConfig) -> dict[str, tuple[int, float]]:
    """Corpus rows by kind (``document``: parsed; ``perception``: straight to the generator, e.g.
    GPV's and ValueBench's; ``value``: no call) → (count, total tokens)."""
    sizes: dict[str, tuple[int, float]] = {"document": (0, 0.0), "perception": (0, 0.0), "value": (0, 0.0)}

    def add(kind: str, n: int, tokens: float) -> None:
        sizes[kind] = (sizes[kind][0] + n, sizes[kind][1] + tokens)

    for source in cfg.corpus.sources:
        if source.expected_docs is not None:
            add(_kind(source.spec), source.expected_docs, source.expected_docs * DOC_TOKENS_DEFAULT)
            continue
        try:
            from gpla.corpora import load_corpus

            corpus = load_corpus(source.spec)
        except GplaError as err:
            raise ConfigError(f"corpus.sources: cannot size {source.spec!r} for the dry run ({err}); "
                              "give it expected_docs") from None
        for kind, rows in corpus.groupby("kind"):
            add(str(kind), len(rows), float(rows["text"].astype(str).str.len().sum()) / 4)
    gen = cfg.corpus.generate
    if gen is not None:
        writers = len(gen.models or cfg.subjects.models) * len(gen.profiles)
        add("document", writers * len(gen.seed_questions), writers * len(gen.seed_questions) * gen.max_tokens)
    return sizes


def _kind(spec: str) -> str:
    """The kind of a source's rows, from its spec alone (as ``gpla.corpora`` loads them)."""
    from gpla.corpora import parse_spec

    s = parse_spec(spec)
    if s.kind == "valuebench":
        return "document" if s.options.get("as") == "documents" else "perception"
    return {"gpv": "perception", "valuelex": "value"}.get(s.kind, "document")


def _n_values(cfg: RunConfig) -> int:
    lex = cfg.lexicon
    if lex.file is not None:
        p = Path(lex.file)
        if not p.is_file():
            raise ConfigError(f"lexicon.file {p} does not exist")
        return len(read_raw_table(p, what=f"lexicon.file {p}"))
    n = lex.max_values or lex.expected_values
    if n is None:
        raise ConfigError("--dry-run needs lexicon.max_values or lexicon.expected_values to size the lexicon")
    return n


def estimate(cfg: RunConfig) -> pd.DataFrame:
    """One row per (stage, model): calls, prompt and completion tokens, cost (NaN without a price)."""
    rows: list[tuple[str, str, float, float, float]] = []
    subjects = build_subjects(cfg.subjects.models, cfg.subjects.profiles,
                              [(p.name, p.system_prompt) for p in cfg.subjects.custom_profiles])
    n_values = _n_values(cfg)
    adm = cfg.administration
    if cfg.lexicon.file is None:
        gen = cfg.corpus.generate
        if gen is not None:
            writers = build_subjects(gen.models or cfg.subjects.models, gen.profiles)
            q = sum(_tokens(s) for s in gen.seed_questions) / len(gen.seed_questions)
            for spec, group in writers.groupby("model"):
                calls = len(group) * len(gen.seed_questions)
                prompt = calls * (q + group["system_prompt"].map(_tokens).mean() + 10)
                rows.append(("corpus", str(spec), calls, prompt, calls * gen.max_tokens))
        sizes = _docs(cfg)
        n_docs, doc_tokens = sizes["document"]
        n_given, given_tokens = sizes["perception"]  # e.g. GPV's perceptions, ValueBench's answers
        n_perc = n_docs * cfg.gpv.perceptions_per_response + n_given
        if cfg.corpus.perceptions == "parser" and n_docs:
            rows.append(("perceptions", cfg.models.spec("parser"), n_docs,
                         n_docs * PARSER_OVERHEAD + doc_tokens, n_docs * PARSER_OUTPUT))
        rows.append(("value_mentions", cfg.models.spec("generator"), n_perc,
                     n_perc * GENERATOR_OVERHEAD + (n_perc - n_given) * PERCEPTION_TOKENS + given_tokens,
                     n_perc * GENERATOR_OUTPUT))
    if cfg.questions.file is None:
        rows.append(("questions", cfg.models.spec("designer"), n_values,
                     n_values * DESIGNER_OVERHEAD, n_values * DESIGNER_OUTPUT))
    for spec, group in subjects.groupby("model", sort=False):
        calls = len(group) * n_values
        prompt = calls * (group["system_prompt"].map(_tokens).mean() + 40)
        rows.append(("responses", str(spec), calls, prompt, calls * adm.max_tokens))
    n_resp = len(subjects) * n_values
    if cfg.gpv.perceptions == "parser":
        rows.append(("judgments: parse", cfg.models.spec("parser"), n_resp,
                     n_resp * (PARSER_OVERHEAD + adm.max_tokens), n_resp * PARSER_OUTPUT))
    judged = n_values if cfg.gpv.mode == "all" else 1
    if cfg.gpv.prefilter.startswith("top:"):  # the prefilter keeps K values per perception
        judged = min(judged, int(cfg.gpv.prefilter[4:]))
    pairs = n_resp * cfg.gpv.perceptions_per_response * judged
    rows.append(("judgments: relevance", cfg.models.spec("evaluator"), pairs, pairs * EVALUATOR_PROMPT, 0))
    valence = pairs * cfg.gpv.relevant_fraction
    rows.append(("judgments: valence", cfg.models.spec("evaluator"), valence, valence * EVALUATOR_PROMPT, 0))

    table = pd.DataFrame(rows, columns=COLUMNS[:-1])
    for col in ("calls", "prompt_tokens", "completion_tokens"):
        table[col] = table[col].round().astype("int64")
    # The OpenAI Batch API bills half the live price.
    batched = {"responses": adm.batch_api, "judgments: relevance": cfg.gpv.batch_api,
               "judgments: valence": cfg.gpv.batch_api}
    table["cost_usd"] = [
        (r.prompt_tokens * p.input_per_mtok + r.completion_tokens * p.output_per_mtok) / 1e6
        * (0.5 if batched.get(r.stage) and r.model.startswith("openai:") else 1.0)
        if (p := cfg.pricing.get(r.model)) is not None else float("nan")
        for r in table.itertuples()
    ]
    return table
