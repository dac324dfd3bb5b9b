"""Session fixtures: the packaged Gemma 3 270M as a transformers folder (``hf:default``), usable from any
test folder:

    from hf_gemma import gemma_cache, gemma_hf_dir, gemma_sampling_dir  # noqa: F401

- ``gemma_cache``: the cache root the folder is converted into. The conversion takes one to a few
  minutes, so ``GPLA_TEST_MODEL_CACHE`` may name a folder kept across sessions; by default it is a
  fresh temporary folder of the session.
- ``gemma_hf_dir``: the converted folder (float32, greedy generation config: GPV's processors are
  the identity).
- ``gemma_sampling_dir``: the same weights (symlinked) with a sampling generation config
  (``SAMPLING``): temperature and top-k then shape GPV's scores, and top-k cuts labels.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# top_k = 500: on the evaluator prompts below, "yes"/"no" rank between ~60 and ~1300 in this model's
# next-token distribution without BOS, so some rows keep both labels, some lose one, some lose both.
SAMPLING = {"do_sample": True, "temperature": 0.7, "top_k": 500}


@pytest.fixture(scope="session")
def gemma_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    kept = os.environ.get("GPLA_TEST_MODEL_CACHE")
    # A fixed name under the session's base: conftests of two folders import this fixture, and
    # each import is its own session fixture; they then convert once and share the folder.
    return Path(kept) if kept else tmp_path_factory.getbasetemp() / "hf-default-cache"


@pytest.fixture(scope="session")
def gemma_hf_dir(gemma_cache: Path) -> Path:
    from gpla.models.hf_default import default_folder

    return default_folder(gemma_cache)


@pytest.fixture(scope="session")
def gemma_sampling_dir(gemma_hf_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gemma-sampling")
    for item in gemma_hf_dir.iterdir():
        if item.name != "generation_config.json":
            (folder / item.name).symlink_to(item)
    config = json.loads((gemma_hf_dir / "generation_config.json").read_text())
    (folder / "generation_config.json").write_text(json.dumps({**config, **SAMPLING}, indent=2))
    return folder
