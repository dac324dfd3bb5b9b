"""Shared fixtures of the Value Portrait tests: the item bank and the authors' data, read in place."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gpla.portrait.items import ItemBank, load_items
from gpla.portrait.responses import load_responses


@pytest.fixture(scope="session")
def vp_data(shared: Path) -> Path:
    return shared / "data" / "valueportrait"


@pytest.fixture(scope="session")
def bank() -> ItemBank:
    return load_items()


@pytest.fixture(scope="session")
def averaged(vp_data: Path) -> pd.DataFrame:
    """The 24 models' averaged answers published with the paper."""
    return load_responses(vp_data / "averaged_outputs")


from model_fixtures import embedded_model, openai_server  # noqa: E402, F401  (real local models)
