"""A requests-per-second limit shared by all concurrent calls of one model."""

from __future__ import annotations

import asyncio
import threading
import time


class RateLimiter:
    """Spaces request starts at least ``1 / rate`` seconds apart (``rate`` None or <= 0: no limit).

    Backends call ``wait()`` / ``await wait_async()`` right before each request they send, so the
    limit holds whatever the batch size or concurrency.
    """

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def _reserve(self) -> float:
        """Book the next free slot; returns how long to sleep until it."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
            return start - now

    def wait(self) -> None:
        if self.interval:
            time.sleep(self._reserve())

    async def wait_async(self) -> None:
        if self.interval:
            await asyncio.sleep(self._reserve())
