"""Label probabilities from next-token distributions, the same way for every backend.

Two protocols (``protocol=`` of ``ChatModel.label_probs``):
- ``"gpv"`` (default): GPV's own code (Value4AI/gpv, ``gpv/valuellama.py``, ``get_token_ids`` and
  ``get_probs_template``): one token per label, the first of ``tokenizer.tokenize(label)``; prompts
  tokenised without special tokens; the logits are those ``generate`` scores, i.e. after the model's
  generation-config processors (temperature, top-k, top-p when it samples); softmax over the whole
  vocabulary, labels picked, renormalised. A label cut by top-k/top-p gets 0; a row whose labels are
  all cut is NaN (GPV's ``p > 0.5`` test then counts the pair as not relevant).
- ``"raw"``: for models not trained on GPV's format: raw logits, prompts tokenised as the backend
  does for generation (BOS included), a label's probability summed over case and leading-space
  variants (" Yes", "yes", " YES"), then renormalised over the labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal, cast

import numpy as np

from gpla.errors import ConfigError

LabelProtocol = Literal["gpv", "raw"]
PROTOCOLS: tuple[LabelProtocol, ...] = ("gpv", "raw")


def check_protocol(protocol: str) -> LabelProtocol:
    """``protocol`` if known, else a ConfigError naming the choices."""
    if protocol not in PROTOCOLS:
        raise ConfigError(f"label protocol {protocol!r} is unknown; choose one of {', '.join(PROTOCOLS)}")
    return cast(LabelProtocol, protocol)


def label_variants(label: str) -> list[str]:
    """The spellings a model may start a label with."""
    base = label.strip()
    if not base:
        raise ConfigError(f"label {label!r} is empty")
    cases = dict.fromkeys([base, base.lower(), base.capitalize(), base.upper()])
    return [prefix + c for c in cases for prefix in ("", " ")]


def label_token_ids(
    labels: Sequence[str],
    first_token: Callable[[str], int | None],
    protocol: LabelProtocol = "raw",
) -> list[list[int]]:
    """Per label, the distinct first-token ids of its spellings (``gpv``: the label itself, one id;
    ``raw``: its variants); ``first_token(text)`` tokenises without special tokens. Two labels may
    not share a token, or their probabilities would be mixed."""
    if len(labels) < 2:
        raise ConfigError(f"label_probs needs at least two labels, got {list(labels)}")
    spell = label_variants if check_protocol(protocol) == "raw" else _as_given
    ids = [sorted({t for v in spell(lab) if (t := first_token(v)) is not None}) for lab in labels]
    owner: dict[int, str] = {}
    for lab, toks in zip(labels, ids, strict=True):
        if not toks:
            raise ConfigError(f"label {lab!r} has no token in this model's vocabulary")
        for t in toks:
            if t in owner and owner[t] != lab:
                raise ConfigError(
                    f"labels {owner[t]!r} and {lab!r} start with the same token; choose labels "
                    "whose first tokens differ"
                )
            owner[t] = lab
    return ids


def _as_given(label: str) -> list[str]:
    if not label.strip():
        raise ConfigError(f"label {label!r} is empty")
    return [label]


def probs_from_logits(logits: np.ndarray, token_ids: Sequence[Sequence[int]]) -> np.ndarray:
    """Renormalised label probabilities from one position's logits (the full vocabulary, or only
    the label tokens': renormalising makes the rest cancel). Logits of -inf (tokens cut by top-k or
    top-p) count 0; NaN when every label is cut, as in GPV's 0/0."""
    z = logits.astype(np.float64)
    p = np.exp(z - z.max())
    p /= p.sum()
    mass = np.array([p[list(ids)].sum() for ids in token_ids])
    total = mass.sum()
    return mass / total if total > 0 else np.full(len(token_ids), np.nan)


def probs_from_top_logprobs(
    top: Mapping[str, float], labels: Sequence[str], protocol: LabelProtocol = "raw"
) -> np.ndarray:
    """Renormalised label probabilities from an API's top-k ``{token: logprob}``.

    Servers return token *strings*, not ids, so a token counts for a label when it is a non-empty
    prefix of that label (its first token under the server's tokenizer) and of no other label:
    stripped and lower-cased under ``raw`` (all variants), exactly as written under ``gpv`` (GPV's
    one token per label). The row is NaN when no label is among the top k: the probability is then
    unknown, not uniform.
    """
    exact = check_protocol(protocol) == "gpv"
    norm = [lab if exact else lab.strip().lower() for lab in labels]
    mass = np.zeros(len(labels))
    for token, logprob in top.items():
        t = token if exact else token.strip().lower()
        hits = [i for i, lab in enumerate(norm) if t and lab.startswith(t)]
        if len(hits) == 1:
            mass[hits[0]] += float(np.exp(logprob))
    total = mass.sum()
    return mass / total if total > 0 else np.full(len(labels), np.nan)
