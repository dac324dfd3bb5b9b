"""`gpla lexicon dedup` and `gpla lexicon corpus` as users call them (real embedder, no chat model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner, Result


def gpla(*args: str) -> subprocess.CompletedProcess[str]:
    """A real process: shows what users see on errors (message, exit status 2, no traceback)."""
    return subprocess.run([sys.executable, "-m", "gpla", *args], capture_output=True, text=True, timeout=600)


def gpla_in_process(*args: str) -> Result:
    """Same command line in this process, so the embedding model loads once for the module."""
    from gpla.cli import app

    return CliRunner().invoke(app, list(args))


def test_dedup_from_counts_and_from_mentions(tmp_path: Path) -> None:
    counts = tmp_path / "counts.csv"
    pd.DataFrame(
        {"value": ["Honesty", "honesty", "Tradition", "Traditions", "Innovation", "Power", "Benevolence"],
         "frequency": [5, 2, 4, 1, 3, 2, 6]}
    ).to_csv(counts, index=False)
    mentions = tmp_path / "mentions.csv"
    pd.DataFrame({"value": ["Honesty"] * 5 + ["honesty"] * 2 + ["Tradition"] * 4 + ["Traditions", "Power"]}).to_csv(
        mentions, index=False
    )
    out = tmp_path / "lexicon.csv"
    done = gpla_in_process("lexicon", "dedup", "--mentions", str(counts), "--out", str(out))
    assert done.exit_code == 0, done.output
    lex = pd.read_csv(out, keep_default_na=False)
    assert lex.columns.tolist() == ["value", "frequency", "rank", "merged_from"]
    assert lex["value"].tolist() == ["Honesty", "Benevolence", "Tradition", "Innovation", "Power"]
    assert lex["frequency"].tolist() == [7, 6, 5, 3, 2]
    assert lex.loc[2, "merged_from"] == "Traditions"
    meta = json.loads(out.with_suffix(".meta.json").read_text())
    assert meta["dedup"]["embedding_threshold"] == 0.7 and meta["embedder"] == "st:default"

    out2 = tmp_path / "lexicon2.csv"
    done = gpla_in_process("lexicon", "dedup", "--mentions", str(mentions), "--out", str(out2), "--top-n", "1")
    assert done.exit_code == 0, done.output
    assert pd.read_csv(out2)[["value", "frequency"]].values.tolist() == [["Honesty", 7]]


def test_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"name": ["x"]}).to_csv(bad, index=False)
    done = gpla("lexicon", "dedup", "--mentions", str(bad), "--out", str(tmp_path / "o.csv"))
    assert done.returncode == 2 and "needs a 'value' column" in done.stderr and "Traceback" not in done.stderr
    done = gpla("lexicon", "corpus", "--corpus", "csv:" + str(tmp_path / "none.csv"))
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_corpus_export(tmp_path: Path) -> None:
    out = tmp_path / "corpus.parquet"
    done = gpla_in_process("lexicon", "corpus", "--corpus", "valuebench:limit=12", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert len(pd.read_parquet(out)) == 12 and "valuebench" in done.output
