"""ValueBench's QA corpus: 1,988 advice-seeking questions answered by 6 LLMs (GPLA Table 5: 11,928
responses). One row per (question, model) answer, question-major order.

GPLA App. A.1 takes the responses "each considered as one perception" (Table 5 counts 11,928
perceptions for ValueBench), so rows are of kind ``perception`` by default and go straight to the
value generator; ``as_kind="document"`` (spec ``valuebench:as=documents``) sends them through the
PerceptionParser instead."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from gpla.corpora.files import existing_file, read_table
from gpla.corpora.table import Kind, make_corpus, require_columns
from gpla.errors import DataError

MODELS = (
    "gpt-4-1106-preview",
    "gpt-3.5-turbo-1106",
    "llama-7b-chat",
    "llama-70b-chat",
    "mistral-7b-instruct",
    "mixtral-8x7b-instruct",
)
DEFAULT_FILE = ("data", "valuebench", "QA-dataset-answers-rating.xlsx")
# The sheet's own column names -> metadata names in the corpus table.
_ITEM_COLUMNS = {
    "question": "question",
    "questionnaire info": "questionnaire",
    "corresponding value": "item_value",
    "scenario description": "item",
    "Agreement": "item_agreement",
}


def default_path() -> Path:
    from gpla.shared import shared_path

    return shared_path(*DEFAULT_FILE)


@functools.lru_cache(maxsize=4)
def _read_sheet(path: str, mtime_ns: int, sheet: str | None) -> pd.DataFrame:
    """Parsing the 9 MB sheet takes seconds; a run that sizes then loads the corpus reads it once."""
    return read_table(path, sheet=sheet)


def load_valuebench(
    path: str | Path | None = None,
    *,
    models: Sequence[str] | None = None,
    sheet: str | None = None,
    source: str = "valuebench",
    as_kind: Kind = "perception",
) -> pd.DataFrame:
    """The corpus table of ValueBench answers with metadata ``model, question, questionnaire,
    item_value, item, item_agreement, rating`` (the model's own 1–10 agreement rating).

    ``path`` defaults to the shared copy; ``models`` picks a subset of the six answering models;
    ``as_kind`` is the rows' ``kind`` (``perception`` as the paper, or ``document`` to parse them).
    """
    if as_kind not in ("perception", "document"):
        raise DataError(f"ValueBench answers load as 'perception' or 'document', not {as_kind!r}")
    file = existing_file(path if path is not None else default_path(), "ValueBench QA file")
    sheet_frame = _read_sheet(str(file.resolve()), file.stat().st_mtime_ns, sheet).copy()
    chosen = list(MODELS if models is None else models)
    unknown = [m for m in chosen if m not in MODELS]
    if unknown:
        raise DataError(f"ValueBench has no model(s) {unknown}; models: {list(MODELS)}")
    answers = [f"{m}_answer" for m in chosen]
    ratings = [f"{m}_rating" for m in chosen]
    require_columns(sheet_frame, [*_ITEM_COLUMNS, *answers, *ratings], f"ValueBench file {file}")

    items = sheet_frame[list(_ITEM_COLUMNS)].rename(columns=_ITEM_COLUMNS)
    items["row"] = range(len(items))
    long = []
    for model, answer, rating in zip(chosen, answers, ratings, strict=True):
        part = items.assign(model=model, answer=sheet_frame[answer], rating=sheet_frame[rating])
        long.append(part)
    frame = pd.concat(long).sort_values(["row"], kind="stable")
    frame["model_index"] = frame["model"].map({m: i for i, m in enumerate(MODELS)})
    frame = frame.sort_values(["row", "model_index"], kind="stable").reset_index(drop=True)
    # ids like "valuebench:q0017:llama-7b-chat" survive sampling and model subsets.
    frame["doc"] = "q" + frame["row"].astype(str).str.zfill(4) + ":" + frame["model"]
    meta = ["model", "question", "questionnaire", "item_value", "item", "item_agreement", "rating"]
    return make_corpus(
        frame, text_column="answer", id_column="doc", source=source, kind=as_kind, metadata=meta,
        where=str(file),
    )
