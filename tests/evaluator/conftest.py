"""Evaluator tests share the session's embedded model (see tests/model_fixtures.py) and the packaged
Gemma as a transformers folder (tests/hf_gemma.py), and vLLM's engine on that folder (tests/vllm_fixtures.py)."""

from hf_gemma import gemma_cache, gemma_hf_dir, gemma_sampling_dir  # noqa: F401
from model_fixtures import embedded_model, openai_server  # noqa: F401
from vllm_fixtures import vllm_gemma  # noqa: F401
