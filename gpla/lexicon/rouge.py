"""ROUGE-Lsum with stemming between value names (rouge-score), as Value Kaleidoscope's dedup uses it.

Value names are compared after stripping "Right to" / "Duty to" so that "Right to privacy" meets
"Privacy". Tokens are cached per name: the scorer would otherwise re-stem both names on every one
of the (many) comparisons, which dominates the cost.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RougeScore:
    precision: float
    recall: float
    fmeasure: float


class _CachedTokenizer:
    """rouge-score's own tokenizer (with its Porter stemmer), memoised per text."""

    def __init__(self) -> None:
        from rouge_score import tokenizers

        self._inner = tokenizers.DefaultTokenizer(use_stemmer=True)
        self.tokenize = functools.lru_cache(maxsize=None)(self._tokenize)

    def _tokenize(self, text: str) -> tuple[str, ...]:
        return tuple(self._inner.tokenize(text))


class ValueRouge:
    """``score(kept, candidate)``: precision is over the candidate's tokens, recall over the kept one's."""

    def __init__(self, strip_prefixes: Sequence[str] = ("right to", "duty to")) -> None:
        from rouge_score import rouge_scorer

        self._tokenizer = _CachedTokenizer()
        self._scorer = rouge_scorer.RougeScorer(["rougeLsum"], tokenizer=self._tokenizer)
        self._prefix = (
            re.compile(r"^\s*(?:" + "|".join(re.escape(p) for p in strip_prefixes) + r")\s+", re.I)
            if strip_prefixes
            else None
        )
        self.comparisons = 0

    def strip(self, value: str) -> str:
        return self._prefix.sub("", value) if self._prefix else value

    def tokens(self, value: str) -> frozenset[str]:
        return frozenset(self._tokenizer.tokenize(self.strip(value)))

    def score(self, kept: str, candidate: str) -> RougeScore:
        self.comparisons += 1
        s = self._scorer.score(self.strip(kept), self.strip(candidate))["rougeLsum"]
        return RougeScore(s.precision, s.recall, s.fmeasure)
