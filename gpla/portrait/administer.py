"""Administer the Value Portrait items to a model: six prompt variants per item at temperature 0,
answers parsed as the authors did (or strictly), refusals and invalid answers recorded and excluded.

Resumable: every answer is appended to ``answers.jsonl`` as soon as its batch returns, and a re-run
with the same model and system prompt skips the (item, variant) pairs already there. At the end the
answers are also written in the authors' layout — ``<label>_<variant>_results.json`` per variant and
``<label>_averaged_results.json`` — so ``score``, ``reliability`` and ``average`` read them directly.
The export parses every stored raw answer again with the run's ``parsing`` (recorded in
``summary.json``), so a resumed run never mixes two parsing rules.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gpla.errors import ConfigError, DataError
from gpla.models.base import ChatModel, ChatRequest
from gpla.portrait.averaging import AVERAGED_SUFFIX, average_records
from gpla.portrait.items import ItemBank, load_items
from gpla.portrait.jsonio import read_json, write_json
from gpla.portrait.parsing import DEFAULT_PARSING, Parsing, check_parsing, parse_answer
from gpla.portrait.prompts import VARIANTS, render_prompt, system_prompt
from gpla.progress import progress_bar

ANSWERS_FILE = "answers.jsonl"
RUN_FILE = "run.json"
SUMMARY_FILE = "summary.json"
# The longest phrase with a full stop is ~6 tokens; room for a little more, so that a model that goes
# on talking is seen (and counted invalid) without paying for a paragraph.
DEFAULT_MAX_TOKENS = 16


@dataclass
class AdministrationSummary:
    label: str
    out_dir: str
    requested: int  # (item, variant) pairs in this run
    already_done: int  # of those, answered by an earlier run
    asked: int  # sent to the model now
    parsing: str = DEFAULT_PARSING
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # variant -> status -> n
    usage: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for per_status in self.counts.values():
            for status, n in per_status.items():
                out[status] = out.get(status, 0) + n
        return out


def model_label(name: str) -> str:
    """A file-name-safe label of a model spec or name: ``openai:gpt-4o@http://…`` → ``gpt-4o``,
    ``hf:Qwen/Qwen2.5-7B`` → ``Qwen2.5-7B``, ``llamacpp:default`` → ``llamacpp-default``."""
    kind, _, rest = name.split("@", 1)[0].rpartition(":")
    rest = Path(rest).stem if rest.endswith(".gguf") else rest.rsplit("/", 1)[-1]
    if rest == "default" and kind:
        rest = f"{kind}-default"
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", rest).strip("-") or "model"


def administer(
    model: ChatModel | str,
    out_dir: str | Path,
    *,
    bank: ItemBank | None = None,
    variants: Sequence[str] = VARIANTS,
    persona: str | None = None,
    steer: str | None = None,
    limit: int | None = None,
    label: str | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    batch_size: int = 32,
    parsing: Parsing = DEFAULT_PARSING,
) -> AdministrationSummary:
    """Ask `model` (a ChatModel or a model spec) every item × variant not yet answered in `out_dir`."""
    from gpla.models import load_chat_model

    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ConfigError(
            f"unknown prompt variant(s) {', '.join(unknown)}; expected {', '.join(VARIANTS)}"
        )
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {limit}")
    if batch_size < 1:
        raise ConfigError(f"batch size must be at least 1, got {batch_size}")
    check_parsing(parsing)
    spec = model if isinstance(model, str) else model.name
    label = label or model_label(spec) + _suffix(persona, steer)
    system = system_prompt(persona, steer)
    out = Path(out_dir)
    run = {"model": spec, "label": label, "system_prompt": system, "max_tokens": max_tokens}
    _check_run(out, run)  # before loading a model: a wrong directory fails fast
    chat_model = load_chat_model(model) if isinstance(model, str) else model
    if not (out / RUN_FILE).exists():  # only once the model loaded, so a bad spec leaves no trace
        write_json(out / RUN_FILE, run)

    bank = bank or load_items()
    items = bank.items if limit is None else bank.items.head(limit)
    done = _read_answers(out / ANSWERS_FILE)
    todo = [
        (row, variant)
        for row in items.itertuples(index=False)
        for variant in variants
        if (row.portrait_id, row.option_id, variant) not in done
    ]
    summary = AdministrationSummary(
        label=label, out_dir=str(out), requested=len(items) * len(variants),
        already_done=len(items) * len(variants) - len(todo), asked=len(todo), parsing=parsing,
    )  # fmt: skip
    with progress_bar(f"Value Portrait: {label}", len(todo)) as (bar, task):
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            requests = [
                ChatRequest.chat(
                    render_prompt(variant, row.source, row.query, row.response, row.title),
                    system=system,
                    temperature=0.0,
                    max_tokens=max_tokens,
                )
                for row, variant in chunk
            ]
            results = chat_model.generate(requests)
            lines = []
            for (row, variant), result in zip(chunk, results, strict=True):
                parsed = parse_answer(result.text, parsing)
                key = (int(row.portrait_id), int(row.option_id), variant)
                record = {
                    "portrait_id": key[0], "option_id": key[1], "variant": variant,
                    "raw_response": result.text, "status": parsed.status,
                    "parsed_response": parsed.phrase, "numeric_response": parsed.value,
                }  # fmt: skip
                done[key] = record
                lines.append(record)
            _append(out / ANSWERS_FILE, lines)
            bar.advance(task, len(chunk))

    # The wrapped models' counters (a bare backend or a fake has none).
    usage: Any = getattr(chat_model, "usage", None)
    summary.usage = dict(usage.as_dict()) if hasattr(usage, "as_dict") else {}
    summary.counts = _export(out, label, bank, system, list(done.values()), parsing)
    write_json(out / SUMMARY_FILE, asdict(summary) | {"total": summary.total})
    return summary


def _suffix(persona: str | None, steer: str | None) -> str:
    parts = []
    if persona:
        parts.append("persona-" + re.sub(r"[^A-Za-z0-9]+", "-", persona).strip("-").lower())
    if steer:
        parts.append("steer-" + re.sub(r"[^A-Za-z0-9]+", "-", steer).strip("-").lower())
    return "".join("+" + p for p in parts)


def _check_run(out: Path, run: dict[str, Any]) -> None:
    """Refuse to mix answers of different models or system prompts in one directory."""
    path = out / RUN_FILE
    if path.exists():
        before = read_json(path)
        changed = [k for k in run if before.get(k) != run[k]]
        if changed:
            raise ConfigError(
                f"{out} holds answers of another administration (different {', '.join(changed)}); "
                "use a new --out directory"
            )


def _read_answers(path: Path) -> dict[tuple[int, int, str], dict[str, Any]]:
    """Answers already on disk. A last line cut short by a crash is dropped (and asked again)."""
    done: dict[tuple[int, int, str], dict[str, Any]] = {}
    if not path.exists():
        return done
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            key = (int(record["portrait_id"]), int(record["option_id"]), str(record["variant"]))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            if number == len(lines):
                break
            raise DataError(
                f"{path}: line {number} is not an answer record; fix or remove it"
            ) from None
        done[key] = record
    return done


def _append(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        fh.flush()
        os.fsync(fh.fileno())


def _reparsed(answer: dict[str, Any], parsing: Parsing) -> dict[str, Any]:
    parsed = parse_answer(answer.get("raw_response"), parsing)
    return answer | {
        "status": parsed.status, "parsed_response": parsed.phrase, "numeric_response": parsed.value,
    }  # fmt: skip


def _export(
    out: Path,
    label: str,
    bank: ItemBank,
    system: str | None,
    answers: list[dict[str, Any]],
    parsing: Parsing,
) -> dict[str, dict[str, int]]:
    """Per-variant raw files and the averaged file in the authors' layout; returns status counts."""
    items = bank.items.set_index(["portrait_id", "option_id"])
    by_variant: dict[str, list[dict[str, Any]]] = {}
    answers = [_reparsed(a, parsing) for a in answers]
    for answer in sorted(answers, key=lambda a: (a["portrait_id"], a["option_id"])):
        key = (answer["portrait_id"], answer["option_id"])
        if key not in items.index:
            continue
        item = items.loc[key]
        record: dict[str, Any] = {
            "portrait_id": key[0],
            "option_id": key[1],
            "raw_response": answer["raw_response"],
        }
        if answer["status"] == "valid":
            record |= {
                "parsed_response": answer["parsed_response"],
                "numeric_response": answer["numeric_response"],
            }
        else:
            record["error"] = f"{answer['status']} answer: {answer['raw_response']!r}"
        record["status"] = answer["status"]
        record["content"] = {
            "title": item["title"] or None,
            "text": item["query"],
            "output_text": item["response"],
        }
        record["prompt"] = render_prompt(
            answer["variant"], item["source"], item["query"], item["response"], item["title"]
        )
        if system:
            record["system_prompt"] = system
        by_variant.setdefault(answer["variant"], []).append(record)
    for variant, records in by_variant.items():
        write_json(out / f"{label}_{variant}_results.json", records)
    write_json(out / f"{label}{AVERAGED_SUFFIX}", average_records(by_variant, what=str(out)))
    counts = pd.DataFrame(
        [(a["variant"], a["status"]) for a in answers], columns=["variant", "status"]
    )
    table = counts.value_counts().unstack(fill_value=0) if len(counts) else pd.DataFrame()
    return {
        str(v): {str(s): int(n) for s, n in table.loc[v].items()}
        for v in sorted(table.index, key=VARIANTS.index)
    }
