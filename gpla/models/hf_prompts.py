"""Prompt and label token ids from a transformers tokenizer, shared by the backends that hold one
(``hf.py``, ``vllm_backend.py``), so both score exactly the tokens GPV's ``valuellama.py`` scores."""

from __future__ import annotations

from typing import Any

from gpla.errors import ModelError
from gpla.models.base import ChatRequest
from gpla.models.labels import LabelProtocol, check_protocol
from gpla.models.prompting import plain_chat_prompt


def prompt_ids(tok: Any, request: ChatRequest, template: bool, causal: bool = True) -> list[int]:
    """The chat template's tokens when the tokenizer has one (``template``) and the request is not
    raw, else the plain transcript's; a ``causal`` prompt ends where the answer starts."""
    if template and not request.raw:
        msgs = [{"role": m.role, "content": m.content} for m in request.messages]
        text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        # The template writes BOS and other special tokens itself.
        return list(tok(text, add_special_tokens=False)["input_ids"])
    ids = list(tok(plain_chat_prompt(request), add_special_tokens=True)["input_ids"])
    ends = {tok.eos_token_id, tok.sep_token_id} - {None}
    while causal and len(ids) > 1 and ids[-1] in ends:  # drop an appended EOS/SEP token
        ids.pop()
    return ids


def gpv_prompt_ids(tok: Any, request: ChatRequest, protocol: LabelProtocol, template: bool) -> list[int] | None:
    """Under ``gpv`` a plain prompt is tokenised as GPV does, ``tokenizer(prompt,
    add_special_tokens=False)``; ``None`` when the prompt keeps its ``prompt_ids`` (chat template)."""
    if check_protocol(protocol) != "gpv" or (template and not request.raw):
        return None
    ids = [int(t) for t in tok(plain_chat_prompt(request), add_special_tokens=False)["input_ids"]]
    if not ids:
        raise ModelError("empty prompt for label_probs")
    return ids


def first_token(tok: Any, text: str) -> int | None:
    """The first token of ``text`` (the ``raw`` protocol's label variants)."""
    toks = tok(text, add_special_tokens=False)["input_ids"]
    return int(toks[0]) if toks else None


def gpv_token(tok: Any, word: str) -> int | None:
    """GPV's ``get_token_ids``: ``convert_tokens_to_ids(tokenizer.tokenize(word)[0])``."""
    pieces = tok.tokenize(word)
    return int(tok.convert_tokens_to_ids(pieces[0])) if pieces else None
