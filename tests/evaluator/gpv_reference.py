"""An independent reference for GPV's measurement code, for the evaluator tests.

It does with the transformers API what Value4AI/gpv ``gpv/valuellama.py`` does (commit 23b3b4c4635a,
class ``ValueLlama``: templates lines 20-28, ``get_token_ids`` lines 36-46, ``get_probs`` and
``get_probs_template`` lines 74-117):
the label id of each word is the first token of ``tokenizer.tokenize(word)``; prompts are tokenised
without special tokens, left-padded to the batch's longest (a multiple of 8); the scores are
``generate(max_new_tokens=1, return_dict_in_generate=True, output_scores=True).scores[0]``, i.e. after
the model's generation-config processors; softmax over the vocabulary, the label columns picked and
renormalised. It is written here, not copied, and shares no code with ``gpla.models``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

# Value4AI/gpv gpv/valuellama.py lines 20-28 (ValueLlama.__init__): the two templates, verbatim.
GPV_VALENCE_TEMPLATE = (
    "[Task] Given a sentence and a value, determine whether the sentence supports or opposes the "
    'value. If the sentence supports the value, output "support". If the sentence opposes the '
    'value, output "oppose". If you need more context to make a decision, output "either".\n'
    "Sentence: {sentence}\nValue: {value}\nOutput:\n"
)
GPV_RELEVANCE_TEMPLATE = (
    "[Task] Given a sentence and a value, determine whether the sentence is relevant to the value. "
    'If the sentence is relevant to the value, output "yes", otherwise output "no".\n'
    "Sentence: {sentence}\nValue: {value}\nOutput:\n"
)


# The probe pairs every backend's GPV-agreement test scores (hf, vllm).
SENTENCES = [
    "I volunteer at the animal shelter every weekend.",
    "I want to be rich and admired by everyone.",
    "Rules exist for a reason and I follow them.",
]
VALUES = ["Benevolence", "Power", "Tradition"]


class GPVReference:
    """GPV's ValueLlama procedure on a local transformers folder, in float32 on the CPU."""

    def __init__(self, folder: Path, batch_size: int = 8) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        self.model.generation_config.pad_token_id = self.tokenizer.eos_token_id
        self.batch_size = batch_size

    def label_id(self, word: str) -> int:
        return int(self.tokenizer.convert_tokens_to_ids(self.tokenizer.tokenize(word)[0]))

    def probs(self, prompts: Sequence[str], words: Sequence[str]) -> np.ndarray:
        import torch

        ids = [self.label_id(w) for w in words]
        rows = []
        self.tokenizer.padding_side = "left"
        for start in range(0, len(prompts), self.batch_size):
            enc = self.tokenizer(
                list(prompts[start : start + self.batch_size]),
                return_tensors="pt",
                padding="longest",
                truncation=False,
                pad_to_multiple_of=8,
                add_special_tokens=False,
            )
            torch.manual_seed(0)  # generate samples its one token; the scores do not depend on it
            with torch.no_grad():
                out = self.model.generate(
                    **enc, max_new_tokens=1, return_dict_in_generate=True, output_scores=True
                )
            rows.append(out.scores[0].detach().cpu())
        probs = torch.softmax(torch.cat(rows), dim=-1)[:, ids]
        return (probs / probs.sum(dim=-1, keepdim=True)).double().numpy()

    def relevance(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        prompts = [GPV_RELEVANCE_TEMPLATE.format(sentence=s, value=v) for s, v in pairs]
        return self.probs(prompts, ["yes", "no"])

    def valence(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        prompts = [GPV_VALENCE_TEMPLATE.format(sentence=s, value=v) for s, v in pairs]
        return self.probs(prompts, ["support", "oppose", "either"])
