"""Relative paths in a TOML config resolve against the config's folder for every key (issue 14 §2),
corpus specs and compared-system files included, whatever the working directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gpla.config import _model_spec_with_base, load_config
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


def test_model_specs_naming_local_files_resolve_everywhere_they_appear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = tmp_path / "study"
    (study / "models" / "folder").mkdir(parents=True)
    (study / "models" / "m.gguf").write_bytes(b"")
    config = study / "run.toml"
    config.write_text(
        '[models]\nagent = "llamacpp:models/m.gguf"\nevaluator = "hf:./models/folder?dtype=float32"\n'
        'embedding = "st:default"\n'
        '[subjects]\nmodels = ["llamacpp:models/m.gguf", "hf:google/gemma-2b", "openai:gpt-4o"]\n'
        '[subjects.families]\n"llamacpp:models/m.gguf" = "Gemma"\n"openai:gpt-4o" = "GPT"\n'
        '[analysis]\nmapping_embedder = "st:models/folder"\n'
        '[pricing."llamacpp:models/m.gguf"]\ninput_per_mtok = 0\noutput_per_mtok = 0\n'
        '[corpus.generate]\nseed_questions = ["Q?"]\nmodels = ["llamacpp:models/m.gguf"]\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)  # started from another folder
    cfg = load_config(Path("study/run.toml"))
    gguf = f"llamacpp:{(study / 'models' / 'm.gguf').resolve()}"
    folder = (study / "models" / "folder").resolve()
    assert cfg.models.agent == gguf
    assert cfg.models.spec("parser") == gguf
    assert cfg.models.evaluator == f"hf:{folder}?dtype=float32"
    assert cfg.models.embedding == "st:default"
    assert cfg.subjects.models == [gguf, "hf:google/gemma-2b", "openai:gpt-4o"]  # hub ids stay
    assert _model_spec_with_base("llamacpp:~/m.gguf", study) == "llamacpp:~/m.gguf"  # home stays home
    assert cfg.subjects.families == {gguf: "Gemma", "openai:gpt-4o": "GPT"}
    assert cfg.analysis.mapping_embedder == f"st:{folder}"
    assert list(cfg.pricing) == [gguf]
    assert cfg.corpus.generate is not None and cfg.corpus.generate.models == [gguf]
