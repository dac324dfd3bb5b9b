"""JSON files in and out, with one clear DataError for a missing or malformed file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gpla.errors import DataError


def read_json(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: not valid JSON ({err})") from None


def write_json(path: str | Path, data: Any) -> Path:
    """Pretty JSON in the layout of the authors' files (indent 2, UTF-8 kept), written atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path
