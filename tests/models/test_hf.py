"""The transformers backend on tiny randomly initialised models: real transformers code paths
(tokenizer, left padding, generate, beam search, forward pass), random weights, no hub."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hf_tiny_models import tiny_causal_model, tokenizer_files

from gpla.models import ChatRequest, load_chat_model
from gpla.models.labels import label_token_ids


@pytest.fixture(scope="module")
def causal_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_causal_model(tmp_path_factory.mktemp("tiny-gpt2"))


@pytest.fixture(scope="module")
def seq2seq_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    folder = tmp_path_factory.mktemp("tiny-t5")
    torch.manual_seed(0)
    config = T5Config(
        vocab_size=30522,
        d_model=32,
        d_ff=64,
        d_kv=8,
        num_layers=2,
        num_heads=2,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=102,
    )
    T5ForConditionalGeneration(config).save_pretrained(folder)
    tokenizer_files(folder)
    return folder


PROMPTS = [
    ChatRequest.completion("Sentence: I always tell the truth.\nValue: Honesty\nRelevant:"),
    ChatRequest.completion("Is it good?"),
    ChatRequest.chat("Does helping a friend move house show the value of benevolence, yes or no?"),
]


def _manual_probs(model_dir: Path, backend, prompt: ChatRequest, labels: list[str]) -> np.ndarray:
    """One unpadded forward pass per prompt, softmax over the vocabulary, summed over label variants."""
    import torch
    from transformers import AutoModelForCausalLM

    lm = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    ids = torch.tensor([backend.prompt_ids(prompt)])
    with torch.no_grad():
        logits = lm(input_ids=ids).logits[0, -1].double()
    p = torch.softmax(logits, -1).numpy()
    token_ids = label_token_ids(labels, backend._first_token, "raw")
    mass = np.array([p[t].sum() for t in token_ids])
    return mass / mass.sum()


def test_causal_label_probs_with_left_padding_equal_unpadded_softmax(causal_dir: Path) -> None:
    model = load_chat_model(f"hf:{causal_dir}", cache=False, batch_size=3)
    labels = ["yes", "no", "either"]
    probs = model.label_probs(PROMPTS, labels, protocol="raw")  # raw: BOS/specials, summed variants
    assert probs.shape == (3, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-9)
    for row, prompt in zip(probs, PROMPTS, strict=True):
        # Prompts differ in length, so the batch is left-padded: positions must still start at 0.
        np.testing.assert_allclose(
            row, _manual_probs(causal_dir, model.backend, prompt, labels), atol=1e-5
        )


def test_causal_generate_batches_and_cuts_at_stop(causal_dir: Path) -> None:
    model = load_chat_model(f"hf:{causal_dir}", cache=False)
    results = model.generate([replace(p, max_tokens=5) for p in PROMPTS])
    assert len(results) == 3
    assert all(r.completion_tokens <= 5 and r.prompt_tokens > 0 for r in results)
    assert model.backend.routes["chat"].startswith("plain")
    # Greedy decoding is deterministic: alone or in a batch, the same prompt gives the same text.
    alone = model.generate([ChatRequest.completion("Is it good?", max_tokens=5)])[0]
    assert alone.text == results[1].text
    first_word = alone.text.split()[0] if alone.text.split() else None
    if first_word:
        stopped = model.generate(
            [ChatRequest.completion("Is it good?", max_tokens=5, stop=(first_word,))]
        )[0]
        assert first_word not in stopped.text and stopped.finish_reason == "stop"


def test_seq2seq_beam_search_returns_all_sequences_and_label_probs(seq2seq_dir: Path) -> None:
    model = load_chat_model(f"hf:{seq2seq_dir}", cache=False, num_beams=4, num_return_sequences=3)
    assert model.backend.seq2seq
    [result] = model.generate(
        [ChatRequest.completion("[Generate]:\tSituation: lying to a friend", max_tokens=6)]
    )
    assert len(result.meta["sequences"]) == 3
    assert result.text == result.meta["sequences"][0]
    probs = model.label_probs(PROMPTS[:2], ["support", "oppose", "either"])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-9)


def test_json_schema_is_stated_in_the_prompt(causal_dir: Path) -> None:
    model = load_chat_model(f"hf:{causal_dir}", cache=False)
    schema = {"type": "object", "properties": {"value": {"type": "string"}}}
    plain = model.backend.prompt_ids(ChatRequest.chat("Name a value."))
    with_schema = model.backend.prompt_ids(ChatRequest.chat("Name a value.", json_schema=schema))
    assert len(with_schema) > len(plain)
    [r] = model.generate([ChatRequest.chat("Name a value.", json_schema=schema, max_tokens=4)])
    assert r.meta["json_valid"] in (
        True,
        False,
    )  # random weights: validity is recorded, not assumed
    if r.meta["json_valid"]:
        json.loads(r.text)


def test_a_tokenizer_chat_template_is_used_for_chat_requests(
    causal_dir: Path, tmp_path: Path
) -> None:
    from transformers import AutoTokenizer

    folder = tmp_path / "templated"
    shutil.copytree(causal_dir, folder)
    tok = AutoTokenizer.from_pretrained(folder)
    tok.chat_template = (
        "{% for m in messages %}[{{ m.role }}] {{ m.content }} {% endfor %}"
        "{% if add_generation_prompt %}[assistant]{% endif %}"
    )
    tok.save_pretrained(folder)
    model = load_chat_model(f"hf:{folder}", cache=False)
    assert model.routes["chat"] == "tokenizer chat template"
    ids = model.backend.prompt_ids(ChatRequest.chat("hello there", system="be kind"))
    text = tok.decode(ids)
    assert (
        text.index("system") < text.index("be kind") < text.index("user") < text.index("assistant")
    )
    raw = model.backend.prompt_ids(ChatRequest.completion("hello there"))
    assert "assistant" not in tok.decode(raw)  # raw prompts bypass the template
    probs = model.label_probs([ChatRequest.chat("hello there")], ["yes", "no"])
    np.testing.assert_allclose(probs.sum(), 1.0)
