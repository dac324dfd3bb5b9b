"""Label probabilities from next-token distributions, the same way for every backend.

A label's probability is that of its first token, summed over case and leading-space variants
(" Yes", "yes", " YES"), then renormalised over the labels (GPV's ValueLlama protocol).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from gpla.errors import ConfigError


def label_variants(label: str) -> list[str]:
    """The spellings a model may start a label with."""
    base = label.strip()
    if not base:
        raise ConfigError(f"label {label!r} is empty")
    cases = dict.fromkeys([base, base.lower(), base.capitalize(), base.upper()])
    return [prefix + c for c in cases for prefix in ("", " ")]


def label_token_ids(
    labels: Sequence[str], first_token: Callable[[str], int | None]
) -> list[list[int]]:
    """Per label, the distinct first-token ids of its variants; ``first_token(text)`` tokenises
    without special tokens. Two labels may not share a token, or their probabilities would be mixed."""
    if len(labels) < 2:
        raise ConfigError(f"label_probs needs at least two labels, got {list(labels)}")
    ids = [
        sorted({t for v in label_variants(lab) if (t := first_token(v)) is not None})
        for lab in labels
    ]
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


def probs_from_logits(logits: np.ndarray, token_ids: Sequence[Sequence[int]]) -> np.ndarray:
    """Renormalised label probabilities from one position's full-vocabulary logits."""
    z = logits.astype(np.float64)
    p = np.exp(z - z.max())
    p /= p.sum()
    mass = np.array([p[list(ids)].sum() for ids in token_ids])
    return mass / mass.sum()


def probs_from_top_logprobs(top: Mapping[str, float], labels: Sequence[str]) -> np.ndarray:
    """Renormalised label probabilities from an API's top-k ``{token: logprob}``.

    Servers return token *strings*, not ids, so a token counts for a label when, stripped and
    lower-cased, it is a non-empty prefix of that label (its first token under the server's
    tokenizer) and of no other label. The row is NaN when no label is among the top k: the
    probability is then unknown, not uniform.
    """
    norm = [lab.strip().lower() for lab in labels]
    mass = np.zeros(len(labels))
    for token, logprob in top.items():
        t = token.strip().lower()
        hits = [i for i, lab in enumerate(norm) if t and lab.startswith(t)]
        if len(hits) == 1:
            mass[hits[0]] += float(np.exp(logprob))
    total = mass.sum()
    return mass / total if total > 0 else np.full(len(labels), np.nan)
