"""One progress-bar style for every long stage: items done / total, rate, ETA (rich)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


def quiet() -> bool:
    """Progress bars are off when GPLA_QUIET is set (the CLI's --quiet sets it)."""
    return bool(os.environ.get("GPLA_QUIET"))


class _RateColumn(ProgressColumn):
    """Items per second (rich's own speed column formats bytes)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("  ?/s" if speed is None else f"{speed:5.1f}/s")


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[tuple[Progress, TaskID]]:
    """A progress bar with one task: ``with progress_bar("judging", n) as (bar, task): bar.advance(task, k)``."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),  # stdout stays for results (``--json`` prints pure JSON)
        disable=quiet(),
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield bar, task
