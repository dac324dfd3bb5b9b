"""Administration: resumable bookkeeping (fake model, plumbing only), then end to end against the
embedded llama.cpp model and a real OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fakes import FakeChatModel

from gpla.errors import ConfigError, DataError, ModelError
from gpla.models import ChatModel, ChatRequest
from gpla.portrait.administer import ANSWERS_FILE, administer, model_label
from gpla.portrait.items import ItemBank
from gpla.portrait.parsing import parse_answer
from gpla.portrait.prompts import VARIANTS
from gpla.portrait.responses import load_responses
from gpla.portrait.scoring import score


def _cycle(texts: list[str]) -> Iterator[str]:
    while True:
        yield from texts


def _answers(out: Path) -> list[dict]:
    return [
        json.loads(line) for line in (out / ANSWERS_FILE).read_text(encoding="utf-8").splitlines()
    ]


def test_counts_resumes_and_exports(tmp_path: Path, bank: ItemBank) -> None:
    texts = _cycle(
        ["Like me.", "not like me at all", "I cannot answer that as an AI.", "like me, mostly"]
    )
    model = FakeChatModel(reply=lambda r: next(texts), name="fake-model")
    first = administer(model, tmp_path, bank=bank, limit=2, batch_size=5, parsing="strict")
    assert (first.requested, first.already_done, first.asked) == (12, 0, 12)
    assert first.total == {"valid": 6, "refusal": 3, "invalid": 3}
    assert model.calls == 12
    assert all(r.temperature == 0.0 and r.system is None for r in map(_Req, model.requests))

    again = administer(model, tmp_path, bank=bank, limit=3, parsing="strict")
    assert (again.already_done, again.asked) == (12, 6) and model.calls == 18
    assert sum(again.total.values()) == 18

    for variant in VARIANTS:
        assert len(json.loads((tmp_path / f"fake-model_{variant}_results.json").read_text())) == 3
    averaged = load_responses(tmp_path / "fake-model_averaged_results.json")
    assert len(averaged) == 3 and averaged["numeric_response"].between(1, 6).all()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["total"] == again.total


def test_answers_are_parsed_as_the_authors_did_unless_strict(
    tmp_path: Path, bank: ItemBank
) -> None:
    texts = _cycle(["Like me.", "I would say: not like me at all, really", "I cannot answer that."])
    model = FakeChatModel(reply=lambda r: next(texts), name="fake-model")
    summary = administer(model, tmp_path, bank=bank, limit=1)
    assert summary.parsing == "authors" and summary.total == {"valid": 4, "refusal": 2}
    averaged = json.loads((tmp_path / "fake-model_averaged_results.json").read_text())
    assert sorted(averaged[0]["version_responses"].values()) == [1.0, 1.0, 5.0, 5.0]
    # Resumed with strict parsing, no model call: the export parses every stored answer again.
    strict = administer(model, tmp_path, bank=bank, limit=1, parsing="strict")
    assert strict.asked == 0 and strict.total == {"valid": 2, "invalid": 2, "refusal": 2}
    assert json.loads((tmp_path / "summary.json").read_text())["parsing"] == "strict"
    with pytest.raises(ConfigError, match="parsing must be one of authors, strict"):
        administer(model, tmp_path, bank=bank, limit=1, parsing="loose")  # type: ignore[arg-type]


def test_model_failure_keeps_finished_batches(tmp_path: Path, bank: ItemBank) -> None:
    calls = {"n": 0}

    def flaky(request: ChatRequest) -> str:
        calls["n"] += 1
        if calls["n"] > 4:
            raise ModelError("backend down for good")
        return "somewhat like me"

    with pytest.raises(ModelError):
        administer(FakeChatModel(reply=flaky, name="m"), tmp_path, bank=bank, limit=1, batch_size=4)
    assert len(_answers(tmp_path)) == 4  # the first batch is on disk
    # A crash mid-write leaves a partial last line: it is dropped and asked again.
    with (tmp_path / ANSWERS_FILE).open("a") as fh:
        fh.write('{"portrait_id": 1003, "opt')
    resumed = administer(
        FakeChatModel(reply=lambda r: "like me", name="m"), tmp_path, bank=bank, limit=1
    )
    assert resumed.asked == 2 and resumed.total == {"valid": 6}


def test_refuses_to_mix_administrations(tmp_path: Path, bank: ItemBank) -> None:
    administer(FakeChatModel(reply=lambda r: "like me", name="a"), tmp_path, bank=bank, limit=1)
    with pytest.raises(ConfigError, match="different model, label"):
        administer(FakeChatModel(reply=lambda r: "like me", name="b"), tmp_path, bank=bank, limit=1)
    with pytest.raises(ConfigError, match="different system_prompt"):
        administer(
            FakeChatModel(reply=lambda r: "like me", name="a"),
            tmp_path,
            bank=bank,
            limit=1,
            steer="Power",
            label="a",
        )
    with pytest.raises(ConfigError, match="--limit"):
        administer(FakeChatModel(name="a"), tmp_path / "x", bank=bank, limit=0)
    with pytest.raises(ConfigError, match="not of the form KIND:MODEL"):
        administer("nosuch:model", tmp_path / "z", bank=bank, limit=1)
    assert not (tmp_path / "z" / "run.json").exists()  # a bad spec leaves nothing to trip over
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / ANSWERS_FILE).write_text("garbage\n{}\n")
    with pytest.raises(DataError, match="line 1 is not an answer record"):
        administer(FakeChatModel(name="a"), tmp_path / "y", bank=bank, limit=1)


def test_persona_and_steering_reach_the_model(tmp_path: Path, bank: ItemBank) -> None:
    model = FakeChatModel(reply=lambda r: "like me", name="m")
    summary = administer(model, tmp_path, bank=bank, limit=1, persona="gender=male", steer="Power")
    assert summary.label == "m+persona-gender-male+steer-power"
    system = model.requests[0].messages[0]
    assert system.role == "system"
    assert system.content.startswith("**Your Profile**: Your gender is male.")
    assert "You value Power." in system.content


def test_model_labels() -> None:
    assert model_label("openai:gpt-4o@http://127.0.0.1:8000/v1") == "gpt-4o"
    assert model_label("hf:Qwen/Qwen2.5-7B-Instruct") == "Qwen2.5-7B-Instruct"
    assert model_label("llamacpp:/models/gemma 3.gguf") == "gemma-3"
    assert model_label("llamacpp:default") == "llamacpp-default"


class _Req:
    """Read access to a request's temperature and system message."""

    def __init__(self, request: ChatRequest) -> None:
        self.temperature = request.temperature
        self.system = next((m.content for m in request.messages if m.role == "system"), None)


def _check_real_run(
    out: Path, label: str, n_items: int, bank: ItemBank, variants: tuple[str, ...] = VARIANTS
) -> pd.DataFrame:
    answers = _answers(out)
    assert len(answers) == n_items * len(variants)
    assert {a["variant"] for a in answers} == set(variants)
    for a in answers:  # the recorded status is the (default) parser's verdict on the recorded text
        parsed = parse_answer(a["raw_response"])
        assert (a["status"], a["numeric_response"]) == (parsed.status, parsed.value)
    summary = json.loads((out / "summary.json").read_text())
    assert sum(summary["total"].values()) == n_items * len(variants)
    averaged = json.loads((out / f"{label}_averaged_results.json").read_text())
    assert len(averaged) == n_items
    for item in averaged:  # invalid and refused variants are excluded from the mean, and recorded
        assert len(item["version_responses"]) + len(item.get("version_errors", {})) == len(variants)
    return score(load_responses(out), bank, families=["pvq"])


# Among the shortest items (cheap on CPU) and keyed to a pvq value, so the run can be scored.
SHORT_ITEM = (4036, 3)


@pytest.mark.llm
def test_end_to_end_with_the_embedded_model(
    embedded_model: ChatModel, tmp_path: Path, bank: ItemBank
) -> None:
    short = bank.select([SHORT_ITEM])
    summary = administer(embedded_model, tmp_path, bank=short, label="gemma")
    assert summary.asked == 6
    scores = _check_real_run(tmp_path, "gemma", 1, bank)
    assert len(scores) == 10 and set(scores["model"]) == {"gemma"}
    calls = embedded_model.usage.calls  # type: ignore[attr-defined]
    again = administer(embedded_model, tmp_path, bank=short, label="gemma")
    assert again.asked == 0 and embedded_model.usage.calls == calls  # type: ignore[attr-defined]


@pytest.mark.llm
@pytest.mark.server
def test_end_to_end_with_an_openai_compatible_server(
    openai_server: str, tmp_path: Path, bank: ItemBank
) -> None:
    # Two of the six prompts keep the HTTP round trips cheap; the embedded test above asks all six.
    variants = ("v3", "v3_reversed")
    short = bank.select([SHORT_ITEM])
    spec = f"openai:gemma@{openai_server}"
    summary = administer(spec, tmp_path, bank=short, variants=variants, persona="age=20-39")
    assert summary.label == "gemma+persona-age-20-39"
    assert summary.usage["calls"] == 2 and summary.usage["prompt_tokens"] > 2 * 50
    _check_real_run(tmp_path, summary.label, 1, bank, variants)
