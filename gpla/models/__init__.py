"""The only place that talks to an LLM or an embedding model (see ``base.py`` for the protocol)."""

from gpla.models.base import ChatModel, ChatRequest, ChatResult, EmbeddingModel, Message
from gpla.models.registry import (
    ModelSpec,
    load_chat_model,
    load_embedding_model,
    parse_spec,
    register_chat_backend,
    register_embedding_backend,
)
from gpla.models.usage import Usage, total_usage

__all__ = [
    "ChatModel",
    "ChatRequest",
    "ChatResult",
    "EmbeddingModel",
    "Message",
    "ModelSpec",
    "Usage",
    "load_chat_model",
    "load_embedding_model",
    "parse_spec",
    "register_chat_backend",
    "register_embedding_backend",
    "total_usage",
]
