"""The packaged all-MiniLM-L6-v2 (``st:default``), loaded once per process by gpla.models."""

from __future__ import annotations

import pytest

from gpla.models import load_embedding_model
from gpla.models.base import EmbeddingModel


@pytest.fixture(scope="module")
def minilm() -> EmbeddingModel:
    return load_embedding_model("st:default")
