"""The Perception Parser's GPV style: GPV's prompts verbatim (pinned), its request and reading, the
chat/base choice, and GPV's semchunk chunking."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fakes import FakeChatModel
from hf_tiny_models import tiny_causal_model

from gpla.agents import PerceptionParser
from gpla.agents.chunking import approx_tokens, gpv_chunker
from gpla.agents.parsing import ReplyParseError
from gpla.agents.perception_parser import gpv_perceptions
from gpla.agents.prompts import gpv_parser
from gpla.errors import ConfigError
from gpla.models.base import ChatModel, ChatRequest
from gpla.models.tokens import chunk_tokenizer, gpv_tokenizer, model_token_counter

# SHA-256 of the strings in Value4AI/gpv gpv/parser.py at commit 37b13d7, computed from that file.
GPV_SHA256 = {
    "SYSTEM_PROMPT": "486627666badc7a43a1591b2d47e1615012db3a58c908027b7245e126d536b9b",
    "SYSTEM_PROMPT_ENTITY": "31f0a38eb7d5094be391298b4d70ff1053fa2851f62a2c2f6ea1a7f3abc1fc5c",
    "USER_PROMPT_TEMPLATE": "f2fd17295321b23e1b99985c1924ce79dad8db0c68d1de33615a98c9a49dc8b8",
    "USER_PROMPT_ENTITY_TEMPLATE": "e993797773bcc808543467561ec09f6527c2c4f9715227006889a3cb434f35c4",
}


@pytest.mark.parametrize("name", sorted(GPV_SHA256))
def test_gpv_prompts_are_verbatim(name: str) -> None:
    text = getattr(gpv_parser, name)
    assert hashlib.sha256(text.encode()).hexdigest() == GPV_SHA256[name]


def test_gpv_system_prompt_structure() -> None:
    p = gpv_parser.SYSTEM_PROMPT
    sections = [line for line in p.splitlines() if line.startswith("[")]
    assert sections == ["[Background]", "[Task]", "[Example]"]
    properties = [line for line in p.splitlines() if line.startswith("- ")]
    assert len(properties) == 4 and "comprehensive" in properties[3]  # the parser's fourth property
    assert '{"perceptions": ["perception 1", "perception 2", ...]}' in p
    assert "comprehensive" not in gpv_parser.SYSTEM_PROMPT_ENTITY  # the entity parser keeps the relevant ones
    assert gpv_parser.USER_PROMPT_TEMPLATE == "**Text:** {text}"


def test_gpv_request_is_system_prompt_plus_one_user_turn() -> None:
    chunk = "I  value honesty.\nFamily matters."
    r = gpv_parser.gpv_perception_request(chunk)
    assert [(m.role, m.content) for m in r.messages] == [
        ("system", gpv_parser.SYSTEM_PROMPT),
        ("user", "**Text:** " + chunk),  # the chunk as it is
    ]
    assert r.temperature == 0.0 and r.max_tokens == gpv_parser.MAX_TOKENS == 1024 and not r.raw
    assert "maxItems" not in json.dumps(r.json_schema)
    e = gpv_parser.gpv_perception_request(chunk, subject="Maria")
    assert e.messages[0].content == gpv_parser.SYSTEM_PROMPT_ENTITY
    assert e.messages[1].content == f"**Text:** {chunk}\n\n**Measurement subject:** Maria"


def test_gpv_reading() -> None:
    assert gpv_perceptions({"perceptions": ["A.", "A.", " B. "]}) == ["A.", "A.", "B."]  # all kept
    assert gpv_perceptions({"other": 1}) == []  # GPV: response.get("perceptions", [])
    with pytest.raises(ReplyParseError):
        gpv_perceptions(["A."])


def test_chat_models_get_gpv_and_every_perception() -> None:
    many = [f"Perception number {i} is about honesty." for i in range(20)]
    model = FakeChatModel(lambda r: "```json\n" + json.dumps({"perceptions": [*many, many[0]]}) + "\n```")
    parser = PerceptionParser(model)  # a model that reports no plain route is a chat model
    assert parser.prompt_style == "gpv" and parser.max_tokens == 1024
    out = parser.parse(pd.DataFrame({"doc_id": ["d"], "text": ["Some text."]}))
    assert out["text"].tolist() == [*many, many[0]]  # no cap, no dedup (GPV's comprehensive parse)
    assert model.requests[0].messages[0].content == gpv_parser.SYSTEM_PROMPT
    assert model.requests[0].messages[-1].content == "**Text:** Some text."
    few = PerceptionParser(model, prompt_style="fewshot", max_tokens=50)
    assert few.prompt_style == "fewshot" and few.max_tokens == 50
    with pytest.raises(ConfigError, match="prompt_style must be auto, gpv or fewshot"):
        PerceptionParser(model, prompt_style="other")  # type: ignore[arg-type]


def test_auto_style_follows_the_chat_template(tmp_path: Path) -> None:
    folder = tiny_causal_model(tmp_path / "base")
    assert PerceptionParser(f"hf:{folder}").prompt_style == "fewshot"  # no chat template: a base model
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["chat_template"] = "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}<assistant>"
    chat = tmp_path / "chat"
    chat.mkdir()
    for f in folder.iterdir():
        (chat / f.name).write_bytes(f.read_bytes())
    (chat / "tokenizer_config.json").write_text(json.dumps(config))
    parser = PerceptionParser(f"hf:{chat}")
    assert parser.prompt_style == "gpv"
    # The model's own tokenizer counts the chunk sizes when GPV's tiktoken encoding is not here.
    counter = model_token_counter(parser.model)
    assert counter is not None
    if gpv_tokenizer() is None:
        assert parser.chunk_counter == f"hf:{chat} tokenizer"
    long = " ".join(f"Sentence {i} says that I value my family and my friends." for i in range(120))
    chunks = parser._chunk(long)
    assert len(chunks) > 2 and all(counter(c) <= 300 for c in chunks)


def test_embedded_base_model_keeps_the_fewshot_prompt(embedded_model: ChatModel) -> None:
    parser = PerceptionParser(embedded_model)
    assert parser.prompt_style == "fewshot" and parser.completion and parser.max_tokens == 384
    req: ChatRequest = parser._request("Honesty matters to me.")
    assert req.raw and "Text: Honesty matters to me." in req.prompt_text


def test_gpv_chunker_is_semchunk_at_300_tokens() -> None:
    import semchunk

    text = "\n\n".join(
        " ".join(f"Paragraph {p} sentence {i} explains why I care about fairness." for i in range(12))
        for p in range(6)
    )
    chunks = gpv_chunker()(text)
    assert chunks == semchunk.chunkerify(approx_tokens, 300)(text)  # GPV: chunkerify(tokenizer, 300)
    assert len(chunks) > 1 and all(approx_tokens(c) <= 300 for c in chunks)
    assert gpv_chunker()("") == []
    if gpv_tokenizer() is None:  # tiktoken's cl100k_base is not cached here
        assert chunk_tokenizer(FakeChatModel()) == (None, "estimate")
    with pytest.raises(ConfigError):
        gpv_chunker(0)


def test_cli_refuses_an_unknown_prompt_style_before_a_model_loads() -> None:
    from typer.testing import CliRunner

    from gpla.cli import app

    args = ["parse", "--text", "x", "--prompt-style", "magic", "--model", "nonsense"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ConfigError)
    assert "prompt_style must be auto, gpv or fewshot, got 'magic'" in str(result.exception)
