"""Relative paths in a TOML config resolve against the config's folder for every key (issue 14 §2),
corpus specs and compared-system files included, whatever the working directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gpla.config import load_config
from gpla.corpora import load_corpus


def test_relative_corpus_spec_resolves_against_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = tmp_path / "study"
    (study / "data").mkdir(parents=True)
    (study / "data" / "answers.csv").write_text(
        "answer,model\nI value honesty above all.,a\nFamily comes first.,b\n", encoding="utf-8"
    )
    (study / "systems").mkdir()
    (study / "systems" / "mine.toml").write_text('[factors]\nF = ["A", "B"]\n', encoding="utf-8")
    config = study / "run.toml"
    config.write_text(
        "[[corpus.sources]]\n"
        'spec = "csv:data/answers.csv:text=answer:meta=model"\n'
        "[[corpus.sources]]\n"
        'spec = "data/answers.csv"\n'
        "[[corpus.sources]]\n"
        'spec = "valuebench:limit=3"\n'
        "[analysis]\n"
        'compare_systems = ["schwartz-h", "systems/mine.toml", "map:systems/mine.toml"]\n',
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the run is started from another folder
    cfg = load_config(Path(os.path.relpath(config, elsewhere)))
    answers = (study / "data" / "answers.csv").resolve()
    specs = [s.spec for s in cfg.corpus.sources]
    assert specs == [f"csv:{answers}:text=answer:meta=model", str(answers), "valuebench:limit=3"]
    corpus = load_corpus(specs[0])
    assert corpus["text"].tolist() == ["I value honesty above all.", "Family comes first."]
    assert Path(specs[1]).is_file()
    mine = (study / "systems" / "mine.toml").resolve()
    assert cfg.analysis.compare_systems == ["schwartz-h", str(mine), f"map:{mine}"]


def test_absolute_and_builtin_specs_are_left_alone(tmp_path: Path) -> None:
    absolute = tmp_path / "abs.csv"
    config = tmp_path / "sub" / "run.toml"
    config.parent.mkdir()
    config.write_text(
        f'[[corpus.sources]]\nspec = "csv:{absolute}:text=t"\n[analysis]\ncompare_systems = ["five-factor"]\n',
        encoding="utf-8",
    )
    cfg = load_config(config)
    assert cfg.corpus.sources[0].spec == f"csv:{absolute}:text=t"
    assert cfg.analysis.compare_systems == ["five-factor"]
