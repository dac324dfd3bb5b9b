"""Call and token counters: one per wrapped model, plus a process-wide total for the run manifest."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass


@dataclass
class Usage:
    calls: int = 0
    """Requests answered by a backend (each paid for once; retries of a failed attempt not counted)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_hits: int = 0
    retries: int = 0
    """Failed attempts that were tried again."""

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


_lock = threading.Lock()
_total = Usage()


def record(usage: Usage, **counts: int) -> None:
    """Add ``counts`` to ``usage`` and to the process-wide total."""
    with _lock:
        for key, n in counts.items():
            setattr(usage, key, getattr(usage, key) + n)
            setattr(_total, key, getattr(_total, key) + n)


def total_usage() -> Usage:
    """A snapshot of every wrapped model's counters in this process (for ``manifest.json``)."""
    with _lock:
        return Usage(**_total.as_dict())
