"""The command line: every group is registered and help works without loading heavy libraries."""

from __future__ import annotations

import subprocess
import sys


def test_help_lists_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gpla", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "Usage" in out
