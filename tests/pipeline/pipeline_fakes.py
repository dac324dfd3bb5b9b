"""Fake models for the pipeline's *plumbing* tests (batching, checkpoints, manifest, stage keys):
they answer every agent's JSON schema deterministically so no test depends on what they say."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fakes import FakeChatModel

from gpla.config import RunConfig, parse_config
from gpla.models.base import ChatRequest
from gpla.stages.context import ModelPool

VOCAB = ["Honesty", "Loyalty", "Fairness", "Courage", "Kindness", "Freedom", "Tradition", "Wealth"]


def _h(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def reply(request: ChatRequest, model: str = "") -> str:
    """A reply that depends on the model and the whole request (different subjects differ)."""
    props = (request.json_schema or {}).get("properties", {})
    last = request.messages[-1].content
    h = _h(model + last + "".join(m.content for m in request.messages[:-1]))
    if "perceptions" in props:
        return json.dumps({"perceptions": [f"Statement {h % 997} values honesty.",
                                           f"Statement {h % 991} values care for others."]})
    if "values" in props:
        first = h % len(VOCAB)  # two distinct values, whatever the hash
        second = (first + 1 + (h // 11) % (len(VOCAB) - 1)) % len(VOCAB)
        return json.dumps({"values": [VOCAB[first], VOCAB[second]]})
    if "question" in props:
        return json.dumps({"value": "v", "question": f"Should I do thing number {h % 10007}?"})
    return f"Answer {h % 100003}: I would weigh fairness against loyalty here."


def probs(request: ChatRequest, labels: Sequence[str]) -> list[float]:
    rng = np.random.default_rng(_h(request.prompt_text) % (2**32))
    return list(rng.dirichlet(np.ones(len(labels))))


class FakeSlowModel(FakeChatModel):
    """A fake that takes a little time per request, so a test can kill a run mid-stage."""

    def __init__(self, delay: float, name: str) -> None:
        super().__init__(reply=lambda r: reply(r, name), probs=probs, name=name)
        self.delay = delay

    def generate(self, requests):  # type: ignore[no-untyped-def]
        if self.delay:
            time.sleep(self.delay * len(requests))
        return super().generate(requests)

    def label_probs(self, prompts, labels, protocol="gpv"):  # type: ignore[no-untyped-def]
        if self.delay:
            time.sleep(self.delay * len(prompts))
        return super().label_probs(prompts, labels, protocol)


class FakeEmbedder:
    name = "fake-embedder"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = [np.random.default_rng(_h(t) % (2**32)).normal(size=16) for t in texts]
        m = np.array(rows)
        return m / np.linalg.norm(m, axis=1, keepdims=True)


def fake_pool(delay: float = 0.0) -> tuple[ModelPool, dict[str, FakeChatModel]]:
    """A model pool of fakes; the dict lets a test inspect the fake behind each spec."""
    made: dict[str, FakeChatModel] = {}

    def chat(spec: str) -> FakeChatModel:
        made[spec] = FakeSlowModel(delay, spec)
        return made[spec]

    return ModelPool(chat=chat, embedder=lambda spec: FakeEmbedder()), made


def small_config(tmp: Path, **overrides: object) -> RunConfig:
    """A plumbing config: a given 5-value lexicon, 2 fake models × 4 profiles = 8 subjects."""
    lexicon = tmp / "lexicon.csv"
    if not lexicon.exists():
        lexicon.write_text("value,frequency\n" + "\n".join(f"{v},{10 - i}" for i, v in enumerate(VOCAB[:5])))
    data: dict[str, object] = {
        "name": "plumbing",
        "models": {"agent": "fake:agent"},
        "lexicon": {"file": str(lexicon)},
        "subjects": {"models": ["fake:a", "fake:b"], "profiles": [1, 6, 17, 19]},
        "administration": {"batch_size": 8, "max_tokens": 32},
        "gpv": {"batch_size": 4},
        "analysis": {"n_factors": 2, "prune": False, "compare_systems": []},
    }
    for dotted, value in overrides.items():
        section, key = dotted.split("__")
        data.setdefault(section, {})[key] = value  # type: ignore[index]
    return parse_config(data)
