"""GPLA's validity benchmarks (paper §5.2, §5.3, App. A.4, B.3–B.5): factor scores, LLM safety
prediction, alignment-target distillation, cross-dataset consistency and correlations with Schwartz.
Pure statistics on pandas tables: nothing here calls a model."""

from gpla.validity.consistency import (
    consistency_safety_correlation,
    cross_dataset_consistency,
)
from gpla.validity.correlate import Correlation, correlate
from gpla.validity.distill import (
    AlignmentReward,
    DistillProgress,
    distill_coordinate,
    distill_progress,
    distill_target,
    pairs_from_judgments,
)
from gpla.validity.factor_scores import (
    factor_scores,
    keys_from_loadings,
    mapped_scores,
    unit_weighted_scores,
    wide_loadings,
)
from gpla.validity.safety import (
    BradleyTerryProbe,
    SafetyProbeResult,
    compare_value_systems,
    evaluate_safety_prediction,
    pairwise_accuracy,
    salad_bench_safety,
)
from gpla.validity.schwartz import SchwartzCorrelation, correlate_with_schwartz

__all__ = [
    "AlignmentReward",
    "BradleyTerryProbe",
    "Correlation",
    "DistillProgress",
    "SafetyProbeResult",
    "SchwartzCorrelation",
    "compare_value_systems",
    "consistency_safety_correlation",
    "correlate",
    "correlate_with_schwartz",
    "cross_dataset_consistency",
    "distill_coordinate",
    "distill_progress",
    "distill_target",
    "evaluate_safety_prediction",
    "factor_scores",
    "keys_from_loadings",
    "mapped_scores",
    "pairs_from_judgments",
    "pairwise_accuracy",
    "salad_bench_safety",
    "unit_weighted_scores",
    "wide_loadings",
]
