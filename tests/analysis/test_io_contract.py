"""One IO contract (issue 14 §2–3): every analysis command reads the pipeline's ``X.parquet`` (its
``subject_id`` column is the index) as it reads a CSV or TSV; value names with spaces are written in
model files in their lavaan-safe form and mapped back alike in alpha, cfa, omega and compare-systems."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_compare import five_factor_data
from typer.testing import CliRunner

from gpla.analysis.lavaan import identifier
from gpla.cli import app
from gpla.errors import DataError
from gpla.tables import read_table, write_table

runner = CliRunner()
# Names with spaces and hyphens, all among the first 24 columns of `five_factor_data` (3 factors × 8).
FACTORS = {
    "Social Responsibility": ["Equity", "Public Benefit", "Well-being", "Unity"],
    "Rule-Following": ["Realism", "Order", "Responsibility", "Prudence"],
}


@pytest.fixture(scope="module")
def pipeline_X(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """X as the pipeline writes it (`ctx.write("X", matrix.X.reset_index())`): subject_id is a column."""
    X = five_factor_data(300)
    X.index = pd.Index([f"model-{i}|profile" for i in range(len(X))], name="subject_id")
    path = tmp_path_factory.mktemp("run") / "X.parquet"
    X.reset_index().to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lavaan model naming values with spaces and hyphens by their lavaan-safe names."""
    lines = [f"{identifier(f)} =~ " + " + ".join(identifier(m) for m in ms) for f, ms in FACTORS.items()]
    path = tmp_path_factory.mktemp("model") / "two.lavaan"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_table_index_convention(pipeline_X: Path, tmp_path: Path) -> None:
    frame = read_table(pipeline_X)
    assert frame.index.name == "subject_id" and "subject_id" not in frame.columns
    assert frame.index[0] == "model-0|profile" and frame.shape == (300, 34)
    for name in ("X.csv", "X.tsv", "X.parquet"):  # written and read back by the same module
        back = read_table(write_table(frame, tmp_path / name))
        pd.testing.assert_frame_equal(back, frame, check_exact=False)
    frame.to_csv(tmp_path / "rownames.csv", index_label=False)  # R's write.csv: unnamed first column
    assert list(read_table(tmp_path / "rownames.csv").index[:2]) == ["model-0|profile", "model-1|profile"]
    with pytest.raises(DataError, match=r"unknown table format '\.xlsx'"):
        read_table(tmp_path / "X.xlsx")
    (tmp_path / "dup.csv").write_text("subject_id,a\ns1,1\ns1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="repeated subject_id"):
        read_table(tmp_path / "dup.csv")


def test_pca_reads_parquet_tsv_and_csv_alike(pipeline_X: Path, tmp_path: Path) -> None:
    frame = read_table(pipeline_X)
    frame.to_csv(tmp_path / "X.tsv", sep="\t")
    loadings = {}
    for source in (pipeline_X, tmp_path / "X.tsv"):
        out = tmp_path / source.suffix[1:]
        args = ["pca", "--data", str(source), "--factors", "5", "--out", str(out), "--n-iter", "5"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        loadings[source.suffix] = pd.read_csv(out / "loadings.csv", index_col=0)
    assert "subject_id" not in loadings[".parquet"].index  # the index is no variable
    assert np.allclose(loadings[".parquet"], loadings[".tsv"], atol=1e-10)


def test_pca_columns_with_non_numeric_column_is_one_clear_error(tmp_path: Path) -> None:
    frame = five_factor_data(50)
    frame.insert(0, "model", "gemma")  # a label column that is neither index nor a variable
    write_table(frame, tmp_path / "X.parquet")
    result = runner.invoke(app, ["pca", "--data", str(tmp_path / "X.parquet"), "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert isinstance(result.exception, DataError) and "non-numeric values in column(s) model" in str(
        result.exception
    )


def test_alpha_and_cfa_map_lavaan_safe_names_back(pipeline_X: Path, model_file: Path, tmp_path: Path) -> None:
    text = model_file.read_text(encoding="utf-8")
    assert "Social_Responsibility =~ Equity + Public_Benefit + Well_being" in text
    args = ["alpha", "--data", str(pipeline_X), "--syntax", str(model_file), "--json-out", "-"]
    alpha = runner.invoke(app, args)
    assert alpha.exit_code == 0, alpha.output
    report = json.loads(alpha.stdout)  # '-' = pure JSON on stdout
    assert set(report) == {"Social_Responsibility", "Rule_Following"}
    assert all(r["n_items"] == 4 and r["n_obs"] == 300 and r["alpha"] > 0.75 for r in report.values())
    cfa = runner.invoke(app, ["cfa", "--data", str(pipeline_X), "--syntax", str(model_file), "--json-out", "-"])
    assert cfa.exit_code == 0, cfa.output
    indices = json.loads(cfa.stdout)
    assert indices["ntotal"] == 300 and indices["cfi"] > 0.95
    # The older documented form still writes a file.
    out = tmp_path / "alpha.json"
    old = runner.invoke(app, ["alpha", "--data", str(pipeline_X), "--model", str(model_file), "--json", str(out)])
    assert old.exit_code == 0, old.output
    assert json.loads(out.read_text(encoding="utf-8")) == report


def test_alpha_reverse_accepts_the_column_name(pipeline_X: Path, model_file: Path) -> None:
    args = ["alpha", "--data", str(pipeline_X), "--syntax", str(model_file), "--json-out", "-"]
    plain = json.loads(runner.invoke(app, args).stdout)
    reversed_ = runner.invoke(app, [*args, "--reverse", "Public Benefit"])
    assert reversed_.exit_code == 0, reversed_.output
    # Reverse-keying a positively loading item lowers alpha: the column name reached the right item.
    assert json.loads(reversed_.stdout)["Social_Responsibility"]["alpha"] < plain["Social_Responsibility"]["alpha"]


def test_omega_reads_parquet_and_safe_names(pipeline_X: Path, model_file: Path) -> None:
    result = runner.invoke(app, ["omega", "--data", str(pipeline_X), "--syntax", str(model_file), "--json"])
    assert result.exit_code == 0, result.output
    omega = json.loads(result.stdout)
    assert set(omega) == {"Social_Responsibility", "Rule_Following"} and omega["Rule_Following"]["omega"] > 0.75


def test_compare_systems_takes_a_lavaan_file_and_columns(pipeline_X: Path, model_file: Path, tmp_path: Path) -> None:
    X = read_table(pipeline_X)
    keep = ",".join(X.columns[:24])
    out = tmp_path / "cmp"
    args = ["compare-systems", "--data", str(pipeline_X), "--systems", f"ours,{model_file}",
            "--columns", keep, "--out", str(out), "--factors", "3"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "table.csv", index_col=0)
    assert list(table.index) == ["Ours", "two"]
    assert table.loc["two", "CFI"] > 0.95  # the file's safe names found their columns and fitted
    assert "Public_Benefit" in (out / "models" / "two.lavaan").read_text(encoding="utf-8")
    models = {p.name: p.read_text(encoding="utf-8") for p in (out / "models").iterdir()}
    ours = next(text for name, text in models.items() if name.lower().startswith("ours"))
    assert not any(identifier(c) in ours for c in X.columns[24:])  # --columns restricted the data
    bad = runner.invoke(app, [*args[:-4], "--columns", "Nope", "--out", str(out)])
    assert isinstance(bad.exception, DataError) and "no column(s) Nope" in str(bad.exception)
