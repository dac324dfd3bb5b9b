"""What a stage gets to work with: the config, the run directory, the models, a logger."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from gpla.config import RunConfig
from gpla.errors import DataError
from gpla.models.base import ChatModel, EmbeddingModel
from gpla.stages.checkpoint import BatchStore, BatchTables, T, run_batched

USAGE_FIELDS = ("calls", "prompt_tokens", "completion_tokens", "cache_hits")
BATCH_API_MAX_REQUESTS = 50_000  # OpenAI's limit per batch file


def _load_chat(spec: str, **options: Any) -> ChatModel:
    from gpla.models import load_chat_model

    return load_chat_model(spec, **options)


def _load_embedder(spec: str) -> EmbeddingModel:
    from gpla.models import load_embedding_model

    return load_embedding_model(spec)


class ModelPool:
    """Loads each model spec once per run and sums the usage counters of everything it loaded.

    The factories default to the model layer; tests of pure plumbing inject fakes.
    """

    def __init__(
        self,
        chat: Callable[..., ChatModel] = _load_chat,
        embedder: Callable[[str], EmbeddingModel] = _load_embedder,
        lazy: bool = False,
    ) -> None:
        # lazy (the Ray driver): a chat model loads on first use, so models only workers call
        # (subjects, the evaluator) never load here.
        self._lazy = lazy
        self._chat_factory = chat
        self._embed_factory = embedder
        self._chat: dict[tuple[str, str], ChatModel] = {}
        self._embed: dict[str, EmbeddingModel] = {}
        self._elsewhere = dict.fromkeys(USAGE_FIELDS, 0)  # usage of copies in Ray workers

    def chat(self, spec: str, **options: Any) -> ChatModel:
        """The model of ``spec``, loaded once per set of ``options`` (see ``load_chat_model``)."""
        key = (spec, repr(sorted(options.items())))
        loaded = self._chat.get(key)
        if loaded is None and self._lazy:
            from gpla.models.recipes import LazyChatModel

            self._chat[key] = LazyChatModel(spec, options, self._chat_factory)
        elif loaded is None:
            self._chat[key] = self._chat_factory(spec, **options)
        elif isinstance(loaded, tuple):  # a recipe: this pool was sent to a Ray worker
            from gpla.models.recipes import rebuild_chat_model

            self._chat[key] = rebuild_chat_model(*loaded)
        return self._chat[key]

    def batch_chat(self, spec: str) -> ChatModel:
        """``spec`` through the OpenAI Batch API when it is an ``openai:`` model, else as usual."""
        if not spec.startswith("openai:"):
            return self.chat(spec)
        return self.chat(spec, batch_api=True, batch_size=BATCH_API_MAX_REQUESTS)

    def embedder(self, spec: str) -> EmbeddingModel:
        loaded = self._embed.get(spec)
        if loaded is None:
            self._embed[spec] = self._embed_factory(spec)
        elif isinstance(loaded, tuple):
            from gpla.models.recipes import rebuild_embedding_model

            self._embed[spec] = rebuild_embedding_model(*loaded)
        return self._embed[spec]

    def __getstate__(self) -> dict[str, Any]:
        # Sent to a Ray worker, the pool carries recipes: a model loads there only when asked for.
        # Models without one (plumbing fakes) stay behind.
        state = dict(self.__dict__)
        for name in ("_chat", "_embed"):
            state[name] = {k: m.recipe for k, m in state[name].items() if getattr(m, "recipe", None)}
        return state

    def add_usage(self, counts: dict[str, int]) -> None:
        """Count what copies of these models spent in other processes (``gpla.engine``)."""
        for name in USAGE_FIELDS:
            self._elsewhere[name] += int(counts.get(name, 0))

    def usage(self) -> dict[str, int]:
        """Totals over the loaded chat models (``.usage`` of wrapped models; ``.calls`` of bare ones)
        and their copies elsewhere."""
        total = dict(self._elsewhere)
        for model in self._chat.values():
            if isinstance(model, tuple):
                continue
            usage = getattr(model, "usage", None)
            if usage is None:
                total["calls"] += int(getattr(model, "calls", 0))
                continue
            for name in USAGE_FIELDS:
                total[name] += int(getattr(usage, name, 0))
        return total


@dataclass
class StageContext:
    config: RunConfig
    run_dir: Path
    models: ModelPool
    key: str
    log: logging.Logger
    stage: str
    notes: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    on_checkpoint: Callable[[], None] | None = None
    """Called after each committed batch (the pipeline persists the usage counters)."""

    def __getstate__(self) -> dict[str, Any]:
        # A stage's work travels to Ray workers with its context; the pipeline's callback stays here.
        return {**self.__dict__, "on_checkpoint": None}

    def path(self, artifact: str) -> Path:
        return self.run_dir / f"{artifact}.parquet"

    def read(self, artifact: str) -> pd.DataFrame:
        path = self.path(artifact)
        if not path.exists():
            raise DataError(f"{path} is missing: run the stage that writes {artifact!r} first (or drop --from)")
        return pd.read_parquet(path)

    def write(self, artifact: str, table: pd.DataFrame, index: bool = False) -> None:
        """Atomic write of one artifact (a half-written Parquet file is never left behind)."""
        path = self.path(artifact)
        tmp = path.with_suffix(".parquet.tmp")
        table.to_parquet(tmp, index=index)
        tmp.replace(path)

    def perception_parser(self, unit: str) -> Any:
        """The PerceptionParser, or a model-free splitter for ``unit`` = sentences / whole."""
        if unit != "parser":
            from gpla.measure.segmenting import TextPerceptions

            return TextPerceptions(unit)  # type: ignore[arg-type]
        from gpla.agents import PerceptionParser

        return PerceptionParser(self.models.chat(self.config.models.spec("parser")),
                                **self.config.agents.options("parser"))

    def store(self, batch_size: int) -> BatchStore:
        """This stage's checkpoints. Batch sizes are not part of the stage key (they do not change
        results), but checkpoints of another batch size cannot be reused, so they stamp the store."""
        return BatchStore(self.run_dir / "partial" / self.stage, f"{self.key}/{batch_size}")

    def batched(self, items: Sequence[T], batch_size: int, work: Callable[[list[T]], BatchTables],
                description: str, columns: dict[str, list[str]]) -> BatchTables:
        """``run_batched`` over this stage's checkpoints (see ``gpla.stages.checkpoint``), on Ray
        workers when ``engine.kind = "ray"`` (``gpla.engine``)."""
        executor = None
        if self.config.engine.kind == "ray":
            from gpla.engine.ray_batches import RayExecutor

            executor = RayExecutor(self.config.engine, self.models, f"{self.stage}: {description}", list(columns))
        return run_batched(self.store(batch_size), items, batch_size, work, description, columns,
                           on_commit=self.on_checkpoint, executor=executor)

    def note(self, text: str) -> None:
        """Something the report and manifest should say about this stage (degradations, skips, counts)."""
        self.log.info("%s: %s", self.stage, text)
        self.notes.append(text)
