"""The logits processors ``generate`` applies to the first new token, for the GPV label protocol.

GPV reads ``model.generate(max_new_tokens=1, output_scores=True).scores[0]`` (Value4AI/gpv,
``gpv/valuellama.py``, ``get_probs``): the logits *after* the model's generation config has processed
them (temperature, top-k, top-p... when ``do_sample`` is set; ValueLlama-3-8B inherits Llama 3's
sampling settings). Our label scoring runs plain forward passes (and shared-prefix passes), so the
same processors are applied here to their full-vocabulary logits, built from transformers' public
processor classes in the order ``GenerationMixin._get_logits_processor`` appends them, with unset
fields taking generate's global defaults (e.g. top_k = 50 when sampling).

Why not call ``_get_logits_processor`` itself: it is private, needs the rest of generate's preparation
(special-token tensors, lengths) and its signature changes between releases. Settings whose processors
are not reproduced here (forced tokens, n-gram bans, classifier-free guidance, ...) raise a
ConfigError naming them instead of giving numbers that differ from GPV's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gpla.errors import ConfigError

# Set to anything but their neutral value, these add processors that are not reproduced here.
_UNSUPPORTED = {
    "guidance_scale": (None, 1, 1.0),
    "sequence_bias": (None,),
    "encoder_repetition_penalty": (None, 1.0),
    "no_repeat_ngram_size": (None, 0),
    "encoder_no_repeat_ngram_size": (None, 0),
    "bad_words_ids": (None,),
    "min_length": (None, 0),
    "min_new_tokens": (None, 0),
    "forced_bos_token_id": (None,),
    "forced_eos_token_id": (None,),
    "exponential_decay_length_penalty": (None,),
    "watermarking_config": (None,),
    "top_h": (None,),
    "num_beams": (None, 1),
}


def generation_setting(config: Any, name: str, defaults: dict[str, Any]) -> Any:
    """A generation setting as generate sees it: the model's value, else transformers' global default."""
    value = getattr(config, name, None)
    return defaults.get(name) if value is None else value


def generation_defaults() -> dict[str, Any]:
    from transformers import GenerationConfig

    # transformers >= 5 leaves unset fields None and fills them at generate time; 4.x sets them in
    # GenerationConfig itself, so there is nothing to fill.
    get = getattr(GenerationConfig, "_get_default_generation_params", None)
    return dict(get()) if callable(get) else {}


class GenerationProcessors:
    """The processors of one model's generation config, applied to next-token logit rows."""

    def __init__(self, generation_config: Any) -> None:
        from transformers import (
            EpsilonLogitsWarper,
            EtaLogitsWarper,
            MinPLogitsWarper,
            RepetitionPenaltyLogitsProcessor,
            SuppressTokensLogitsProcessor,
            TemperatureLogitsWarper,
            TopKLogitsWarper,
            TopPLogitsWarper,
            TypicalLogitsWarper,
        )

        defaults = generation_defaults()

        def get(name: str) -> Any:
            return generation_setting(generation_config, name, defaults)

        bad = [n for n, neutral in _UNSUPPORTED.items() if get(n) not in neutral]
        if bad:
            raise ConfigError(
                "protocol 'gpv': this model's generation config sets "
                f"{', '.join(f'{n}={get(n)!r}' for n in bad)}, whose logits processors gpla does not "
                "reproduce; edit generation_config.json or use protocol 'raw'"
            )
        self.uses_prompt = False  # whether a processor reads the prompt's token ids
        procs: list[Any] = []
        penalty = get("repetition_penalty")
        if penalty is not None and penalty != 1.0:
            procs.append(RepetitionPenaltyLogitsProcessor(penalty))
            self.uses_prompt = True
        if get("suppress_tokens") is not None:
            procs.append(SuppressTokensLogitsProcessor(get("suppress_tokens")))
        if get("begin_suppress_tokens") is not None:
            # "Begin" suppression acts at the first new token, the only one GPV reads: plain suppression.
            procs.append(SuppressTokensLogitsProcessor(get("begin_suppress_tokens")))
        if get("do_sample"):  # the former "warpers": applied only when sampling
            temperature, top_k, top_p = get("temperature"), get("top_k"), get("top_p")
            if temperature is not None and temperature != 1.0:
                procs.append(TemperatureLogitsWarper(temperature))
            if top_k is not None and top_k != 0:
                procs.append(TopKLogitsWarper(top_k=top_k))
            if top_p is not None and top_p < 1.0:
                procs.append(TopPLogitsWarper(top_p=top_p))
            if get("min_p") is not None:
                procs.append(MinPLogitsWarper(min_p=get("min_p")))
            typical = get("typical_p")
            if typical is not None and typical < 1.0:
                procs.append(TypicalLogitsWarper(mass=typical))
            eps, eta = get("epsilon_cutoff"), get("eta_cutoff")
            if eps is not None and 0.0 < eps < 1.0:
                procs.append(EpsilonLogitsWarper(epsilon=eps))
            if eta is not None and 0.0 < eta < 1.0:
                procs.append(EtaLogitsWarper(epsilon=eta))
        self._procs = procs
        self.description = ", ".join(type(p).__name__ for p in procs) or "none"

    @property
    def identity(self) -> bool:
        """True when the logits pass unchanged (greedy config without penalties)."""
        return not self._procs

    def __call__(self, prompts: Sequence[Sequence[int]], logits: np.ndarray) -> np.ndarray:
        """Rows of ``logits`` (one per prompt, full vocabulary) after the processors, in float32 as
        generate computes them; cut tokens are -inf."""
        import torch

        if self.identity:
            return logits
        scores = torch.as_tensor(np.asarray(logits, dtype=np.float32))
        if not self.uses_prompt:  # the warpers look at the scores only
            ids = torch.zeros((scores.shape[0], 1), dtype=torch.long)
            for proc in self._procs:
                scores = proc(ids, scores)
            return scores.numpy()
        out = np.empty(scores.shape, dtype=np.float32)
        # Row by row on the unpadded prompt: what generate sees, minus its padding (which a
        # repetition penalty would otherwise count for left-padded rows in older releases).
        for j, prompt in enumerate(prompts):
            ids = torch.tensor([list(prompt)], dtype=torch.long)
            row = scores[j : j + 1].clone()
            for proc in self._procs:
                row = proc(ids, row)
            out[j] = row[0].numpy()
        return out
