"""Where the project's shared, read-only material lives (papers, data sets, R reference results).

Nothing from it is copied into the repository: code and tests read it in place.
"""

from __future__ import annotations

import os
from pathlib import Path


class SharedDataMissing(FileNotFoundError):
    """The shared folder, or a file expected in it, is not there."""


def shared_root() -> Path:
    """The shared folder: ``$GPLA_SHARED``, else ``../shared`` from the working directory, else beside
    the source checkout (an editable install run from anywhere)."""
    env = os.environ.get("GPLA_SHARED")
    candidates = [Path(env)] if env else [Path("../shared"), Path(__file__).parents[2] / "shared"]
    root = next((c.expanduser().resolve() for c in candidates if c.is_dir()), candidates[0].resolve())
    if not root.is_dir():
        raise SharedDataMissing(
            f"shared data folder {root} does not exist; set GPLA_SHARED to the folder that holds "
            "data/, papers/ and reference/"
        )
    return root


def shared_path(*parts: str) -> Path:
    """A path inside the shared folder, checked to exist."""
    path = shared_root().joinpath(*parts)
    if not path.exists():
        raise SharedDataMissing(f"{path} is missing from the shared folder (GPLA_SHARED={shared_root()})")
    return path
