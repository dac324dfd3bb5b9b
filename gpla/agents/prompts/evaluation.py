"""Value Evaluator prompts: GPV's ValueLlama protocol (Ye et al., "Generative Psychometrics for Values").

The two templates are GPV's own strings, verbatim: ValueLlama was fine-tuned on them, so a word of
difference changes its answers. Source: github.com/Value4AI/gpv, ``gpv/valuellama.py``
(``ValueLlama.__init__``, ``self.valence_template`` and ``self.relevance_template``). They are plain
completion prompts (no chat template) ending in ``Sentence: {s}\\nValue: {v}\\nOutput:\\n`` (a real
newline after "Output:"); the answer is the next token's label probabilities: relevance "yes"/"no",
valence "support"/"oppose"/"either".

Everything up to ``Value: `` depends only on the sentence, so the prompts of one perception share a
prefix that a backend can keep in its KV cache across values (issue 8).
"""

from __future__ import annotations

RELEVANCE_LABELS = ("yes", "no")
VALENCE_LABELS = ("support", "oppose", "either")

# Verbatim from Value4AI/gpv gpv/valuellama.py (relevance_template / valence_template, first line).
RELEVANCE_TASK = (
    "[Task] Given a sentence and a value, determine whether the sentence is relevant to the value. "
    'If the sentence is relevant to the value, output "yes", otherwise output "no".'
)
VALENCE_TASK = (
    "[Task] Given a sentence and a value, determine whether the sentence supports or opposes the value. "
    'If the sentence supports the value, output "support". If the sentence opposes the value, output '
    '"oppose". If you need more context to make a decision, output "either".'
)


def sentence_prefix(task: str, sentence: str) -> str:
    """The part shared by every value of one sentence (ends with ``Value: ``).

    The sentence goes in as given, line breaks included: GPV's ``str.format`` does not clean it.
    """
    return f"{task}\nSentence: {sentence}\nValue: "


def relevance_prompt(sentence: str, value: str) -> str:
    """GPV's ``relevance_template.format(sentence=..., value=...)``: the next token answers "yes"/"no"."""
    return f"{sentence_prefix(RELEVANCE_TASK, sentence)}{value}\nOutput:\n"


def valence_prompt(sentence: str, value: str) -> str:
    """GPV's ``valence_template.format(...)``: "support", "oppose" or "either" (needs more context)."""
    return f"{sentence_prefix(VALENCE_TASK, sentence)}{value}\nOutput:\n"
