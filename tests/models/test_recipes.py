"""A loaded model pickles as its recipe (spec, options, cache path) and loads once per process on the
receiving side; keys never travel (they come from the receiver's environment)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from gpla.models import load_chat_model
from gpla.models.cache import CallCache
from gpla.models.wrapper import CachedModel


def test_a_model_travels_as_its_recipe_without_its_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPLA_TEST_KEY", "sk-very-secret")
    model = load_chat_model("openai:m@http://127.0.0.1:9/v1", api_key_env="GPLA_TEST_KEY", max_attempts=2,
                            cache=tmp_path / "calls.sqlite")
    blob = pickle.dumps(model)
    assert b"sk-very-secret" not in blob and b"GPLA_TEST_KEY" in blob
    first, second = pickle.loads(blob), pickle.loads(blob)
    assert first is second and first is not model  # loaded once per process
    assert first.name == model.name and first.max_attempts == 2
    assert first.cache is not None and first.cache.path == tmp_path / "calls.sqlite"


def test_the_cache_travels_as_the_senders_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPLA_CACHE_DIR", str(tmp_path / "sender"))
    blob = pickle.dumps(load_chat_model("openai:m@http://127.0.0.1:9/v1"))
    monkeypatch.setenv("GPLA_CACHE_DIR", str(tmp_path / "receiver"))
    received = pickle.loads(blob)
    assert received.cache.path == tmp_path / "sender" / "calls.sqlite"
    off = pickle.loads(pickle.dumps(load_chat_model("openai:m@http://127.0.0.1:9/v1", cache=False)))
    assert off.cache is None


def test_a_model_not_from_the_registry_says_why_it_cannot_travel(tmp_path: Path) -> None:
    loaded = load_chat_model("openai:m@http://127.0.0.1:9/v1", cache=CallCache(tmp_path / "c.sqlite"))
    bare = CachedModel(loaded.backend)
    with pytest.raises(TypeError, match="only a model from load_chat_model"):
        pickle.dumps(bare)


def test_an_embedder_travels_as_its_recipe(tmp_path: Path) -> None:
    from gpla.models import load_embedding_model

    embedder = load_embedding_model("st:default", cache=tmp_path / "emb.sqlite")
    received = pickle.loads(pickle.dumps(embedder))
    assert received is not embedder and received.name == embedder.name
    assert (received.embed(["Honesty"]) == embedder.embed(["Honesty"])).all()


def test_a_lazy_model_loads_on_first_use_and_travels_as_the_same_recipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gpla.models.recipes import LazyChatModel
    from gpla.stages.context import ModelPool

    monkeypatch.setenv("GPLA_CACHE_DIR", str(tmp_path))
    pool = ModelPool(lazy=True)
    lazy = pool.chat("openai:m@http://127.0.0.1:9/v1", max_attempts=2)
    assert isinstance(lazy, LazyChatModel) and lazy._model is None
    assert pool.usage()["calls"] == 0 and lazy._model is None  # counting loads nothing
    eager = load_chat_model("openai:m@http://127.0.0.1:9/v1", max_attempts=2)
    assert lazy.recipe == eager.recipe  # the same recipe as the loaded model records
    received = pickle.loads(pickle.dumps(lazy))
    assert isinstance(received, CachedModel) and lazy._model is None  # travelled without loading
    assert lazy.routes == eager.routes and lazy._model is not None  # first real use loads it
