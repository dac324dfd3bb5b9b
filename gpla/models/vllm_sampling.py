"""GPV's evaluator protocol on vLLM: the folder's generation config as vLLM sampling options whose
processed logprobs equal transformers' ``generate(...).scores[0]`` (what GPV's ``valuellama.py`` reads).

vLLM's own reading of a generation config (``get_diff_sampling_param``) takes temperature, top-k,
top-p, min-p and the repetition penalty but ignores ``do_sample`` and transformers' defaults (top_k =
50 when a config samples without one, as ValueLlama's does), so the options are built here.
"""

from __future__ import annotations

from typing import Any

from gpla.errors import ConfigError


def gpv_sampling(config: Any) -> tuple[dict[str, Any], str]:
    """vLLM sampling options whose processed logprobs are ``generate``'s ``scores[0]`` under the
    generation config ``config`` (GPV's protocol), and a description of the processors applied.

    vLLM applies penalties, then temperature, then min-p, then top-k/top-p; transformers applies
    penalties, temperature, top-k, top-p, then min-p. Settings vLLM cannot reproduce in that order
    (or at all) raise a ConfigError naming them rather than giving other numbers than GPV's."""
    from gpla.models.hf_processors import (
        GenerationProcessors,
        generation_defaults,
        generation_setting,
    )

    GenerationProcessors(config)  # raises on the settings hf.py does not reproduce either
    defaults = generation_defaults()

    def get(name: str) -> Any:
        return generation_setting(config, name, defaults)

    unsupported: dict[str, tuple[Any, ...]] = {
        "suppress_tokens": (None,),
        "begin_suppress_tokens": (None,),
    }
    if get("do_sample"):
        unsupported.update({"typical_p": (None, 1.0), "epsilon_cutoff": (None, 0.0),
                            "eta_cutoff": (None, 0.0)})  # fmt: skip
        top_k, top_p = get("top_k") or 0, get("top_p")
        top_p = 1.0 if top_p is None else float(top_p)
        min_p = get("min_p") or 0.0
        if min_p and (top_k or top_p < 1.0):
            unsupported["min_p"] = (None, 0.0)  # applied before top-k/top-p by vLLM, after by HF
        temperature = get("temperature")
        temperature = 1.0 if temperature is None else float(temperature)
    else:
        top_k, top_p, min_p, temperature = 0, 1.0, 0.0, 0.0
    bad = [f"{n}={get(n)!r}" for n, neutral in unsupported.items() if get(n) not in neutral]
    if bad:
        raise ConfigError(
            f"protocol 'gpv' on vllm: this model's generation config sets {', '.join(bad)}, which "
            "vLLM's sampler does not apply as transformers' generate does; use an hf: spec, edit "
            "generation_config.json or use protocol 'raw'"
        )
    penalty = get("repetition_penalty")
    penalty = 1.0 if penalty is None else float(penalty)
    # seed: the one sampled token is thrown away, but fixed all the same.
    options = {"temperature": temperature, "top_k": int(top_k), "top_p": top_p,
               "min_p": float(min_p), "repetition_penalty": penalty, "seed": 0}  # fmt: skip
    applied = [
        name
        for name, on in (
            ("repetition_penalty", penalty != 1.0),
            ("temperature", temperature not in (0.0, 1.0)),
            ("min_p", bool(min_p)),
            ("top_k", bool(top_k)),
            ("top_p", top_p < 1.0),
        )
        if on
    ]
    return options, ", ".join(applied) or "none"
