"""Run configuration: presets load, and bad input gives one ConfigError naming the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpla.config import load_config, load_preset, parse_config
from gpla.errors import ConfigError
from gpla.measure.subjects import build_subjects


def test_quickstart_preset_is_offline() -> None:
    cfg = load_preset("quickstart")
    specs = [cfg.models.agent, *cfg.subjects.models]
    assert all(s.startswith("llamacpp:") for s in specs)
    assert cfg.models.embedding == "st:default"
    assert cfg.corpus.generate is not None and len(cfg.corpus.generate.seed_questions) >= 3


def test_paper_preset_has_693_subjects() -> None:
    # GPLA paper App. A.2: 33 LLMs (Table 6) × 21 profiling prompts (Table 7) = 693 subjects.
    cfg = load_preset("paper")
    subjects = build_subjects(cfg.subjects.models, cfg.subjects.profiles)
    assert len(cfg.subjects.models) == 33
    assert len(subjects) == 693 and subjects["subject_id"].is_unique
    assert cfg.lexicon.max_values == 123


def test_paper_preset_follows_the_papers_analysis() -> None:
    a = load_preset("paper").analysis
    assert a.n_factors == 5  # App. B.2: five factors retained from the scree plot
    # Dedup with Value Kaleidoscope's all-mpnet-base-v2 (§3, [82]); mapping onto Schwartz's values
    # with text-embedding-3-large (§5.1, [58]): two different models, two keys.
    cfg = load_preset("paper")
    assert cfg.models.embedding == "st:all-mpnet-base-v2"
    assert a.mapping_embedder == "openai:text-embedding-3-large"
    # §5.1: ours constructed on a bootstrapped half, CFA on the other half, Schwartz's on all data.
    assert (a.holdout_fraction, a.bootstrap, a.theory_data) == (0.5, "construction", "all")
    assert cfg.gpv.missing == "nan" and a.missing == "pairwise"


def test_missing_cells_are_kept_unless_mean_is_asked() -> None:
    default = parse_config({"lexicon": {"file": "x.csv"}})
    assert default.gpv.missing == "nan" and default.analysis.missing == "pairwise"
    assert default.analysis.mapping_embedder is None  # = models.embedding
    assert load_preset("quickstart").analysis.missing == "mean"  # asked for in the preset, with a reason
    with pytest.raises(ConfigError, match=r'gpv.missing: .*set \[analysis\] missing = "mean"'):
        parse_config({"lexicon": {"file": "x.csv"}, "gpv": {"missing": "value_mean"}})


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[subjects]\nmodels = "llamacpp:default"\n[lexicon]\nfile = "x.csv"', "subjects.models"),
        ('[lexicon]\nfile = "x.csv"\nmax_valus = 3', "lexicon.max_valus"),
        ('[lexicon]\nfile = "x.csv"\n[gpv]\nmode = "some"', "gpv.mode"),
        ('[lexicon]\nfile = "x.csv"\n[administration]\nmax_tokens = 0', "administration.max_tokens"),
        ('[lexicon]\nfile = "x.csv"\n[[subjects.custom_profiles]]\nname = "x"', "subjects.custom_profiles[0].system_prompt"),
        ("[models]\nagent = 'llamacpp:default'", "no lexicon source"),
        ('[lexicon]\nfile = "x.csv"\n[pricing.gpt4]\ninput_per_mtok = 1\noutput_per_mtok = 1', "not a model spec"),
        ("[lexicon\n", "not valid TOML"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, toml: str, expected: str) -> None:
    path = _write(tmp_path, toml)
    with pytest.raises(ConfigError, match=expected.replace("[", r"\[").replace("]", r"\]")) as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_missing_file_and_unknown_preset(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="unknown preset 'papers'"):
        load_preset("papers")


def test_relative_paths_resolve_against_the_config_file(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, '[lexicon]\nfile = "lex.csv"\n[questions]\nfile = "q.csv"'))
    assert cfg.lexicon.file == (tmp_path / "lex.csv").resolve()
    assert cfg.questions.file == (tmp_path / "q.csv").resolve()


def test_unknown_profile_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'Greed' is not a profiling prompt"):
        build_subjects(["m"], ["Default", "Greed"])


def test_parse_config_accepts_overrides() -> None:
    cfg = parse_config({"lexicon": {"file": "x.csv"}, "subjects": {"profiles": [1, "achievement"]}})
    assert list(cfg.subjects.profiles) == [1, "achievement"]
