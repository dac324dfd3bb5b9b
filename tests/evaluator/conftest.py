"""Evaluator tests share the session's embedded model (see tests/model_fixtures.py)."""

from model_fixtures import embedded_model, openai_server  # noqa: F401
