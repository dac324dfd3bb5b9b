"""Loaders and the corpus spec syntax, on small files the tests write."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gpla.corpora import combine, dedup_texts, load_corpus, parse_spec, sample_corpus
from gpla.errors import ConfigError, DataError


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_generic_csv_with_text_column_and_metadata(tmp_path: Path) -> None:
    f = tmp_path / "answers.csv"
    pd.DataFrame(
        {"answer": ["Be honest.", "Help others.", "  "], "model": ["a", "b", "c"], "extra": [1, 2, 3]}
    ).to_csv(f, index=False)
    corpus = load_corpus(f"csv:{f}:text=answer:meta=model")
    assert corpus.columns.tolist() == ["doc_id", "text", "source", "kind", "count", "model"]
    assert corpus["text"].tolist() == ["Be honest.", "Help others."]  # blank text dropped
    assert corpus["doc_id"].tolist() == ["answers:0", "answers:1"]
    everything = load_corpus(f"csv:{f}:text=answer:source=mine")
    assert {"model", "extra"} <= set(everything.columns) and everything["source"].eq("mine").all()


def test_jsonl_and_parquet(tmp_path: Path) -> None:
    rows = [{"id": "x1", "text": "Fairness matters.", "model": "m"}, {"id": "x2", "text": "Keep promises."}]
    corpus = load_corpus(f"jsonl:{_jsonl(tmp_path / 'c.jsonl', rows)}:id=id")
    assert corpus["doc_id"].tolist() == ["c:x1", "c:x2"]
    pq = tmp_path / "c.parquet"
    pd.DataFrame(rows).to_parquet(pq)
    assert load_corpus(str(pq))["text"].tolist() == ["Fairness matters.", "Keep promises."]


def test_gpv_perceptions_skip_parsing(tmp_path: Path) -> None:
    f = tmp_path / "gpv.csv"
    pd.DataFrame({"perception": ["Valuing honesty in advice."], "model": ["gpt-4"]}).to_csv(f, index=False)
    corpus = load_corpus(f"gpv:{f}")
    assert corpus["kind"].tolist() == ["perception"]
    assert corpus.loc[0, "doc_id"] == "gpv:0" and corpus.loc[0, "model"] == "gpt-4"


def test_beavertails(tmp_path: Path) -> None:
    rows = [
        {"prompt": "How do I pick a lock?", "response": "I cannot help with that.", "is_safe": True,
         "category": {"privacy_violation": False, "non_violent_unethical_behavior": True}},
    ]
    corpus = load_corpus(f"beavertails:{_jsonl(tmp_path / 'bt.jsonl', rows)}")
    row = corpus.iloc[0]
    assert row["text"] == "I cannot help with that." and row["question"] == "How do I pick a lock?"
    assert bool(row["is_safe"]) and row["harm_categories"] == "non_violent_unethical_behavior"


def test_valuelex_counts(tmp_path: Path) -> None:
    f = tmp_path / "lex.csv"
    pd.DataFrame({"value": ["Honesty", "Care"], "count": [12, 3]}).to_csv(f, index=False)
    corpus = load_corpus(f"valuelex:{f}")
    assert corpus["kind"].eq("value").all() and corpus["count"].tolist() == [12, 3]
    j = tmp_path / "lex.json"
    j.write_text(json.dumps({"Honesty": 5}))
    assert load_corpus(f"valuelex:{j}")["count"].tolist() == [5]
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"value": ["Honesty"], "count": ["many"]}).to_csv(bad, index=False)
    with pytest.raises(DataError, match="positive whole counts"):
        load_corpus(f"valuelex:{bad}")


def test_missing_files_and_columns(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_corpus(f"csv:{tmp_path / 'nope.csv'}")
    f = tmp_path / "t.csv"
    pd.DataFrame({"answer": ["a"]}).to_csv(f, index=False)
    with pytest.raises(DataError, match=r"none of the columns \['text'\].*answer"):
        load_corpus(f"csv:{f}")
    with pytest.raises(DataError, match=r"missing column\(s\) \['reply'\]"):
        load_corpus(f"csv:{f}:text=reply")
    broken = tmp_path / "b.jsonl"
    broken.write_text('{"text": "ok"}\n{"text": \n')
    with pytest.raises(DataError, match="line 2: not valid JSON"):
        load_corpus(f"jsonl:{broken}")


def test_spec_syntax() -> None:
    assert parse_spec("valuebench").path is None
    s = parse_spec("csv:/data/a:b.csv:text=answer:meta=model,question")
    assert s.path == "/data/a:b.csv" and s.options == {"text": "answer", "meta": "model,question"}
    assert parse_spec("answers.jsonl").kind == "jsonl"
    for bad, message in [
        ("", "empty"),
        ("wiki:x.txt", "unknown kind"),
        ("csv:a.csv:colour=red", "unknown option 'colour'"),
        ("gpv", "needs a file"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_spec(bad)
    with pytest.raises(ConfigError, match="not a whole number"):
        load_corpus("valuebench:limit=ten")


def test_dedup_sample_and_combine(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    pd.DataFrame({"text": ["same", "same", "other", "third"]}).to_csv(f, index=False)
    assert load_corpus(f"csv:{f}:dedup=true")["text"].tolist() == ["same", "other", "third"]
    corpus = load_corpus(f"csv:{f}")
    assert len(dedup_texts(corpus)) == 3
    assert len(sample_corpus(corpus, sample=2, seed=1)) == 2
    assert load_corpus(f"csv:{f}", limit=2)["doc_id"].tolist() == ["d:0", "d:1"]
    with pytest.raises(DataError, match="positive"):
        sample_corpus(corpus, limit=0)
    with pytest.raises(DataError, match="occurs in two corpora"):
        combine([corpus, corpus])
    both = combine([corpus, load_corpus(f"csv:{f}:source=again")])
    assert both["doc_id"].is_unique and len(both) == 8
