"""Pipeline tests share the packaged Gemma as a transformers folder (tests/hf_gemma.py): the Ray engine
test runs a ``vllm:`` evaluator on it inside the workers."""

from hf_gemma import gemma_cache, gemma_hf_dir  # noqa: F401
