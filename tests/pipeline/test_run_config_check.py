"""A run configuration is checked whole before any stage: a bad model spec, corpus spec or missing
input file is one line naming its key, on ``gpla run --dry-run`` too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gpla.config import parse_config
from gpla.config_check import check_run_config
from gpla.errors import ConfigError


def test_dry_run_refuses_an_unknown_model_spec_naming_its_key(tmp_path: Path) -> None:
    (tmp_path / "lex.csv").write_text("value\nHonesty\n")
    config = tmp_path / "run.toml"
    config.write_text('[models]\nparser = "foo:bar"\n[lexicon]\nfile = "lex.csv"\n')
    done = subprocess.run([sys.executable, "-m", "gpla", "run", str(config), "--dry-run"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "models.parser" in lines[0] and "'foo:bar'" in lines[0]
    assert "Traceback" not in done.stderr and "Dry run" not in done.stdout


@pytest.mark.parametrize(
    ("section", "key"),
    [({"subjects": {"models": ["llamacpp:default", "gpt4"]}}, "subjects.models[1]"),
     ({"models": {"embedding": "llamacpp:default"}}, "models.embedding"),
     ({"analysis": {"mapping_embedder": "nope"}}, "analysis.mapping_embedder"),
     ({"analysis": {"schwartz_scores": "/nonexistent/scores.csv"}}, "analysis.schwartz_scores")],
)
def test_each_bad_value_is_named_by_its_key(section: dict[str, object], key: str, tmp_path: Path) -> None:
    lexicon = tmp_path / "lex.csv"
    lexicon.write_text("value\nHonesty\n")
    cfg = parse_config({"lexicon": {"file": str(lexicon)}, **section})
    with pytest.raises(ConfigError, match=key.replace("[", r"\[")):
        check_run_config(cfg)


def test_the_packaged_presets_pass() -> None:
    from gpla.config import load_preset

    for name in ("quickstart", "paper"):
        check_run_config(load_preset(name))
