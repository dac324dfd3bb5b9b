"""The GPLA agents: each takes a model (or a model spec) and turns a batch into pandas rows.

``PerceptionParser`` (texts → perceptions), ``ValueGenerator`` (perceptions → value mentions),
``ValueEvaluator`` (perception × value → relevance, valence, score), ``QuestionDesigner`` (value →
value-eliciting question). Unreadable model replies become rows with an ``error`` column.
"""

from gpla.agents.perception_parser import PerceptionParser
from gpla.agents.question_designer import QuestionDesigner
from gpla.agents.value_evaluator import ValueEvaluator, score_rule
from gpla.agents.value_generator import ValueGenerator

__all__ = ["PerceptionParser", "QuestionDesigner", "ValueEvaluator", "ValueGenerator", "score_rule"]
