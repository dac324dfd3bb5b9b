"""The command line: every group is registered and help works without loading heavy libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_help_lists_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gpla", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "Usage" in out
    for command in ("invariance", "omega", "efa", "evaluate-validate", "pca", "portrait"):
        assert command in out


def test_importing_the_cli_loads_no_heavy_library() -> None:
    heavy = ("torch", "transformers", "sentence_transformers", "llama_cpp", "semopy",
             "factor_analyzer", "sklearn", "scipy", "pandas", "matplotlib", "pyarrow")  # fmt: skip
    code = f"import sys, gpla.cli; print([m for m in {heavy!r} if m in sys.modules])"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_a_file_system_error_is_one_line_with_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    data.write_text("a,b,c\n1,2,3\n2,3,5\n3,5,4\n4,4,6\n5,7,8\n")
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "gpla", "pca", "--data", str(data), "--factors", "1",
         "--out", str(blocker / "sub")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.startswith("error:")
    assert str(blocker) in done.stderr
