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
