"""`gpla evaluate-validate` on the shared Value Portrait bank: human pairs, the command end to end
(the embedded Gemma, the packaged embedders), --compare, and a bank without annotations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gpla.cli import app
from gpla.errors import DataError
from gpla.portrait.items import load_items
from gpla.portrait.scoring import keyed_items
from gpla.validation.human import human_pairs, sample_items


def _gpla(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GPLA_QUIET": "1"}
    return subprocess.run([sys.executable, "-m", "gpla", *args], capture_output=True, text=True,
                          env=env, timeout=600)


def test_human_pairs_follow_the_value_portrait_rule() -> None:
    bank = load_items()
    pairs = human_pairs(bank)
    assert len(pairs) == 520 * 10
    # The same pairs the Value Portrait scoring keys (|r| > 0.3, p < 0.05), both directions.
    keyed = keyed_items(bank, "pvq", reverse_negative=True)
    assert int(pairs["human_relevant"].sum()) == len(keyed)
    rel = pairs[pairs["human_relevant"]]
    assert (np.sign(rel["rho"]) == rel["human_sign"]).all() and (pairs.loc[~pairs["human_relevant"], "human_sign"] == 0).all()
    assert set(pairs["value"]) >= {"Self-Direction", "Benevolence"}
    a, b = sample_items(pairs, 7, seed=1), sample_items(pairs, 7, seed=1)
    assert a.equals(b) and a["item"].nunique() == 7 and len(a) == 70


def _bank_without_annotations(tmp_path: Path) -> Path:
    path = tmp_path / "bank.json"
    path.write_text(json.dumps([{"portrait_id": 1001, "content": {"title": "", "text": "Q?"},
                                 "outputs": [{"id": 1, "content": "I help my neighbours."}]}]))
    return path


def test_a_bank_without_annotations_is_a_data_error(tmp_path: Path) -> None:
    bank = _bank_without_annotations(tmp_path)
    with pytest.raises(DataError, match="no human annotations"):
        human_pairs(load_items(bank))
    done = _gpla("evaluate-validate", "--model", "none", "--items", str(bank), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "no human annotations" in done.stderr and "Traceback" not in done.stderr


def test_baselines_only_prints_pure_json(tmp_path: Path) -> None:
    out = tmp_path / "minilm"
    done = _gpla("evaluate-validate", "--model", "none", "--sample", "6", "--n-boot", "50",
                 "--baselines", "st:default", "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # stdout is JSON only; progress went to stderr
    assert summary["items"] == 6 and summary["pairs"] == 60 and "embedding" in done.stderr
    assert set(summary["scorers"]) == {"st:default"}
    curve = summary["recall_curves"]["st:default"]["points"]
    assert [p["prefilter"] for p in curve[:10]] == [f"top:{k}" for k in range(1, 11)]
    for name in ("report.md", "pairs.parquet", "roc.png", "recall_vs_calls.png"):
        assert (out / name).is_file()


@pytest.mark.llm
def test_embedded_evaluator_end_to_end_and_compare(tmp_path: Path, embedded_model) -> None:  # type: ignore[no-untyped-def]
    from gpla.agents import ValueEvaluator
    from gpla.measure.gpv import judge

    runner = CliRunner()
    full, top2 = tmp_path / "gemma", tmp_path / "gemma-top2"
    common = ["--sample", "3", "--n-boot", "50", "--baselines", "st:default", "--seed", "4"]
    for out, extra in ((full, []), (top2, ["--prefilter", "top:2"])):
        result = runner.invoke(app, ["evaluate-validate", "--model", "llamacpp:default", *common,
                                     *extra, "--out", str(out)])
        assert result.exit_code == 0, result.output
    pairs = pd.read_parquet(full / "pairs.parquet")
    assert len(pairs) == 30 and pairs["p_relevant"].between(0, 1).all()
    # The numbers are GPV measurement's own: the judgment stage's judge() on the same pairs.
    asked = pairs.rename(columns={"item": "perception_id"}).assign(subject_id="s")
    direct = judge(ValueEvaluator(embedded_model), asked[["perception_id", "subject_id", "text", "value"]])
    np.testing.assert_allclose(pairs["p_relevant"], direct["p_relevant"], atol=1e-6)
    np.testing.assert_allclose(pairs["score"], direct["score"], atol=1e-6)
    summary = json.loads((full / "validation.json").read_text())
    assert summary["timing"]["pairs_judged"] == 30 and summary["scorers"]["evaluator"]["auc"]["n"] == 30
    assert "relevance AUC" in (full / "report.md").read_text()
    kept = json.loads((top2 / "validation.json").read_text())["timing"]
    assert kept["pairs_judged"] == 6 and kept["share_of_calls_kept"] == pytest.approx(0.2)
    assert pd.read_parquet(top2 / "pairs.parquet")["p_relevant"].notna().sum() == 6

    result = runner.invoke(app, ["evaluate-validate", "--compare", str(full), str(top2),
                                 "--out", str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    table = pd.DataFrame(json.loads((tmp_path / "cmp" / "compare.json").read_text()))
    assert list(table.columns) == ["metric", "llamacpp:default (gemma)", "llamacpp:default (gemma-top2)",
                                   "st:default"]
    assert table.set_index("metric").loc["prefilter", "llamacpp:default (gemma-top2)"] == "top:2"
    assert "relevance AUC" in (tmp_path / "cmp" / "compare.md").read_text()


def test_compare_needs_two_result_directories(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate-validate", "--compare", str(tmp_path)])
    assert isinstance(result.exception, DataError)
