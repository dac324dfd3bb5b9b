"""Per model, the mean numeric answer per item over its valid prompt variants (VP §3.4.1).

``average_raw_dir`` turns the authors' raw per-variant files (``<model>_v1_results.json``,
``<model>_v1_reversed_results.json``, …) into their ``<model>_averaged_results.json`` layout, record
for record: item content and prompt from v1, ``version_responses`` (the valid variants' numbers),
``numeric_response`` (their mean), ``version_errors`` when a variant failed, and the item's
correlation lists.

With ``reparse`` the numbers are read again from each variant's ``raw_response`` (or from the raw
answer quoted in the authors' parse-error message) with our parser, instead of trusting the file's
``numeric_response``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from gpla.errors import DataError
from gpla.portrait.items import CORRELATION_KEYS
from gpla.portrait.jsonio import read_json, write_json
from gpla.portrait.parsing import AUTHORS_PARSE_ERROR, Parsing, check_parsing, parse_answer
from gpla.portrait.prompts import VARIANTS

RAW_FILE = re.compile(r"^(?P<model>.+)_(?P<variant>v\d+(?:_reversed)?)_results\.json$")
AVERAGED_SUFFIX = "_averaged_results.json"
# The order the authors' averaged files list the correlation keys in.
_OUTPUT_CORRELATION_KEYS = (
    CORRELATION_KEYS["pvq"], CORRELATION_KEYS["bfi"], CORRELATION_KEYS["higher_pvq"],
)  # fmt: skip


def average_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """``answers[portrait_id, option_id, variant, numeric_response]`` (NaN = no valid answer) →
    ``[portrait_id, option_id, numeric_response, n_valid]``; an item with no valid variant gets NaN."""
    missing = {"portrait_id", "option_id", "numeric_response"} - set(answers.columns)
    if missing:
        raise DataError(f"answers: missing column(s) {', '.join(sorted(missing))}")
    grouped = answers.groupby(["portrait_id", "option_id"], sort=True)["numeric_response"]
    return grouped.agg(numeric_response="mean", n_valid="count").reset_index()


def find_raw_files(raw_dir: str | Path) -> dict[str, dict[str, Path]]:
    """``{model: {variant: path}}`` for every ``<model>_<variant>_results.json`` in `raw_dir`."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise DataError(f"{raw_dir}: not a directory of raw per-variant results")
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(raw_dir.iterdir()):
        match = RAW_FILE.match(path.name)
        if match:
            found.setdefault(match["model"], {})[match["variant"]] = path
    if not found:
        raise DataError(
            f"{raw_dir}: no files named <model>_<variant>_results.json (e.g. gpt-4o_v1_results.json)"
        )
    return found


def _variant_order(variant: str) -> tuple[int, str]:
    return (VARIANTS.index(variant), "") if variant in VARIANTS else (len(VARIANTS), variant)


def average_records(
    variant_records: Mapping[str, list[dict[str, Any]]], *, what: str = "raw results"
) -> list[dict[str, Any]]:
    """Averaged records (the authors' layout) from each variant's list of raw records."""
    by_item: dict[tuple[int, int], dict[str, dict[str, Any]]] = {}
    for variant in sorted(variant_records, key=_variant_order):
        for index, record in enumerate(variant_records[variant]):
            try:
                key = (int(record["portrait_id"]), int(record["option_id"]))
            except (KeyError, TypeError, ValueError):
                raise DataError(
                    f"{what} {variant}, record #{index}: needs portrait_id and option_id"
                ) from None
            by_item.setdefault(key, {})[variant] = record
    return [_average_item(key, by_item[key], what) for key in sorted(by_item)]


def _average_item(
    key: tuple[int, int], records: dict[str, dict[str, Any]], what: str
) -> dict[str, Any]:
    first = records.get("v1") or next(iter(records.values()))
    responses: dict[str, float] = {}
    errors: dict[str, dict[str, Any]] = {}
    for variant, record in records.items():
        value = record.get("numeric_response")
        if value is not None:
            try:
                responses[variant] = float(value)
            except (TypeError, ValueError):
                raise DataError(
                    f"{what} {variant}, item {key}: numeric_response {value!r} is not a number"
                ) from None
        elif "error" in record:
            errors[variant] = {"error": record["error"]}
    out: dict[str, Any] = {
        "portrait_id": key[0],
        "option_id": key[1],
        "content": first.get("content"),
        "prompt": first.get("prompt"),
        "version_responses": responses,
        # Plain sum/len, as the authors' files hold (None when every variant failed).
        "numeric_response": sum(responses.values()) / len(responses) if responses else None,
    }
    if errors:
        out["version_errors"] = errors
    for corr_key in _OUTPUT_CORRELATION_KEYS:
        if corr_key in first:
            out[corr_key] = first[corr_key]
    return out


def reparse_record(record: dict[str, Any], parsing: Parsing) -> dict[str, Any]:
    """`record` with ``parsed_response`` / ``numeric_response`` (or ``error``) from our parser.

    A record without a raw answer that is not an authors' parse error (e.g. a failed API call) is
    returned as it is: there is nothing to parse.
    """
    raw = record.get("raw_response")
    error = record.get("error")
    if raw is None and isinstance(error, str) and error.startswith(AUTHORS_PARSE_ERROR):
        raw = error[len(AUTHORS_PARSE_ERROR) :]
    if raw is None:
        return record
    parsed = parse_answer(raw, parsing)
    out = {
        k: v for k, v in record.items() if k not in ("parsed_response", "numeric_response", "error")
    }
    if parsed.status == "valid":
        out |= {"parsed_response": parsed.phrase, "numeric_response": parsed.value}
    else:  # the authors' wording, so that their averaged files are reproduced byte for byte
        out["error"] = AUTHORS_PARSE_ERROR + raw
    return out


def average_raw_dir(
    raw_dir: str | Path, out_dir: str | Path, *, reparse: Parsing | None = None
) -> dict[str, Path]:
    """Write ``<model>_averaged_results.json`` to `out_dir` for every model with raw files in `raw_dir`
    (with `reparse`, from the raw answers read again with that parsing)."""
    if reparse is not None:
        check_parsing(reparse)
    written: dict[str, Path] = {}
    for model, files in find_raw_files(raw_dir).items():
        variant_records = {}
        for variant, path in files.items():
            data = read_json(path)
            if not isinstance(data, list):
                raise DataError(f"{path}: expected a JSON list of item records")
            if reparse is not None:
                data = [reparse_record(r, reparse) if isinstance(r, dict) else r for r in data]
            variant_records[variant] = data
        records = average_records(variant_records, what=f"{Path(raw_dir) / model}")
        written[model] = write_json(Path(out_dir) / f"{model}{AVERAGED_SUFFIX}", records)
    return written
