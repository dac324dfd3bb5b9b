"""Backends by spec kind: built-ins, in-process registrations and third-party entry points.

A third party adds a backend without touching gpla by declaring, in its own ``pyproject.toml``::

    [project.entry-points."gpla.chat_backends"]
    mykind = "mypkg.backend:MyBackend"

(``gpla.embedding_backends`` for embeddings), or in code with ``register_chat_backend``. Entry points
are read only when a spec's kind is not already registered, and their module is imported only when a
model of that kind is loaded, so ``gpla --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gpla.errors import ConfigError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

# A "module:Class" imported when first used, or the class / factory itself. It is called as
# ``target(model, base_url=..., **options)``.
Target = str | Callable[..., Any]


class BackendRegistry:
    """One group of backends (chat or embedding)."""

    def __init__(self, group: str, builtins: dict[str, Target]) -> None:
        self.group = group
        self.targets: dict[str, Target] = {}
        self._discovered: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, Target] = {}
        for kind, target in builtins.items():
            self.register(kind, target)

    def register(self, kind: str, target: Target, *, replace: bool = False) -> None:
        if not kind or ":" in kind or kind != kind.strip():
            raise ConfigError(f"backend kind {kind!r}: expected a non-empty name without ':'")
        if kind in self.targets and self.targets[kind] != target and not replace:
            raise ConfigError(
                f"backend kind {kind!r} is already registered ({self.targets[kind]!r}); "
                "pass replace=True to override it"
            )
        self.targets[kind] = target

    def discovered(self) -> dict[str, EntryPoint]:
        """This group's entry points by name, read once (``forget_discovered`` reads them again)."""
        if self._discovered is None:
            from importlib.metadata import entry_points

            self._discovered = {ep.name: ep for ep in entry_points(group=self.group)}
        return self._discovered

    def forget_discovered(self) -> None:
        self._discovered = None
        self._loaded = {}

    def knows(self, kind: str) -> bool:
        return kind in self.targets or kind in self.discovered()

    def kinds(self) -> tuple[str, ...]:
        """Registered kinds first, then discovered ones (a registered kind wins over an entry point)."""
        return tuple(self.targets) + tuple(k for k in self.discovered() if k not in self.targets)

    def target(self, kind: str) -> Target:
        if kind in self.targets:
            return self.targets[kind]
        if kind in self._loaded:
            return self._loaded[kind]
        ep = self.discovered().get(kind)
        if ep is None:
            raise ConfigError(
                f"no {self.group} backend {kind!r}; known kinds: {', '.join(self.kinds())}"
            )
        try:
            loaded = ep.load()
        except Exception as exc:  # any failure of a third party's import is theirs to fix
            dist = ep.dist.name if ep.dist is not None else "an unknown distribution"
            raise ConfigError(
                f"backend {kind!r} (entry point {ep.value!r} in group {self.group} of {dist}) "
                f"failed to load: {type(exc).__name__}: {exc}".replace("\n", " ")
            ) from None
        if not callable(loaded):
            raise ConfigError(f"backend {kind!r} (entry point {ep.value!r}) is not callable")
        self._loaded[kind] = loaded
        return loaded


# Built-ins are strings so that `gpla --help` never loads torch or llama.cpp.
chat_backends = BackendRegistry(
    "gpla.chat_backends",
    {
        "llamacpp": "gpla.models.llamacpp:LlamaCppBackend",
        "openai": "gpla.models.openai_compat:OpenAIBackend",
        "hf": "gpla.models.hf:HFBackend",
        "vllm": "gpla.models.vllm_backend:VLLMBackend",
    },
)
embedding_backends = BackendRegistry(
    "gpla.embedding_backends",
    {
        "st": "gpla.models.embeddings:SentenceTransformerEmbedding",
        "openai": "gpla.models.embeddings:OpenAIEmbedding",
    },
)
# The registered targets by kind (the same dicts, so they also show later registrations).
CHAT_BACKENDS = chat_backends.targets
EMBEDDING_BACKENDS = embedding_backends.targets


def register_chat_backend(kind: str, target: Target, *, replace: bool = False) -> None:
    """Make ``kind:MODEL`` specs load ``target`` (``"module:Class"`` or a class / factory called as
    ``target(model, base_url=..., **options)`` returning a ``gpla.models.backend.Backend``)."""
    chat_backends.register(kind, target, replace=replace)


def register_embedding_backend(kind: str, target: Target, *, replace: bool = False) -> None:
    """Make ``kind:MODEL`` embedding specs load ``target`` (an ``EmbeddingModel`` with ``identity()``)."""
    embedding_backends.register(kind, target, replace=replace)


def forget_discovered_backends() -> None:
    """Read the entry points again at the next unknown kind (after installing a plugin in-process)."""
    import importlib

    importlib.invalidate_caches()
    chat_backends.forget_discovered()
    embedding_backends.forget_discovered()
