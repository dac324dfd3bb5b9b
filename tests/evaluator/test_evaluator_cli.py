"""`gpla evaluate-calibrate` end to end on the embedded model and the packaged MiniLM."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gpla.cli import app


def test_calibrate_prints_recall_per_k(tmp_path: Path) -> None:
    perc = tmp_path / "p.csv"
    perc.write_text(
        "perception_id,text\np1,I volunteer at the animal shelter every weekend.\n"
        "p2,I want to be rich and admired.\n"
    )
    vals = tmp_path / "v.txt"
    vals.write_text("Benevolence\nPower\nTradition\n")
    out = tmp_path / "cal.csv"
    args = ["evaluate-calibrate", "--perceptions", str(perc), "--values", str(vals),
            "--k", "1,3", "--out", str(out), "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    # Loaders may log to stderr (which CliRunner mixes in): the JSON is the last thing printed.
    rows = json.loads(result.output[result.output.rindex("[\n") :])
    assert [r["prefilter"] for r in rows] == ["top:1", "top:3"]
    assert rows[1]["recall"] in (1.0, None) or rows[1]["relevant_pairs"] == 0
    assert rows[0]["kept_pairs"] == 2 and rows[1]["kept_pairs"] == 6
    assert out.is_file()


def test_calibrate_names_a_bad_file(tmp_path: Path) -> None:
    perc = tmp_path / "p.csv"
    perc.write_text("id,sentence\n1,hello\n")
    vals = tmp_path / "v.txt"
    vals.write_text("Power\n")
    result = CliRunner().invoke(
        app, ["evaluate-calibrate", "--perceptions", str(perc), "--values", str(vals)]
    )
    assert result.exit_code != 0
    assert "perception_id" in str(result.exception) + result.output
