"""Real local models for the validation tests."""

from model_fixtures import embedded_model  # noqa: F401  (the embedded llama.cpp Gemma)
