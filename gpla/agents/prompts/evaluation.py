"""Value Evaluator prompts: GPV's ValueLlama protocol (Ye et al., "Generative Psychometrics for Values").

Plain completion prompts (no chat template) ending in ``Sentence: {s}\\nValue: {v}\\nOutput:\\n``; the
answer is read as label probabilities of the next token: relevance "yes"/"no", valence
"support"/"oppose"/"either". Keeping this layout lets ``hf:Value4AI/ValueLlama-3-8B`` reproduce GPV.

Everything up to ``Value: `` depends only on the sentence, so the prompts of one perception share a
prefix that a backend can keep in its KV cache across values (issue 8).
"""

from __future__ import annotations

RELEVANCE_LABELS = ("yes", "no")
VALENCE_LABELS = ("support", "oppose", "either")

RELEVANCE_TASK = (
    "[Task] Given a sentence and a value, determine whether the sentence is relevant to the value. "
    'If the sentence is relevant to the value, output "yes", otherwise output "no".'
)
VALENCE_TASK = (
    "[Task] Given a sentence and a value, determine whether the sentence supports or opposes the value. "
    'If the sentence supports the value, output "support"; if it opposes the value, output "oppose"; '
    'if it needs more context to decide, output "either".'
)


def _one_line(text: str) -> str:
    # A newline inside the sentence or value would break the line-based layout the model was trained on.
    return " ".join(str(text).split())


def sentence_prefix(task: str, sentence: str) -> str:
    """The part shared by every value of one sentence (ends with ``Value: ``)."""
    return f"{task}\nSentence: {_one_line(sentence)}\nValue: "


def relevance_prompt(sentence: str, value: str) -> str:
    """Is ``sentence`` relevant to ``value``? The next token answers "yes" or "no"."""
    return f"{sentence_prefix(RELEVANCE_TASK, sentence)}{_one_line(value)}\nOutput:\n"


def valence_prompt(sentence: str, value: str) -> str:
    """Does ``sentence`` support, oppose, or need more context for ``value``?"""
    return f"{sentence_prefix(VALENCE_TASK, sentence)}{_one_line(value)}\nOutput:\n"
