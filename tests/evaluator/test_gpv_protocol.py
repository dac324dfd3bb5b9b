"""The label protocols without a large model: GPV's templates, the generation-config processors, NaN
rows, and how the protocol is chosen (agent, config, stage key, model spec options)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fakes import FakeChatModel
from gpv_reference import GPV_RELEVANCE_TEMPLATE, GPV_VALENCE_TEMPLATE
from hf_tiny_models import tiny_causal_model

from gpla.agents import ValueEvaluator
from gpla.agents.prompts.evaluation import relevance_prompt, valence_prompt
from gpla.agents.value_evaluator import cut_labels
from gpla.config import load_preset, parse_config
from gpla.errors import ConfigError
from gpla.models import ChatRequest, load_chat_model
from gpla.models.hf_processors import GenerationProcessors
from gpla.models.labels import probs_from_logits
from gpla.models.registry import parse_spec
from gpla.pipeline import Pipeline


@pytest.mark.parametrize(
    ("sentence", "value"),
    [("I never lie to my friends.", "Honesty"), ("Rules  exist; I follow them.", "Conformity")],
)
def test_templates_are_gpvs_strings(sentence: str, value: str) -> None:
    assert relevance_prompt(sentence, value) == GPV_RELEVANCE_TEMPLATE.format(
        sentence=sentence, value=value
    )
    assert valence_prompt(sentence, value) == GPV_VALENCE_TEMPLATE.format(
        sentence=sentence, value=value
    )


def _processors(**settings: object) -> GenerationProcessors:
    from transformers import GenerationConfig

    return GenerationProcessors(GenerationConfig(**settings))


def test_top_k_cuts_a_label_to_zero_and_all_labels_to_nan() -> None:
    process = _processors(do_sample=True, temperature=0.5, top_k=2)
    logits = np.array([[0.0, 1.0, 2.0, 3.0]])
    warped = process([[1]], logits)
    assert np.isneginf(warped[0, :2]).all()
    np.testing.assert_allclose(warped[0, 2:], [4.0, 6.0])  # divided by the temperature
    np.testing.assert_allclose(probs_from_logits(warped[0], [[0], [3]]), [0.0, 1.0])
    assert np.isnan(probs_from_logits(warped[0], [[0], [1]])).all()
    # Kept labels: renormalised softmax of the tempered logits.
    p = np.exp([4.0, 6.0]) / np.exp([4.0, 6.0]).sum()
    np.testing.assert_allclose(probs_from_logits(warped[0], [[2], [3]]), p)


def test_processors_follow_generates_defaults_and_order() -> None:
    assert _processors().identity  # greedy: generate's scores are the logits
    assert _processors(do_sample=False, temperature=0.3, top_k=1).identity  # warpers need sampling
    default_k = _processors(do_sample=True)  # unset top_k: generate's global default of 50
    assert default_k.description == "TopKLogitsWarper"
    assert np.isfinite(default_k([[0]], np.arange(100.0)[None, :])).sum() == 50
    full = _processors(do_sample=True, temperature=0.6, top_p=0.9, repetition_penalty=1.3)
    assert full.description == (
        "RepetitionPenaltyLogitsProcessor, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper"
    )
    penalty = _processors(repetition_penalty=2.0)  # reads each row's own prompt
    out = penalty([[1], [2]], np.array([[1.0, 4.0, 4.0], [1.0, 4.0, 4.0]]))
    np.testing.assert_allclose(out, [[1.0, 2.0, 4.0], [1.0, 4.0, 2.0]])


@pytest.mark.parametrize("setting", [{"forced_eos_token_id": 1}, {"no_repeat_ngram_size": 2},
                                     {"min_new_tokens": 2}])  # fmt: skip
def test_processors_gpla_does_not_reproduce_are_refused(setting: dict[str, int]) -> None:
    with pytest.raises(ConfigError, match=f"{next(iter(setting))}=.*protocol 'raw'"):
        _processors(**setting)


def test_the_evaluator_passes_its_protocol_and_counts_cut_rows(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def probs(request: ChatRequest, labels: object) -> list[float]:
        if "Sentence: cut" in request.prompt_text:  # a row whose every label was cut
            return [np.nan] * len(labels)  # type: ignore[arg-type]
        return [0.9, 0.1] if len(labels) == 2 else [0.6, 0.3, 0.1]  # type: ignore[arg-type]

    model = FakeChatModel(probs=probs)
    pairs = pd.DataFrame({"perception_id": [1, 2], "text": ["kept", "cut"], "value": ["v", "v"]})
    with caplog.at_level(logging.WARNING, logger="gpla.agents"):
        out = ValueEvaluator(model, protocol="raw").evaluate(pairs)
    assert model.protocols == ["raw", "raw"]
    assert np.isnan(out.loc[1, ["p_relevant", "p_support", "score"]].astype(float)).all()
    assert out.loc[0, "score"] == pytest.approx(0.3)
    assert cut_labels(out) == {"relevance": 1, "valence": 0}
    assert "every label of 1 of 2 relevance prompts" in caplog.text
    ValueEvaluator(model).evaluate(pairs.head(1))
    assert model.protocols[-1] == "gpv"  # the default
    with pytest.raises(ConfigError, match="label protocol 'valuellama' is unknown"):
        ValueEvaluator(model, protocol="valuellama")  # type: ignore[arg-type]


def test_protocol_is_a_config_key_and_part_of_the_stage_key(tmp_path: Path) -> None:
    gpv = load_preset("quickstart")
    raw = gpv.model_copy(update={"gpv": gpv.gpv.model_copy(update={"protocol": "raw"})})
    assert gpv.gpv.protocol == "gpv"
    keys_gpv = Pipeline(gpv, tmp_path / "a").stage_keys()
    keys_raw = Pipeline(raw, tmp_path / "b").stage_keys()
    assert keys_gpv["judgments"][0] != keys_raw["judgments"][0]
    assert keys_gpv["responses"][0] == keys_raw["responses"][0]
    with pytest.raises(ConfigError, match=r"gpv\.protocol"):
        parse_config({"lexicon": {"file": "x.csv"}, "gpv": {"protocol": "ours"}})


def test_hf_spec_options_set_the_dtype(tmp_path: Path) -> None:
    spec = parse_spec("hf:/models/x?dtype=bfloat16")
    assert spec.model == "/models/x" and spec.options == (("dtype", "bfloat16"),)
    assert str(spec) == "hf:/models/x?dtype=bfloat16"
    assert parse_spec("openai:odd?name").model == "odd?name"  # only kinds with options parse "?"
    with pytest.raises(ConfigError, match="'beams=4' is not an option of hf: specs"):
        parse_spec("hf:/models/x?beams=4")

    folder = tiny_causal_model(tmp_path / "tiny")
    plain = load_chat_model(f"hf:{folder}", cache=False)
    half = load_chat_model(f"hf:{folder}?dtype=bfloat16", cache=False)
    assert plain.backend.dtype == "float32" and half.backend.dtype == "bfloat16"  # type: ignore[attr-defined]
    assert half.backend.identity()["dtype"] == "bfloat16"  # type: ignore[attr-defined]
    prompt = [ChatRequest.completion(relevance_prompt("I help.", "Benevolence"))]
    # bfloat16 keeps ~3 significant digits: close to float32, not equal.
    np.testing.assert_allclose(
        half.label_probs(prompt, ["yes", "no"]), plain.label_probs(prompt, ["yes", "no"]), atol=0.05
    )
    with pytest.raises(ConfigError, match="dtype must be one of"):
        load_chat_model(f"hf:{folder}?dtype=int4", cache=False)


def test_cli_names_an_unknown_protocol_before_loading_a_model() -> None:
    from typer.testing import CliRunner

    from gpla.cli import app

    # A spec that cannot load: the protocol error must come first (the CLI's main prints it, exit 2).
    args = ["evaluate", "--perception", "I help.", "--values", "Care", "--protocol", "ours",
            "--model", "nonsense"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ConfigError)
    assert "label protocol 'ours' is unknown; choose one of gpv, raw" in str(result.exception)
