"""`gpla lexicon`: corpora → value lexicon (build), dedup of a mention list, corpus export, coverage.

Heavy libraries (sentence-transformers, llama.cpp, rouge-score) load inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gpla.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

    from gpla.lexicon.dedup import DedupConfig

lexicon_app = typer.Typer(
    help="Build a frequency-ranked value lexicon from LLM outputs (GPLA steps 1-3).", no_args_is_help=True
)

_CORPUS_HELP = (
    "Corpus spec KIND[:PATH][:OPTION=VALUE...], repeatable: valuebench, valuebench:limit=30, "
    "gpv:perceptions.csv, beavertails:file.jsonl, valuelex:values.csv, csv:answers.csv:text=answer."
)
EmbeddingThreshold = Annotated[
    float | None,
    typer.Option(help="Merge when the names' embedding cosine exceeds this (default: the value calibrated "
                 "for --embedder: 0.70 for st:default; see gpla.lexicon.thresholds)."),
]
RougeF = Annotated[float, typer.Option(help="Merge when ROUGE-Lsum F exceeds this.")]
RougeP = Annotated[float | None, typer.Option(help="Merge when ROUGE-Lsum precision exceeds this (off by default).")]
RougeR = Annotated[float | None, typer.Option(help="Merge when ROUGE-Lsum recall exceeds this (off by default).")]
Neighbours = Annotated[int, typer.Option(help="Compare each value with this many most similar more frequent ones.")]
MinFrequency = Annotated[int, typer.Option(help="Drop values mentioned fewer times than this.")]
TopN = Annotated[int | None, typer.Option(help="Keep only the N most frequent values.")]
Pin = Annotated[list[str] | None, typer.Option(help="Always keep this value (repeatable).")]
Ban = Annotated[list[str] | None, typer.Option(help="Always drop this value (repeatable).")]
Embedder = Annotated[str, typer.Option(help="Embedding model spec for dedup.")]


def register(app: typer.Typer) -> None:
    """Add this group's commands to the top-level app."""
    app.add_typer(lexicon_app, name="lexicon")


def _dedup_config(
    embedding_threshold: float | None, rouge_f: float, rouge_precision: float | None,
    rouge_recall: float | None, n_neighbors: int, embedder: str,
) -> DedupConfig:
    from gpla.lexicon.dedup import DedupConfig
    from gpla.lexicon.thresholds import default_embedding_threshold

    if embedding_threshold is None:
        embedding_threshold = default_embedding_threshold(embedder)
    return DedupConfig(
        embedding_threshold=embedding_threshold, rouge_f=rouge_f, rouge_precision=rouge_precision,
        rouge_recall=rouge_recall, n_neighbors=n_neighbors,
    )


def _load_corpora(specs: list[str], limit: int | None, sample: int | None, seed: int, dedup: bool) -> pd.DataFrame:
    from gpla.corpora import combine, load_corpus

    if not specs:
        raise ConfigError("give at least one --corpus SPEC")
    return combine([load_corpus(s, limit=limit, sample=sample, seed=seed, dedup=dedup) for s in specs])


@lexicon_app.command("build")
def build(
    corpus: Annotated[list[str], typer.Option("--corpus", help=_CORPUS_HELP)],
    out: Annotated[Path, typer.Option("--out", help="Directory for corpus, perceptions, value_mentions, lexicon (.parquet + .csv).")],
    model: Annotated[str, typer.Option(help="Chat model spec for the perception parser and value generator.")] = "llamacpp:default",
    limit: Annotated[int | None, typer.Option(help="First N documents of each corpus (unless its spec sets limit).")] = None,
    sample: Annotated[int | None, typer.Option(help="N random documents of each corpus.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for --sample.")] = 0,
    dedup_texts: Annotated[bool, typer.Option("--dedup-texts", help="Drop documents whose text repeats another's.")] = False,
    embedder: Embedder = "st:default",
    embedding_threshold: EmbeddingThreshold = None,
    rouge_f: RougeF = 0.7,
    rouge_precision: RougeP = None,
    rouge_recall: RougeR = None,
    n_neighbors: Neighbours = 20,
    min_frequency: MinFrequency = 1,
    top_n: TopN = None,
    pin: Pin = None,
    ban: Ban = None,
) -> None:
    """Parse the corpora into perceptions, generate the values behind them, count and deduplicate."""
    from gpla.lexicon.build import build_from_corpus
    from gpla.models import load_chat_model, load_embedding_model

    config = _dedup_config(embedding_threshold, rouge_f, rouge_precision, rouge_recall, n_neighbors, embedder)
    table = _load_corpora(corpus, limit, sample, seed, dedup_texts)
    result = build_from_corpus(
        table, load_chat_model(model), load_embedding_model(embedder), dedup=config,
        min_frequency=min_frequency, top_n=top_n, pin=pin or [], ban=ban or [], out_dir=out,
    )
    counts = result.metadata["counts"]
    typer.echo(
        f"{counts['documents']} documents → {counts['perceptions']} perceptions "
        f"({counts['perception_errors']} unreadable) → {counts['mentions']} value mentions "
        f"({counts['unique_values']} unique) → {counts['lexicon']} lexicon values; tables in {out}"
    )


@lexicon_app.command("dedup")
def dedup(
    mentions: Annotated[Path, typer.Option("--mentions", help="CSV with value,frequency or one row per mention (value).")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV: value, frequency, rank, merged_from (+ OUT.meta.json).")],
    embedder: Embedder = "st:default",
    embedding_threshold: EmbeddingThreshold = None,
    rouge_f: RougeF = 0.7,
    rouge_precision: RougeP = None,
    rouge_recall: RougeR = None,
    n_neighbors: Neighbours = 20,
    min_frequency: MinFrequency = 1,
    top_n: TopN = None,
    pin: Pin = None,
    ban: Ban = None,
) -> None:
    """Merge near-duplicate values into their most frequent member; output sorted by frequency."""
    from gpla.corpora.files import read_table
    from gpla.lexicon.filtering import filter_lexicon
    from gpla.lexicon.table import build_lexicon_with_result, write_table
    from gpla.models import load_embedding_model

    config = _dedup_config(embedding_threshold, rouge_f, rouge_precision, rouge_recall, n_neighbors, embedder)
    table = read_table(mentions)
    if "value" not in table.columns:
        raise DataError(f"{mentions}: needs a 'value' column (and optionally 'frequency'); has {list(table.columns)}")
    keep = ["value", "frequency"] if "frequency" in table.columns else ["value"]
    lexicon, result = build_lexicon_with_result(table[keep], load_embedding_model(embedder), config)
    lexicon = filter_lexicon(lexicon, min_frequency=min_frequency, top_n=top_n, pin=pin or [], ban=ban or [])
    write_table(lexicon[["value", "frequency", "rank", "merged_from"]], out)
    meta = {**result.sidecar(), "input": str(mentions),
            "filter": {"min_frequency": min_frequency, "top_n": top_n, "pin": pin or [], "ban": ban or []}}
    out.with_suffix(".meta.json").write_text(json.dumps(meta, indent=2))
    s = result.stats
    typer.echo(
        f"{s['n_names']} names ({s['n_mentions']} mentions) → {s['n_after_normalisation']} after normalisation "
        f"→ {s['n_values']} after dedup → {len(lexicon)} kept; {s['rouge_comparisons']} ROUGE comparisons "
        f"of {s['all_pairs']} pairs; wrote {out}"
    )


@lexicon_app.command("corpus")
def corpus_command(
    corpus: Annotated[list[str], typer.Option("--corpus", help=_CORPUS_HELP)],
    out: Annotated[Path | None, typer.Option("--out", help="Write the corpus table here (.csv/.parquet).")] = None,
    limit: Annotated[int | None, typer.Option(help="First N documents of each corpus.")] = None,
    sample: Annotated[int | None, typer.Option(help="N random documents of each corpus.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for --sample.")] = 0,
    dedup_texts: Annotated[bool, typer.Option("--dedup-texts", help="Drop repeated texts.")] = False,
) -> None:
    """Load corpora without calling a model: print their size per source and kind, optionally save."""
    from gpla.lexicon.table import write_table

    table = _load_corpora(corpus, limit, sample, seed, dedup_texts)
    summary = table.groupby(["source", "kind"]).agg(rows=("doc_id", "size"), mentions=("count", "sum"))
    typer.echo(summary.to_string())
    if out is not None:
        write_table(table, out)
        typer.echo(f"wrote {len(table)} rows to {out}")


@lexicon_app.command("coverage")
def coverage_command(
    conversations: Annotated[str, typer.Option("--conversations", help="Corpus spec of the conversations (" + _CORPUS_HELP + ")")],
    lexicon: Annotated[Path, typer.Option("--lexicon", help="Lexicon CSV/Parquet with a value column.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for detections, per_conversation and systems CSVs.")],
    model: Annotated[str, typer.Option(help="Chat model spec for parsing and relevance.")] = "llamacpp:default",
    system: Annotated[list[str] | None, typer.Option(help="Also report coverage of a value-system file (repeatable).")] = None,
    limit: Annotated[int | None, typer.Option(help="First N conversations.")] = None,
) -> None:
    """Unique lexicon values detected per conversation and the share of conversations each system covers (GPLA App. B.1)."""
    from gpla.corpora import load_corpus
    from gpla.corpora.files import read_table
    from gpla.lexicon.coverage import coverage
    from gpla.lexicon.table import write_table
    from gpla.models import load_chat_model

    convs = load_corpus(conversations, limit=limit)
    values = read_table(lexicon)
    if "value" not in values.columns:
        raise DataError(f"{lexicon}: no 'value' column")
    systems = {}
    for path in system or []:
        from gpla.systems import load_system

        vs = load_system(path)
        systems[vs.name] = [v for members in vs.factors.values() for v in members]
    result = coverage(convs, values["value"].astype(str).tolist(), load_chat_model(model), systems=systems)
    out.mkdir(parents=True, exist_ok=True)
    write_table(result.detections, out / "detections.csv")
    write_table(result.per_conversation, out / "per_conversation.csv")
    write_table(result.systems, out / "systems.csv")
    typer.echo(f"mean {result.mean_values:.1f} values per conversation (min {result.min_values})")
    typer.echo(result.systems.to_string(index=False))
