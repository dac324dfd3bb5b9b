"""The ValueBench QA corpus (GPLA Table 5: 11,928 responses = 1,988 questions × 6 models)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gpla.corpora import load_corpus, load_valuebench
from gpla.corpora.valuebench import MODELS
from gpla.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def valuebench() -> pd.DataFrame:
    return load_valuebench()


def test_one_document_per_question_and_model(valuebench: pd.DataFrame) -> None:
    # GPLA App. A.1 / Table 5: 11,928 ValueBench responses from 6 LLMs.
    assert len(valuebench) == 11_928
    assert sorted(valuebench["model"].unique()) == sorted(MODELS)
    assert valuebench.groupby("model").size().eq(1_988).all()
    assert valuebench["doc_id"].is_unique
    # App. A.1: the responses are "each considered as one perception" (no parser call).
    assert (valuebench["kind"] == "perception").all() and (valuebench["source"] == "valuebench").all()
    assert valuebench["text"].str.len().gt(0).all()


def test_answers_skip_the_parser_unless_asked() -> None:
    from gpla.lexicon.build import given_perceptions

    default = load_corpus("valuebench:limit=4")
    passed = given_perceptions(default)
    assert passed["perception_id"].tolist() == default["doc_id"].tolist()
    assert passed["text"].tolist() == default["text"].tolist()
    parsed = load_corpus("valuebench:limit=4:as=documents")
    assert parsed["kind"].eq("document").all() and given_perceptions(parsed).empty
    assert load_corpus("valuebench:limit=4:as=perceptions").equals(default)
    with pytest.raises(ConfigError, match="as=perceptions"):
        load_corpus("valuebench:as=sentences")


def test_metadata_and_order(valuebench: pd.DataFrame) -> None:
    first = valuebench.iloc[0]
    assert first["doc_id"] == "valuebench:q0000:gpt-4-1106-preview"
    assert first["question"] == "Should I find that establishing a consistent routine enables me to enjoy my life?"
    assert first["questionnaire"] == "NFCC2000"
    assert first["item_value"] == "Preference for Order and Structure"
    assert first["text"].startswith("Yes, establishing a consistent routine")
    assert first["rating"] == 10
    # Question-major order: the first six rows are one question answered by the six models.
    assert valuebench["question"].iloc[:6].nunique() == 1
    assert valuebench["model"].iloc[:6].tolist() == list(MODELS)


def test_spec_sampling_and_models() -> None:
    assert len(load_corpus("valuebench:limit=30")) == 30
    sample = load_corpus("valuebench:sample=12:seed=3")
    assert len(sample) == 12
    assert sample["doc_id"].tolist() == load_corpus("valuebench:sample=12:seed=3")["doc_id"].tolist()
    assert sample["doc_id"].tolist() != load_corpus("valuebench:sample=12:seed=4")["doc_id"].tolist()
    two = load_corpus("valuebench:models=llama-7b-chat,llama-70b-chat:limit=10")
    assert set(two["model"]) == {"llama-7b-chat", "llama-70b-chat"}


def test_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_valuebench(tmp_path / "missing.xlsx")
    with pytest.raises(DataError, match="no model"):
        load_valuebench(models=["gpt-5"])
    with pytest.raises(DataError, match="no sheet 'Answers'"):
        load_valuebench(sheet="Answers")
    wrong = tmp_path / "wrong.xlsx"
    pd.DataFrame({"question": ["q"], "other": [1]}).to_excel(wrong, index=False)
    with pytest.raises(DataError, match=r"missing column\(s\).*questionnaire info"):
        load_valuebench(wrong)
