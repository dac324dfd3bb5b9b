"""The item bank: 104 queries × 5 responses with their correlation families and sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gpla.errors import DataError
from gpla.portrait.items import FAMILIES, ItemBank, load_items, source_of


def test_bank_has_the_papers_520_items(bank: ItemBank) -> None:
    # VP §3.2.3 "Data Statistics": 520 query–response pairs, 7,800 data points (520 × 15).
    assert len(bank) == 520
    assert bank.items.groupby("portrait_id").size().eq(5).all()
    assert bank.items["source"].value_counts().to_dict() == {
        s: 130 for s in ("Reddit", "DearAbby", "ShareGPT", "LMSYS")
    }
    per_family = bank.correlations.groupby("family").size().to_dict()
    assert per_family == {"pvq": 5200, "higher_pvq": 2080, "bfi": 2600}
    assert per_family["pvq"] + per_family["bfi"] == 7800


def test_scenario_items_have_titles_and_message_items_do_not(bank: ItemBank) -> None:
    scenario = bank.items["source"].isin(["Reddit", "DearAbby"])
    assert (bank.items.loc[scenario, "title"] != "").all()
    assert (bank.items.loc[~scenario, "title"] == "").all()


def test_source_from_id_matches_the_query_files(vp_data: Path) -> None:
    for source in ("DearAbby", "LMSYS", "Reddit", "ShareGPT"):
        queries = json.loads((vp_data / "queries" / f"{source}.json").read_text(encoding="utf-8"))
        assert {source_of(q["extra"]["portrait_id"]) for q in queries} == {source}


def test_correlation_matrix_is_items_by_dimensions(bank: ItemBank) -> None:
    matrix = bank.correlation_matrix("bfi")
    assert matrix.shape == (520, 5)
    assert list(matrix.columns) == list(FAMILIES["bfi"])
    # VP Appendix A.1 prints item 1025/1 … ; spot-check one value against the bank itself.
    row = bank.correlations.query(
        "portrait_id == 1025 and option_id == 1 and dimension == 'Conscientiousness'"
    )
    assert matrix.loc[(1025, 1), "Conscientiousness"] == pytest.approx(float(row["r"].iloc[0]))


def test_a_bank_may_list_p_values(tmp_path: Path) -> None:
    path = tmp_path / "bank.json"
    outputs = [
        {"id": 1, "content": "r", "correlations": [["Power", 0.5, 0.001], ["Hedonism", 0.4]]}
    ]
    path.write_text(
        json.dumps([{"portrait_id": 3001, "content": {"text": "q"}, "outputs": outputs}])
    )
    corr = load_items(path).correlations.set_index("dimension")
    assert corr.loc["Power", "p_value"] == 0.001 and corr["p_value"].isna().sum() == 1
    outputs[0]["correlations"] = [["Power", 0.5, 0.001, 7]]
    path.write_text(
        json.dumps([{"portrait_id": 3001, "content": {"text": "q"}, "outputs": outputs}])
    )
    with pytest.raises(DataError, match="output 1: malformed item"):
        load_items(path)


def test_bad_bank_files_raise_one_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(DataError, match="not found"):
        load_items(missing)
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    with pytest.raises(DataError, match="not valid JSON"):
        load_items(broken)
    malformed = tmp_path / "malformed.json"
    malformed.write_text(
        json.dumps([{"portrait_id": 1001, "content": {"text": "q"}, "outputs": [{"id": 1}]}]),
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="output 1: malformed item"):
        load_items(malformed)
    with pytest.raises(DataError, match="unknown source"):
        source_of(9001)
