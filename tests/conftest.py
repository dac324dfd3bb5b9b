"""Project-wide test set-up: a global seed, isolated caches, zero retry waits, the shared data path."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("GPLA_SHARED", str((ROOT.parent / "shared").resolve()))
os.environ.setdefault("GPLA_QUIET", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _seed() -> None:
    random.seed(0)
    np.random.seed(0)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Model-call cache of the session in a temp dir, so tests never read a developer's cache."""
    monkeypatch.setenv("GPLA_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "model-cache"))


@pytest.fixture(autouse=True)
def _no_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries still happen, but back-off sleeps are zeroed (the wrapper multiplies waits by this)."""
    monkeypatch.setenv("GPLA_RETRY_WAIT_SCALE", "0")


@pytest.fixture(scope="session")
def shared() -> Path:
    from gpla.shared import shared_root

    return shared_root()
