"""Session fixture: vLLM's engine (the CPU build) on the packaged Gemma's transformers folder, loaded once
per session and shared by every test that asks for it (loading takes a minute or more and starts worker
processes with ``spawn``; pytest's entry points are guarded), usable from any test folder:

    from hf_gemma import gemma_cache, gemma_hf_dir  # noqa: F401
    from vllm_fixtures import vllm_gemma  # noqa: F401

``enforce_eager=true`` skips torch.compile's warm-up (minutes on 2 cores); the numbers are the same
kernels' (the tests compare them with GPV's reference). ``vllm_spec(folder)`` builds that spec.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gpla.models import ChatModel, load_chat_model


def vllm_spec(folder: Path) -> str:
    return f"vllm:{folder}?enforce_eager=true"


@pytest.fixture(scope="session")
def vllm_gemma(gemma_hf_dir: Path) -> Iterator[ChatModel]:
    pytest.importorskip("vllm")
    yield load_chat_model(vllm_spec(gemma_hf_dir), cache=False)
    from gpla.models.vllm_backend import shutdown_engines

    shutdown_engines()
