"""The packaged all-MiniLM-L6-v2, loaded offline through sentence-transformers."""

from __future__ import annotations

import numpy as np

from gpla.models import EmbeddingModel, load_embedding_model


def test_default_embeddings_are_normalised_and_meaningful() -> None:
    model = load_embedding_model()
    assert isinstance(model, EmbeddingModel) and model.name == "st:default"
    texts = [
        "Honesty",
        "Truthfulness",
        "Being honest with others",
        "Financial wealth",
        "Tax revenue",
    ]
    vectors = model.embed(texts)
    assert vectors.shape == (5, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    sim = vectors @ vectors.T
    assert sim[0, 1] > sim[0, 3] and sim[0, 2] > sim[0, 4] and sim[3, 4] > sim[1, 4]
    assert model.embed([]).shape == (0, 384)
    np.testing.assert_allclose(
        load_embedding_model("st:default").embed(["Honesty"]), vectors[:1], atol=1e-5
    )


def test_vectors_are_cached_across_model_loads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cache.sqlite"
    texts = ["Honesty", "Care", "Honesty"]
    first = load_embedding_model("st:default", cache=path)
    vectors = first.embed(texts)
    assert (first.hits, first.misses) == (0, 2)  # a repeated text is embedded once
    again = load_embedding_model("st:default", cache=path)
    np.testing.assert_array_equal(again.embed(texts[::-1]), vectors[::-1])
    assert (again.hits, again.misses) == (3, 0)
    fresh = load_embedding_model("st:default", cache=False).embed(texts)
    np.testing.assert_allclose(fresh, vectors, atol=1e-6)
