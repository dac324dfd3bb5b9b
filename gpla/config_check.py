"""Checks of a run configuration that parsing alone does not make: every model spec parses, every
corpus spec parses, every named input file exists. ``gpla run`` (and ``--dry-run``) call them before
any stage, so a typo costs nothing. They are not pydantic validators because tests and library users
drive the pipeline with their own model pools, whose specs the registry does not know."""

from __future__ import annotations

from pathlib import Path

from gpla.config import RunConfig
from gpla.errors import ConfigError


def _model_specs(cfg: RunConfig) -> list[tuple[str, str, bool]]:
    """(key path, spec, is an embedding model) for every model the run may load."""
    m = cfg.models
    specs = [(f"models.{role}", getattr(m, role), False)
             for role in ("agent", "parser", "generator", "evaluator", "designer") if getattr(m, role)]
    specs.append(("models.embedding", m.embedding, True))
    specs += [(f"subjects.models[{i}]", s, False) for i, s in enumerate(cfg.subjects.models)]
    gen = cfg.corpus.generate
    if gen is not None and gen.models:
        specs += [(f"corpus.generate.models[{i}]", s, False) for i, s in enumerate(gen.models)]
    if cfg.analysis.mapping_embedder:
        specs.append(("analysis.mapping_embedder", cfg.analysis.mapping_embedder, True))
    return specs


def check_run_config(cfg: RunConfig, source: str = "config") -> None:
    """Raise a one-line ConfigError naming the key of the first invalid model spec, corpus spec or
    missing input file."""
    from gpla.corpora.spec import parse_spec as parse_corpus
    from gpla.models.registry import parse_spec

    for key, spec, embedding in _model_specs(cfg):
        try:  # registered and entry-point backends count; nothing is imported yet
            parse_spec(spec, embedding=embedding)
        except ConfigError as err:
            raise ConfigError(f"{source}: {key}: {err}") from None
    for i, src in enumerate(cfg.corpus.sources):
        try:
            parse_corpus(src.spec)
        except ConfigError as err:
            raise ConfigError(f"{source}: corpus.sources[{i}].spec: {err}") from None
    files: list[tuple[str, Path | None]] = [
        ("lexicon.file", cfg.lexicon.file),
        ("questions.file", cfg.questions.file),
        ("analysis.schwartz_scores", cfg.analysis.schwartz_scores),
    ]
    for key, path in files:
        if path is not None and not Path(path).is_file():
            raise ConfigError(f"{source}: {key}: {path} does not exist")
