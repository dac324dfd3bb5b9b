"""Stages 1-4 of Algorithm 1: corpus → perceptions → value mentions → lexicon.

Corpus rows say how far along they are (``kind``, see ``gpla.corpora``): documents are parsed into
perceptions, given perceptions (GPV's corpus) pass straight to value generation, and lexicon entries
(ValueLex) count as ``count`` mentions of their value without any model call.

When ``lexicon.file`` is given the user brings the lexicon: the first three stages write empty
tables and say so, and the lexicon stage reads the file.
"""

from __future__ import annotations

import json

import pandas as pd

from gpla.errors import DataError
from gpla.lexicon.build import given_perceptions, lexicon_entries
from gpla.measure.administration import administer, pairings
from gpla.measure.subjects import build_subjects
from gpla.stages.context import StageContext
from gpla.tables import read_raw_table

CORPUS_COLUMNS = ["doc_id", "text", "source", "kind", "count", "model", "question"]
PERCEPTION_COLUMNS = ["perception_id", "doc_id", "text", "error"]
MENTION_COLUMNS = ["perception_id", "value", "source", "count"]
LEXICON_COLUMNS = ["value", "frequency", "rank", "merged_from", "sources"]


def _skipped(ctx: StageContext, artifact: str, columns: list[str]) -> None:
    ctx.note("skipped: the lexicon comes from lexicon.file")
    ctx.info["skipped"] = True
    ctx.write(artifact, pd.DataFrame(columns=columns))


def run_corpus(ctx: StageContext) -> None:
    cfg = ctx.config
    if cfg.lexicon.file is not None:
        return _skipped(ctx, "corpus", CORPUS_COLUMNS)
    parts = [_load_source(spec.spec) for spec in cfg.corpus.sources]
    if cfg.corpus.generate is not None:
        parts.append(_generate(ctx))
    corpus = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CORPUS_COLUMNS)
    for col, default in (("kind", "document"), ("count", 1), ("model", None), ("question", None)):
        if col not in corpus.columns:
            corpus[col] = default
    if corpus["doc_id"].duplicated().any():  # two sources may number their docs alike
        corpus["doc_id"] = corpus["source"].astype(str) + ":" + corpus["doc_id"].astype(str)
    ctx.info["docs"] = len(corpus)
    ctx.write("corpus", corpus)


def _load_source(spec: str) -> pd.DataFrame:
    from gpla.corpora import load_corpus

    return load_corpus(spec)


def _generate(ctx: StageContext) -> pd.DataFrame:
    """The subjects write the corpus themselves by answering the seed questions (offline quickstart)."""
    gen = ctx.config.corpus.generate
    assert gen is not None
    writers = build_subjects(gen.models or ctx.config.subjects.models, gen.profiles)
    seeds = pd.DataFrame({"value": [f"seed-{i + 1}" for i in range(len(gen.seed_questions))],
                          "question": gen.seed_questions})
    pairs = pairings(writers, seeds)

    def work(batch: list[tuple[int, int]]) -> dict[str, pd.DataFrame]:
        return {"answers": administer(ctx.models.chat, writers, seeds, batch,
                                      temperature=gen.temperature, max_tokens=gen.max_tokens)}

    answers = ctx.batched(pairs, ctx.config.administration.batch_size, work,
                          "corpus: writing answers", {"answers": ["subject_id", "value", "question", "response"]})["answers"]
    writer_model = dict(zip(writers["subject_id"], writers["model"], strict=True))
    return pd.DataFrame({
        "doc_id": "gen-" + answers["subject_id"].astype(str) + "#" + answers["value"].astype(str),
        "text": answers["response"],
        "source": "generated",
        "kind": "document",
        "count": 1,
        "model": answers["subject_id"].map(writer_model),
        "question": answers["question"],
    })[lambda d: d["text"].astype(str).str.strip() != ""]


def run_perceptions(ctx: StageContext) -> None:
    if ctx.config.lexicon.file is not None:
        return _skipped(ctx, "perceptions", PERCEPTION_COLUMNS)
    corpus = ctx.read("corpus")
    parser = ctx.perception_parser(ctx.config.corpus.perceptions)
    documents = corpus[corpus["kind"] == "document"]
    docs = list(documents[["doc_id", "text"]].itertuples(index=False, name=None))

    def work(batch: list[tuple[str, str]]) -> dict[str, pd.DataFrame]:
        parsed = parser.parse(pd.DataFrame(batch, columns=["doc_id", "text"]))
        return {"perceptions": parsed.reindex(columns=PERCEPTION_COLUMNS)}

    parsed = ctx.batched(docs, ctx.config.corpus.batch_size, work, "perceptions",
                         {"perceptions": PERCEPTION_COLUMNS})["perceptions"]
    given = given_perceptions(corpus)
    out = pd.concat([p for p in (given, parsed) if len(p)] or [parsed], ignore_index=True)
    failed = int(out["error"].notna().sum())
    if failed:
        ctx.note(f"{failed} document chunks could not be parsed into perceptions (kept as error rows)")
    ctx.info["perceptions"] = int(out["error"].isna().sum())
    ctx.write("perceptions", out)


def run_value_mentions(ctx: StageContext) -> None:
    if ctx.config.lexicon.file is not None:
        return _skipped(ctx, "value_mentions", MENTION_COLUMNS)
    from gpla.agents import ValueGenerator

    corpus = ctx.read("corpus")
    perceptions = ctx.read("perceptions")
    perceptions = perceptions[perceptions["error"].isna()]
    source_of = dict(zip(corpus["doc_id"], corpus["source"], strict=True))
    generator = ValueGenerator(ctx.models.chat(ctx.config.models.spec("generator")),
                               **ctx.config.agents.options("generator"))
    items = list(perceptions[["perception_id", "doc_id", "text"]].itertuples(index=False, name=None))

    def work(batch: list[tuple[str, str, str]]) -> dict[str, pd.DataFrame]:
        frame = pd.DataFrame(batch, columns=["perception_id", "doc_id", "text"])
        values = generator.generate(frame[["perception_id", "text"]])
        values = values[values["error"].isna()] if "error" in values.columns else values
        values = values.merge(frame[["perception_id", "doc_id"]], on="perception_id", how="left")
        values["source"] = values["doc_id"].map(source_of)
        values["count"] = 1
        return {"mentions": values.reindex(columns=MENTION_COLUMNS).dropna(subset=["value"])}

    generated = ctx.batched(items, ctx.config.corpus.batch_size, work, "value mentions",
                            {"mentions": MENTION_COLUMNS})["mentions"]
    entries = lexicon_entries(corpus)
    out = pd.concat([p for p in (generated, entries) if len(p)] or [generated], ignore_index=True)
    ctx.info["mentions"] = int(out["count"].sum())
    ctx.info["unique_values"] = int(out["value"].nunique())
    ctx.write("value_mentions", out)


def run_lexicon(ctx: StageContext) -> None:
    """Dedup the generated values (or read ``lexicon.file``), then min-frequency / top-N / pin / ban.

    A user's lexicon file is taken as given: only ``max_values`` applies to it.
    """
    cfg = ctx.config.lexicon
    if cfg.file is not None:
        lexicon = _read_lexicon_file(cfg.file)
        if cfg.max_values is not None:
            lexicon = lexicon.head(cfg.max_values)
    else:
        from gpla.lexicon import filter_lexicon

        lexicon = filter_lexicon(_dedup(ctx), min_frequency=cfg.min_frequency, top_n=cfg.max_values,
                                 pin=cfg.pin, ban=cfg.ban)
    lexicon = lexicon.reset_index(drop=True)
    lexicon["rank"] = range(1, len(lexicon) + 1)
    if len(lexicon) < 2:
        raise DataError(f"lexicon: only {len(lexicon)} value(s) survived filtering; at least 2 are needed")
    ctx.info["values"] = len(lexicon)
    ctx.write("lexicon", lexicon.reindex(columns=LEXICON_COLUMNS))


def _read_lexicon_file(path: object) -> pd.DataFrame:
    from pathlib import Path

    p = Path(str(path))
    if not p.is_file():
        raise DataError(f"lexicon.file {p} does not exist")
    table = read_raw_table(p, what=f"lexicon.file {p}")
    if "value" not in table.columns:
        raise DataError(f"lexicon.file {p}: no 'value' column (columns: {list(table.columns)})")
    table = table.dropna(subset=["value"]).drop_duplicates("value")
    if "frequency" not in table.columns:
        table["frequency"] = 0
    table["merged_from"] = [[] for _ in range(len(table))]
    table["sources"] = f"file:{p.name}"
    return table.sort_values("frequency", ascending=False, kind="stable")


def _dedup(ctx: StageContext) -> pd.DataFrame:
    """Frequencies, then ROUGE + embedding dedup keeping the more frequent value (the lexicon layer).
    Mentions carry their corpus source so the lexicon says where each value came from."""
    from gpla.lexicon import build_lexicon

    mentions = ctx.read("value_mentions")
    if mentions.empty:
        raise DataError(
            "lexicon: the value generator produced no values from the corpus; enlarge the corpus "
            "or give lexicon.file"
        )
    embedder = ctx.models.embedder(ctx.config.models.embedding)
    lexicon = build_lexicon(mentions, embedder, **ctx.config.lexicon.dedup)
    (ctx.run_dir / "lexicon_dedup.json").write_text(json.dumps(lexicon.attrs.get("dedup", {}), indent=2,
                                                                default=str))
    merged = int(lexicon["merged_from"].map(len).sum())
    ctx.note(f"{mentions['value'].nunique()} distinct generated values → {len(lexicon)} after "
             f"dedup ({merged} merged as synonyms)")
    return lexicon
