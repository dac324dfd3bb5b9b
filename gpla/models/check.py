"""``gpla models check``: load a model, ask it three small things, report what works and how."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from gpla.errors import GplaError
from gpla.models.base import ChatRequest
from gpla.models.registry import load_chat_model

SCHEMA = {
    "type": "object",
    "properties": {"value": {"type": "string", "maxLength": 40}},
    "required": ["value"],
}
LABEL_PROMPT = (
    "Sentence: I never lie to my friends.\nValue: Honesty\nRelevant: yes\n\n"
    "Sentence: I give part of my salary to charity.\nValue: Benevolence\nRelevant:"
)


@dataclass
class CheckStep:
    step: str
    ok: bool
    seconds: float
    detail: str
    route: str = ""


def _timed(step: str, fn: Any) -> tuple[CheckStep, Any]:
    start = time.perf_counter()
    try:
        value, detail, ok = fn()
    except GplaError as err:
        return CheckStep(step, False, time.perf_counter() - start, str(err)), None
    return CheckStep(step, ok, time.perf_counter() - start, detail), value


def check_model(spec: str, **options: Any) -> list[CheckStep]:
    """Load, generate, JSON-schema generate and label_probs. A model that cannot be loaded raises;
    a failing step is reported in its row. A check is a diagnosis, so a call is tried once (unless
    ``max_attempts`` says otherwise) and, when even plain generation fails (e.g. a refused connection),
    the later steps are reported as skipped rather than retried into minutes of waiting."""
    options.setdefault("max_attempts", 1)
    start = time.perf_counter()
    model = load_chat_model(spec, **options)
    steps = [CheckStep("load", True, time.perf_counter() - start, model.name)]
    routes: dict[str, str] = getattr(model, "routes", {})

    def answer() -> tuple[Any, str, bool]:
        [r] = model.generate([ChatRequest.chat("Name one thing people value.", max_tokens=24)])
        return r, f"{r.text.strip()[:60]!r} ({r.prompt_tokens}+{r.completion_tokens} tokens)", True

    def as_json() -> tuple[Any, str, bool]:
        req = ChatRequest.chat("Name one human value as JSON.", json_schema=SCHEMA, max_tokens=48)
        [r] = model.generate([req])
        try:
            json.loads(r.text)
        except ValueError:
            return r, f"not valid JSON: {r.text.strip()[:60]!r}", False
        return r, r.text.strip()[:60], True

    def probs() -> tuple[Any, str, bool]:
        p = model.label_probs([ChatRequest.completion(LABEL_PROMPT)], ["yes", "no"])[0]
        ok = bool(abs(p.sum() - 1) < 1e-6)
        return p, f"p(yes)={p[0]:.3f} p(no)={p[1]:.3f}", ok

    for name, fn, route in (
        ("generate", answer, "chat"),
        ("json", as_json, "json"),
        ("label_probs", probs, "label_probs"),
    ):
        if steps[-1].step == "generate" and not steps[-1].ok:
            steps.append(CheckStep(name, False, 0.0, "skipped: generate failed"))
            continue
        step, _ = _timed(name, fn)
        step.route = routes.get(route, "")  # read after the call: backends learn their routes
        steps.append(step)
    return steps
