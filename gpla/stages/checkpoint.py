"""Append-only batch checkpoints: a long stage writes each finished batch as its own Parquet files,
so a run killed at any moment (even SIGKILL) resumes by redoing at most the batch in flight.

A batch is committed by writing its tables under temporary names, renaming them, and only then
writing a ``.done`` marker (``os.replace`` is atomic on POSIX): a batch without a marker is redone.
The folder remembers the stage key it was written for; a different key (changed settings or
inputs) wipes it, so stale partial results are never mixed in.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pandas as pd

from gpla.progress import progress_bar

T = TypeVar("T")
BatchTables = dict[str, pd.DataFrame]


class BatchStore:
    """Per-batch Parquet files of one stage in ``root`` (``RUN/partial/<stage>``)."""

    def __init__(self, root: Path, key: str) -> None:
        self.root = root
        stamp = root / "KEY"
        if root.exists() and (not stamp.exists() or stamp.read_text() != key):
            shutil.rmtree(root)
        root.mkdir(parents=True, exist_ok=True)
        stamp.write_text(key)

    def _path(self, index: int, name: str) -> Path:
        return self.root / f"batch-{index:06d}.{name}.parquet"

    def done(self, index: int) -> bool:
        return (self.root / f"batch-{index:06d}.done").exists()

    def write(self, index: int, tables: BatchTables) -> None:
        for name, table in tables.items():
            # Per-process temporary names: a batch redone elsewhere (a Ray worker presumed lost)
            # never renames another writer's half-written file.
            tmp = self.root / f".tmp-{index:06d}-{os.getpid()}.{name}.parquet"
            table.to_parquet(tmp, index=False)
            os.replace(tmp, self._path(index, name))
        (self.root / f"batch-{index:06d}.done").write_text(",".join(tables))

    def read(self, name: str, n_batches: int) -> pd.DataFrame:
        parts = [pd.read_parquet(self._path(i, name)) for i in range(n_batches)]
        non_empty = [p for p in parts if len(p)]
        if not non_empty:
            return parts[0].iloc[0:0] if parts else pd.DataFrame()
        return pd.concat(non_empty, ignore_index=True)

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


# Runs the batches ``todo`` of ``batches`` with ``work`` somewhere else (``gpla.engine``): each is
# written to the store, then ``committed(index)`` is called in this process.
BatchExecutor = Callable[[BatchStore, list[int], list[list[T]], Callable[[list[T]], BatchTables],
                          Callable[[int], None]], None]


def checked(tables: BatchTables, names: Sequence[str], description: str) -> BatchTables:
    missing = set(names) - set(tables)
    if missing:
        raise RuntimeError(f"{description}: batch returned no table named {sorted(missing)}")
    return tables


def run_batched(
    store: BatchStore,
    items: Sequence[T],
    batch_size: int,
    work: Callable[[list[T]], BatchTables],
    description: str,
    columns: dict[str, list[str]],
    on_commit: Callable[[], None] | None = None,
    executor: BatchExecutor[T] | None = None,
) -> BatchTables:
    """Apply ``work`` to consecutive batches of ``items``, skipping batches already committed, and
    return the concatenated tables (in item order). ``columns`` names the tables ``work`` returns
    and their columns (used for the empty result when there is nothing to do). ``on_commit`` runs
    after each committed batch (the pipeline records the usage paid so far, so a kill loses none).
    ``executor`` runs the batches elsewhere (Ray); by default they run here, one after another."""
    names = list(columns)
    batches = [list(items[i : i + batch_size]) for i in range(0, len(items), batch_size)]
    todo = [i for i in range(len(batches)) if not store.done(i)]
    done_items = sum(len(b) for i, b in enumerate(batches) if store.done(i))
    with progress_bar(description, len(items)) as (bar, task):
        bar.advance(task, done_items)

        def committed(i: int) -> None:
            if on_commit is not None:
                on_commit()
            bar.advance(task, len(batches[i]))

        if executor is not None and todo:
            executor(store, todo, batches, work, committed)
        else:
            for i in todo:
                store.write(i, checked(work(batches[i]), names, description))
                committed(i)
    if not batches:
        return {name: pd.DataFrame(columns=cols) for name, cols in columns.items()}
    return {name: store.read(name, len(batches)) for name in names}
