"""Session fixtures with real local models, usable from any test folder:

    from model_fixtures import embedded_model, openai_server  # noqa: F401

- ``embedded_model``: the embedded Gemma 3 270M (``llamacpp:default``) behind the shared wrapper, with
  the persistent cache off so that every call really runs the model (the GGUF is loaded once per process).
- ``openai_server``: base URL (``http://127.0.0.1:PORT/v1``) of llama-cpp-python's OpenAI-compatible
  server serving the same GGUF in a subprocess (``--logits_all true`` so completions return logprobs).
  Use it as ``load_chat_model(f"openai:gemma@{openai_server}")``.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gpla.models import ChatModel, load_chat_model


@pytest.fixture(scope="session")
def embedded_model() -> ChatModel:
    return load_chat_model("llamacpp:default", cache=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(
    url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(
        f"server at {url} did not come up in {timeout:.0f} s:\n{log.read_text()[-3000:]}"
    )


_server: tuple[subprocess.Popen[bytes], str] | None = None


def _stop_server() -> None:
    if _server is not None:
        proc = _server[0]
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One server per test process: several conftests import this fixture, and each import is a
    separate session fixture to pytest, so the process itself is a module-level singleton."""
    global _server
    if _server is not None and _server[0].poll() is None:
        return _server[1]
    from gpla.models.llamacpp import default_model_path

    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(default_model_path()),
        "--host", "127.0.0.1", "--port", str(port),
        "--logits_all", "true",  # completions logprobs need every position's logits
        "--n_ctx", "1024",
        "--n_threads", "1", "--n_threads_batch", "1",  # the test process runs a model too
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ})
    _server = (proc, f"http://127.0.0.1:{port}/v1")
    atexit.register(_stop_server)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/v1/models", proc, log)
    except BaseException:
        _stop_server()
        _server = None
        raise
    return _server[1]
