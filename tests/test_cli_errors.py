"""Errors that never lie: a file-system, option or unexpected error in any command is one line on
stderr with exit 2, never a traceback; `gpla models check` fails (exit 1) fast on a refused connection."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gpla.cli


def _gpla(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gpla", *args], capture_output=True, text=True,
                          env={**os.environ, "GPLA_QUIET": "1"})  # fmt: skip


def _one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    assert "Traceback" not in done.stderr and all(w in lines[0] for w in words), lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli_errors")
    rng = np.random.default_rng(0)
    factor = rng.standard_normal((120, 2))
    data = pd.DataFrame({f"v{i}": factor[:, i // 3] + 0.6 * rng.standard_normal(120) for i in range(6)})
    data.to_csv(root / "x.csv", index=False)
    (root / "m.lavaan").write_text("F =~ v0 + v1 + v2\nG =~ v3 + v4 + v5\n")
    (root / "mentions.csv").write_text("value,frequency\nHonesty,3\nCare,2\n")
    (root / "a_file").write_text("")
    (root / "a_dir").mkdir()
    return {"data": root / "x.csv", "syntax": root / "m.lavaan", "mentions": root / "mentions.csv",
            "file": root / "a_file", "dir": root / "a_dir"}  # fmt: skip


@pytest.mark.parametrize("command", ["pca", "efa"])
def test_n_iter_zero_is_one_line(command: str, files: dict[str, Path]) -> None:
    done = _gpla(command, "--data", str(files["data"]), "--out", str(files["dir"] / command), "--n-iter", "0")
    _one_line_error(done, "--n-iter")


@pytest.mark.parametrize(
    "args",
    [["pca", "--factors", "2", "--out", "{file}"],
     ["efa", "--factors", "2", "--out", "{file}"],
     ["compare-systems", "--systems", "ours", "--out", "{file}"],
     ["pca", "--factors", "2", "--out", "{file}/sub"],
     ["alpha", "--syntax", "{syntax}", "--json-out", "{dir}"],
     ["cfa", "--syntax", "{syntax}", "--loadings", "{dir}"],
     ["cfa", "--syntax", "{syntax}", "--json-out", "{file}/fit.json"]],
)
def test_an_output_path_that_cannot_be_written_is_one_line(args: list[str], files: dict[str, Path]) -> None:
    filled = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    _one_line_error(_gpla(filled[0], "--data", str(files["data"]), *filled[1:]))


def test_lexicon_dedup_out_under_a_file_is_one_line(files: dict[str, Path]) -> None:
    done = _gpla("lexicon", "dedup", "--mentions", str(files["mentions"]), "--out", str(files["file"] / "x.csv"))
    _one_line_error(done)


def test_an_unexpected_exception_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> None:
        raise KeyError("a bug")

    monkeypatch.delenv("GPLA_DEBUG", raising=False)
    monkeypatch.setattr(gpla.cli, "app", broken)
    with pytest.raises(SystemExit) as exit_:
        gpla.cli.main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: unexpected KeyError") and "GPLA_DEBUG=1" in err[0]


def test_models_check_fails_fast_on_a_refused_connection() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.monotonic()
    done = _gpla("models", "check", f"openai:m@http://127.0.0.1:{port}/v1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert time.monotonic() - start < 30
    assert "error: check failed: generate, json, label_probs" in done.stderr
    assert "skipped: generate failed" in done.stdout
