"""A persistent call cache in SQLite: the same request to the same model is never paid for twice.

Keys are SHA-256 hashes of everything that changes an answer (backend identity, request fields,
labels, sample index) and nothing that does not (timeouts, concurrency, API keys). Only successes
are stored. SQLite in WAL mode lets several processes share one cache file safely.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from gpla.models.base import ChatRequest

SCHEMA_VERSION = 1  # bump when the key recipe or stored format changes


def cache_dir() -> Path:
    """``$GPLA_CACHE_DIR``, else ``~/.cache/gpla``."""
    return Path(os.environ.get("GPLA_CACHE_DIR") or Path.home() / ".cache" / "gpla").expanduser()


def request_key(identity: dict[str, Any], method: str, request: ChatRequest, **extra: Any) -> str:
    """The cache key of one call: a hash of canonical JSON, so field order never matters."""
    payload = {
        "v": SCHEMA_VERSION,
        "backend": identity,
        "method": method,
        "request": dataclasses.asdict(request),
        **extra,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class CallCache:
    """Get/put JSON values by key; one connection per thread (sqlite3 objects are not shareable)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else cache_dir() / "calls.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS calls ("
                " key TEXT PRIMARY KEY, model TEXT NOT NULL, value TEXT NOT NULL, created REAL NOT NULL)"
            )

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        conn = self._conn()
        for start in range(0, len(keys), 500):  # stay under SQLite's bound-parameter limit
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(f"SELECT key, value FROM calls WHERE key IN ({marks})", chunk)
            found.update((k, json.loads(v)) for k, v in rows)
        return found

    def put_many(self, model: str, items: Iterable[tuple[str, Any]]) -> None:
        now = time.time()
        rows = [(k, model, json.dumps(v, ensure_ascii=False), now) for k, v in items]
        if rows:
            with self._conn() as conn:
                conn.executemany("INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?)", rows)

    def __len__(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM calls").fetchone()[0])
