"""Near-duplicate removal for a value lexicon: the more frequent value survives (frequency = salience).

Following Value Kaleidoscope's dedup (which GPLA §3 adopts), values are visited greedily from most to
least frequent; a value is folded into an already kept one when their cosine similarity exceeds
``embedding_threshold`` or their ROUGE-Lsum (stemmed, "Right to"/"Duty to" stripped) F, precision or
recall exceeds its threshold. Formatting variants (case, hyphen/space, simple plurals) are merged
first by ``normalise``. Only each value's ``n_neighbors`` most similar more-frequent values are
compared (found by a blocked matrix product), so the cost grows as n·k ROUGE comparisons, not n².

How the defaults were chosen (packaged all-MiniLM-L6-v2, measured with this code):

* the closest pairs among the 92 values of GPLA's published five-factor system (Table 10), which
  GPLA's own dedup kept apart, have cosine 0.585 (Comprehension/Logic), 0.552 (Law-Abiding
  Behavior/Legality), 0.539 (Rights/Legality); no two of them share a ROUGE token;
* formatting variants score 0.757 (Wellbeing/Well-being), 0.829 (Tradition/Traditions), 0.832
  (Achievement/Achievements), 0.973 (Law-Abiding Behavior/law abiding behaviour), 0.98+ otherwise;
* near-synonyms fall in between: Freedom/Liberty 0.660, Safety/Security 0.618, Honesty/Truthfulness
  0.553; clearly distinct values are far below: Power/Benevolence 0.316, Tradition/Innovation 0.212.

``embedding_threshold=0.70`` lies between the closest published pair (0.585: all 92 survive, margin
0.115) and the least similar formatting variant (0.757); it is the midpoint 0.67 rounded up so that a
value and its narrower form stay apart (Freedom / Freedom of Speech: 0.669). GPLA's 0.53 (App. C.1)
belongs to all-mpnet-base-v2, where it keeps all 92 published values apart (closest pair 0.526); with
MiniLM it would merge Comprehension into Logic. ``deduplicate`` without a config therefore takes the
threshold calibrated for its embedder (``thresholds.CALIBRATED``); recalibrate with
``calibration.threshold_report`` for an embedder not listed there. ``rouge_f=0.7`` merges reworded
variants ("Respect others"/"Respect for others": F 0.8, "Right to privacy"/"Privacy": 1.0) but not
names that share one word of two ("Social Justice"/"Justice": F 0.67). Precision/recall thresholds are off by
default: at any value below 1 they fold a value into any kept value it contains or that contains it
("Respect for Elders" into "Respect"), which the published system gives no evidence for.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gpla.errors import ConfigError, DataError
from gpla.lexicon.neighbours import earlier_neighbours
from gpla.lexicon.normalise import normalise_counts
from gpla.lexicon.rouge import ValueRouge
from gpla.lexicon.thresholds import CALIBRATED, default_embedding_threshold, embedder_name
from gpla.models.base import EmbeddingModel


@dataclass(frozen=True)
class DedupConfig:
    """Thresholds of the dedup; ``None`` switches a criterion off. A pair merges when a score
    *exceeds* its threshold."""

    embedding_threshold: float | None = 0.70
    """Cosine similarity of the two names' embeddings (0.70 is the packaged MiniLM's; without a config,
    ``deduplicate`` uses the value calibrated for its embedder, ``thresholds.CALIBRATED``)."""
    rouge_f: float | None = 0.7
    rouge_precision: float | None = None
    """Share of the less frequent value's tokens found in the kept one (LCS)."""
    rouge_recall: float | None = None
    """Share of the kept value's tokens found in the less frequent one (LCS)."""
    strip_prefixes: tuple[str, ...] = ("right to", "duty to")
    n_neighbors: int = 20
    """How many of the most similar more-frequent values each value is compared with."""
    block_size: int = 1024

    def __post_init__(self) -> None:
        for name in ("embedding_threshold", "rouge_f", "rouge_precision", "rouge_recall"):
            value = getattr(self, name)
            if value is not None and not -1.0 <= value <= 1.0:
                raise ConfigError(f"dedup {name}={value} must lie in [-1, 1] (or be None to switch it off)")
        if self.n_neighbors < 1 or self.block_size < 1:
            raise ConfigError("dedup n_neighbors and block_size must be at least 1")

    @property
    def uses_rouge(self) -> bool:
        return any(t is not None for t in (self.rouge_f, self.rouge_precision, self.rouge_recall))


@dataclass
class DedupResult:
    lexicon: pd.DataFrame
    """``value, frequency, rank, merged_from`` (list of the names folded in), sorted by frequency."""
    merges: pd.DataFrame
    """One row per folded name: ``value, into, reason, frequency, cosine, rouge_f, rouge_precision, rouge_recall``."""
    mapping: dict[str, str]
    """Every input name (as cleaned by ``normalise.clean_value``) → the lexicon value it ended in."""
    stats: dict[str, int]
    config: DedupConfig
    embedder: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def sidecar(self) -> dict[str, Any]:
        """What the output's ``.meta.json`` records: every threshold, the embedder and the counts."""
        return {"dedup": asdict(self.config), "embedder": self.embedder, "stats": self.stats, **self.metadata}


def deduplicate(
    counts: pd.DataFrame, embedder: EmbeddingModel, config: DedupConfig | None = None
) -> DedupResult:
    """Deduplicate ``counts[value, frequency]`` (one row per name, or repeated names to be summed)."""
    from gpla.lexicon.normalise import clean_value

    cfg = config or DedupConfig(embedding_threshold=default_embedding_threshold(embedder))
    _check_counts(counts)
    merged = normalise_counts(counts)
    names = merged["value"].tolist()
    freq = merged["frequency"].to_numpy()
    owner = list(range(len(names)))  # owner[i] = index of the kept value i was folded into
    merge_rows: list[tuple[Any, ...]] = []
    for name, variants in zip(names, merged["variants"], strict=True):
        merge_rows += [(v, name, "normalised", np.nan, np.nan, np.nan, np.nan, np.nan) for v in _split(variants)]

    rouge = ValueRouge(cfg.strip_prefixes)
    n_candidates = 0
    if len(names) > 1:
        emb = np.asarray(embedder.embed(names), dtype=np.float32)
        neighbours, cosines = earlier_neighbours(emb, cfg.n_neighbors, cfg.block_size)
        tokens = [rouge.tokens(n) for n in names] if cfg.uses_rouge else []
        for i in range(1, len(names)):
            for j, cos in zip(neighbours[i], cosines[i], strict=True):
                if j < 0 or owner[j] != j:  # only kept values absorb others
                    continue
                n_candidates += 1
                hit = _duplicate(names[j], names[i], float(cos), tokens, int(j), i, rouge, cfg)
                if hit is not None:
                    owner[i] = int(j)
                    merge_rows.append((names[i], names[j], hit[0], int(freq[i]), float(cos), *hit[1:]))
                    break

    lexicon = _assemble(names, freq, owner, merged["variants"].tolist())
    merges = pd.DataFrame(
        merge_rows,
        columns=["value", "into", "reason", "frequency", "cosine", "rouge_f", "rouge_precision", "rouge_recall"],
    )
    mapping = {}
    for i, name in enumerate(names):
        target = names[owner[i]]
        mapping[name] = target
        for v in _split(merged["variants"].iloc[i]):
            mapping[v] = target
    # Raw names whose clean form differs ("  honesty. ") resolve through their clean form.
    for raw in counts["value"].astype(str).unique():
        if raw not in mapping and clean_value(raw) in mapping:
            mapping[raw] = mapping[clean_value(raw)]
    n = len(names)
    stats = {
        "n_names": int(counts["value"].nunique()),
        "n_mentions": int(counts["frequency"].sum()),
        "n_after_normalisation": n,
        "n_values": len(lexicon),
        "candidate_pairs": n_candidates,
        "rouge_comparisons": rouge.comparisons,
        "all_pairs": n * (n - 1) // 2,
    }
    # Whether the threshold used was calibrated for this embedder (``thresholds.CALIBRATED``).
    calibrated = {"calibrated_threshold": CALIBRATED.get(embedder_name(embedder))}
    return DedupResult(lexicon, merges, mapping, stats, cfg, embedder_name(embedder), calibrated)


def _duplicate(
    kept: str,
    candidate: str,
    cosine: float,
    tokens: list[frozenset[str]],
    j: int,
    i: int,
    rouge: ValueRouge,
    cfg: DedupConfig,
) -> tuple[str, float, float, float] | None:
    """``(reason, rouge_f, precision, recall)`` when ``candidate`` duplicates ``kept``, else None."""
    if cfg.embedding_threshold is not None and cosine > cfg.embedding_threshold:
        return ("embedding", np.nan, np.nan, np.nan)
    # Names without a shared token score 0 on every ROUGE measure: skip the scorer.
    if not cfg.uses_rouge or not tokens[i] & tokens[j]:
        return None
    s = rouge.score(kept, candidate)
    for threshold, value in (
        (cfg.rouge_f, s.fmeasure),
        (cfg.rouge_precision, s.precision),
        (cfg.rouge_recall, s.recall),
    ):
        if threshold is not None and value > threshold:
            return ("rouge", s.fmeasure, s.precision, s.recall)
    return None


def _assemble(names: list[str], freq: np.ndarray, owner: list[int], variants: list[str]) -> pd.DataFrame:
    total = np.zeros(len(names), dtype=np.int64)
    folded: dict[int, list[str]] = {i: _split(variants[i]) for i in range(len(names)) if owner[i] == i}
    for i, j in enumerate(owner):
        total[j] += freq[i]
        if i != j:
            folded[j] += [names[i], *_split(variants[i])]
    kept = [i for i in range(len(names)) if owner[i] == i]
    out = pd.DataFrame(
        {
            "value": [names[i] for i in kept],
            "frequency": total[kept],
            "merged_from": [folded[i] for i in kept],
            "_order": range(len(kept)),
        }
    )
    # Ties keep the greedy order (the kept value was the more frequent before merging).
    out = out.sort_values(["frequency", "_order"], ascending=[False, True], kind="stable")
    out = out.drop(columns="_order").reset_index(drop=True)
    out.insert(2, "rank", np.arange(1, len(out) + 1))
    return out


def _split(joined: str) -> list[str]:
    return [part.strip() for part in joined.split(";") if part.strip()] if joined else []


def _check_counts(counts: pd.DataFrame) -> None:
    missing = [c for c in ("value", "frequency") if c not in counts.columns]
    if missing:
        raise DataError(f"value counts need columns value, frequency; missing {missing}")
    freq = pd.to_numeric(counts["frequency"], errors="coerce")
    if freq.isna().any() or (freq < 1).any() or (freq % 1 != 0).any():
        bad = counts.loc[freq.isna() | (freq < 1) | (freq % 1 != 0)].iloc[0]
        raise DataError(f"frequency must be a positive whole number; value {bad['value']!r} has {bad['frequency']!r}")
