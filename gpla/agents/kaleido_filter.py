"""KaleidoSys's candidate handling (tsor13/kaleido, ``KaleidoSys.py``): parsing beams, filling task
templates, and the relevance filter + ROUGE + embedding dedup of ``get_candidates``.

Kept as KaleidoSys does it, with two differences that only matter where it would crash or is
undefined: a beam that is not ``"<Value|Right|Duty>: <text>"`` is dropped (KaleidoSys raises), and
ties in relevance keep beam order (KaleidoSys's pandas sort leaves them unspecified).
The ROUGE-Lsum comparison uses rouge-score as KaleidoSys does; ``gpla.lexicon.rouge`` is the
lexicon layer's copy of the same metric, which agents may not import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gpla.errors import ConfigError

VRDS = ("Value", "Right", "Duty")
ROUGE_PARTS = ("fmeasure", "precision", "recall")
ROUGE_TYPE = "rougeLsum"  # KaleidoSys.deduplicate's default, with use_stemmer=True


def clean_vrd(text: str) -> str | None:
    """KaleidoSys ``clean_vrd``: "value" → Value, else "right" → Right, else "dut" → Duty (any case)."""
    low = text.lower()
    if "value" in low:
        return "Value"
    if "right" in low:
        return "Right"
    if "dut" in low:
        return "Duty"
    return None


def parse_generation(gen: str) -> tuple[str, str] | None:
    """KaleidoSys ``parse_gen``: the kind before the first ``": "`` and the text up to the next one."""
    parts = gen.split(": ")
    if len(parts) < 2:
        return None
    vrd = clean_vrd(parts[0])
    return (vrd, parts[1]) if vrd else None


def fill_template(template: str, args: Sequence[str], values: Sequence[str]) -> str:
    """KaleidoSys ``get_template``: each placeholder replaced in turn by its value (a ``VRD`` value is
    cleaned first)."""
    text = template
    for arg, value in zip(args, values, strict=False):  # KaleidoSys zips without a length check
        if arg == "VRD":
            value = clean_vrd(value) or value
        text = text.replace(arg, value)
    return text


@dataclass(frozen=True)
class Thresholds:
    """KaleidoSys's ``system_params`` after resolution: per kind, per ROUGE part, per kind."""

    relevance: dict[str, float]
    ngram: dict[str, float]
    embed: dict[str, float]
    across_vrd: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "relevance_threshold": self.relevance,
            "ngram_threshold": self.ngram,
            "embed_threshold": self.embed,
            "dedup_across_vrd": self.across_vrd,
        }


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"Kaleido {what} must be a number, got {value!r}")
    return float(value)


def _per_key(
    given: object, shipped: object, keys: Sequence[str], name: str, aliases: Mapping[str, str]
) -> dict[str, float]:
    """A scalar applies to every key; a dict overrides the shipped dict's keys (KaleidoSys)."""
    source = shipped if given is None else given
    if source is None:
        raise ConfigError(
            f"Kaleido {name}: the model's config.system_params has none; give {name} explicitly"
        )
    if not isinstance(source, Mapping):
        return dict.fromkeys(keys, _number(source, name))
    named = {aliases.get(str(k), str(k)): v for k, v in source.items()}
    unknown = set(named) - set(keys)
    if unknown:
        raise ConfigError(f"Kaleido {name}: keys must be among {', '.join(keys)}, got {sorted(unknown)}")
    base = shipped if isinstance(shipped, Mapping) and given is not None else {}
    base = {aliases.get(str(k), str(k)): v for k, v in base.items()}
    merged = {**base, **named}
    missing = [k for k in keys if k not in merged]
    if missing:
        raise ConfigError(f"Kaleido {name}: no value for {', '.join(missing)}")
    return {k: _number(merged[k], f"{name}[{k}]") for k in keys}


def resolve_thresholds(
    system_params: Mapping[str, Any],
    relevance: object = None,
    ngram: object = None,
    embed: object = None,
    across_vrd: bool | None = None,
) -> Thresholds:
    """Given values (None = the model's ``system_params``), as KaleidoSys resolves them."""
    across = system_params.get("dedup_across_vrd") if across_vrd is None else across_vrd
    if not isinstance(across, bool):
        raise ConfigError(
            "Kaleido dedup_across_vrd: the model's config.system_params has none; give it explicitly"
        )
    return Thresholds(
        relevance=_per_key(relevance, system_params.get("relevance_threshold"), VRDS, "relevance_threshold", {}),
        ngram=_per_key(ngram, system_params.get("ngram_threshold"), ROUGE_PARTS, "ngram_threshold", {"f1": "fmeasure"}),
        embed=_per_key(embed, system_params.get("embed_threshold"), VRDS, "embed_threshold", {}),
        across_vrd=across,
    )


def _strip_kind(text: str) -> str:
    # KaleidoSys deduplicate_rouge.clean_example: case-sensitive, once, at the start.
    if text.startswith("Right to "):
        return text.replace("Right to ", "", 1)
    if text.startswith("Duty to "):
        return text.replace("Duty to ", "", 1)
    return text


def _first_match(n: int, kinds: Sequence[str], across: bool, same: Callable[[int, int], bool]) -> list[str]:
    """KaleidoSys's dedup loop: row i goes when an earlier kept row j (same kind unless ``across``)
    matches it. Returns a reason per row: "" kept, else "duplicate"."""
    dropped: set[int] = set()
    for i in range(1, n):
        for j in range(i):
            if j not in dropped and (across or kinds[i] == kinds[j]) and same(i, j):
                dropped.add(i)
                break
    return ["duplicate" if i in dropped else "" for i in range(n)]


def kaleido_dedup(
    candidates: pd.DataFrame,
    thresholds: Thresholds,
    embed: Callable[[list[str]], np.ndarray],
) -> pd.DataFrame:
    """One action's ``candidates[vrd, text, relevant]`` → the same rows, sorted by relevance, with
    ``dropped`` = "" (kept), "relevance", "rouge" or "embedding" (KaleidoSys ``deduplicate``)."""
    from rouge_score import rouge_scorer

    df = candidates.sort_values("relevant", ascending=False, kind="stable").reset_index(drop=True)
    floor = df["vrd"].map(thresholds.relevance)
    df["dropped"] = np.where(df["relevant"] >= floor, "", "relevance")

    alive = df.index[df["dropped"] == ""].tolist()
    kinds = df.loc[alive, "vrd"].tolist()
    texts = [_strip_kind(t) for t in df.loc[alive, "text"]]
    scorer = rouge_scorer.RougeScorer([ROUGE_TYPE], use_stemmer=True)
    t = thresholds.ngram

    def rouge_same(i: int, j: int) -> bool:
        s = scorer.score(texts[i], texts[j])[ROUGE_TYPE]
        return bool(s.fmeasure > t["fmeasure"] or s.precision > t["precision"] or s.recall > t["recall"])

    for row, reason in zip(alive, _first_match(len(alive), kinds, thresholds.across_vrd, rouge_same), strict=True):
        if reason:
            df.loc[row, "dropped"] = "rouge"

    alive = df.index[df["dropped"] == ""].tolist()
    if len(alive) > 1:
        vectors = np.asarray(embed(df.loc[alive, "text"].tolist()), dtype=np.float64)
        norms = np.linalg.norm(vectors, axis=1)
        kinds = df.loc[alive, "vrd"].tolist()

        def embed_same(i: int, j: int) -> bool:
            sim = float(vectors[i] @ vectors[j]) / float(norms[i] * norms[j])
            return sim > thresholds.embed[kinds[i]]

        reasons = _first_match(len(alive), kinds, thresholds.across_vrd, embed_same)
        for row, reason in zip(alive, reasons, strict=True):
            if reason:
                df.loc[row, "dropped"] = "embedding"
    return df
