"""The Value Generator as Kaleido's system (KaleidoSys, tsor13/kaleido): beams, relevance head, filter,
dedup — on a tiny T5 shaped like a Kaleido checkpoint and trained in the session (hf_tiny_kaleido)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fakes import FakeChatModel
from hf_tiny_kaleido import ACTION, GENERATE, GENERATIONS, RELEVANCE, tiny_kaleido_model

from gpla.agents import ValueGenerator
from gpla.agents.kaleido import BEAMS, RELEVANCE_LABELS, KaleidoGenerator, is_kaleido_model
from gpla.agents.kaleido_filter import (
    ROUGE_TYPE,
    Thresholds,
    clean_vrd,
    fill_template,
    kaleido_dedup,
    parse_generation,
    resolve_thresholds,
)
from gpla.config import parse_config
from gpla.errors import ConfigError
from gpla.models import load_embedding_model
from gpla.models.hf_seq2seq import MAX_INPUT_TOKENS, MAX_NEW_TOKENS, Seq2SeqTasks, seq2seq_tasks


@pytest.fixture(scope="session")
def kaleido_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_kaleido_model(tmp_path_factory.mktemp("tiny-kaleido"))


@pytest.fixture(scope="session")
def tasks(kaleido_dir: Path) -> Seq2SeqTasks:
    found = seq2seq_tasks(f"hf:{kaleido_dir}", ("generate", "relevance"))
    assert isinstance(found, Seq2SeqTasks)
    return found


# -- KaleidoSys's protocol constants and text handling (pinned: a drift must fail) ----------------


def test_kaleidosys_settings_are_pinned() -> None:
    # KaleidoSys.get_output(n_gens=100); get_gens: max_new_tokens=30, inputs truncated to 128 tokens;
    # relevant_ids = [Yes, No]; deduplicate(rouge_type='rougeLsum').
    assert (BEAMS, MAX_NEW_TOKENS, MAX_INPUT_TOKENS) == (100, 30, 128)
    assert RELEVANCE_LABELS == ("Yes", "No") and ROUGE_TYPE == "rougeLsum"


def test_templates_are_filled_as_kaleidosys_fills_them() -> None:
    # Placeholders replaced in order; a VRD value is cleaned to Value/Right/Duty first.
    assert fill_template(RELEVANCE["template"], RELEVANCE["args"], ["Lying.", "values", "Honesty"]) == (
        "[Relevance]: Lying. | Value: Honesty"
    )
    assert fill_template(GENERATE["template"], GENERATE["args"], ["Lying."]) == "[Generate]: Lying."
    assert [clean_vrd(v) for v in ("VALUE", "rights", "duties", "dut", "goal")] == [
        "Value", "Right", "Duty", "Duty", None,
    ]
    # parse_gen: the text is what lies between the first and the second ": ".
    assert parse_generation("Value : Honesty") == ("Value", "Honesty")
    assert parse_generation("Right: Right to: privacy") == ("Right", "Right to")
    assert parse_generation("Honesty") is None and parse_generation("Goal: x") is None


def test_thresholds_come_from_the_model_config_unless_given() -> None:
    shipped = {
        "relevance_threshold": {"Value": 0.3, "Right": 0.4, "Duty": 0.5},
        "ngram_threshold": 0.6,
        "embed_threshold": 0.7,
        "dedup_across_vrd": False,
    }
    t = resolve_thresholds(shipped)
    assert t.relevance == {"Value": 0.3, "Right": 0.4, "Duty": 0.5}
    assert t.ngram == {"fmeasure": 0.6, "precision": 0.6, "recall": 0.6}
    assert t.embed == {"Value": 0.7, "Right": 0.7, "Duty": 0.7} and t.across_vrd is False
    # A dict overrides the shipped dict's keys; "f1" is KaleidoSys's alias of fmeasure.
    t = resolve_thresholds(shipped, relevance={"Duty": 0.9}, ngram={"f1": 0.1, "precision": 0.2, "recall": 0.3})
    assert t.relevance == {"Value": 0.3, "Right": 0.4, "Duty": 0.9}
    assert t.ngram == {"fmeasure": 0.1, "precision": 0.2, "recall": 0.3}
    with pytest.raises(ConfigError, match=r"embed_threshold: the model's config\.system_params has none"):
        resolve_thresholds({**shipped, "embed_threshold": None})
    with pytest.raises(ConfigError, match="keys must be among"):
        resolve_thresholds(shipped, relevance={"Goal": 0.1})


def test_dedup_loop_follows_kaleidosys() -> None:
    cands = pd.DataFrame(
        {
            "vrd": ["Value", "Value", "Right", "Value", "Duty"],
            "text": ["Freedom", "Honesty", "Right to freedom", "Friendship", "Duty to be kind"],
            "relevant": [0.9, 0.95, 0.8, 0.2, 0.85],
        }
    )
    vectors = {
        "Freedom": [1.0, 0.0],
        "Honesty": [0.0, 1.0],
        "Right to freedom": [1.0, 0.1],
        "Friendship": [0.0, 1.0],
        "Duty to be kind": [0.6, 0.8],
    }

    def embed(texts: list[str]) -> np.ndarray:
        return np.array([vectors[t] for t in texts])

    loose = Thresholds(dict.fromkeys(("Value", "Right", "Duty"), 0.5), dict.fromkeys(("fmeasure", "precision", "recall"), 0.7),
                       dict.fromkeys(("Value", "Right", "Duty"), 0.99), across_vrd=True)
    out = kaleido_dedup(cands, loose, embed).set_index("text")["dropped"].to_dict()
    # Sorted by relevance: Honesty, Freedom, Duty.., Right to freedom ("Right to " stripped →
    # identical to Freedom: ROUGE), Friendship (below 0.5: relevance).
    assert out == {"Honesty": "", "Freedom": "", "Duty to be kind": "", "Right to freedom": "rouge",
                   "Friendship": "relevance"}
    # Within kinds only, the Right survives ROUGE and embedding has no other Right to meet.
    within = Thresholds(loose.relevance, loose.ngram, dict.fromkeys(("Value", "Right", "Duty"), 0.75), across_vrd=False)
    out = kaleido_dedup(cands, within, embed).set_index("text")["dropped"].to_dict()
    assert out["Right to freedom"] == "" and out["Duty to be kind"] == ""
    # Across kinds, cosine(Duty.., Honesty) = 0.8 > 0.75: the less relevant Duty goes.
    across = Thresholds(loose.relevance, loose.ngram, within.embed, across_vrd=True)
    assert kaleido_dedup(cands, across, embed).set_index("text").loc["Duty to be kind", "dropped"] == "embedding"


# -- the model side: beams and the relevance head ---------------------------------------------------


def test_config_templates_and_params_are_read_from_the_checkpoint(tasks: Seq2SeqTasks) -> None:
    assert tasks.template("generate") == (GENERATE["template"], GENERATE["args"])
    assert tasks.template("relevance") == (RELEVANCE["template"], RELEVANCE["args"])
    assert tasks.system_params["dedup_across_vrd"] is True
    with pytest.raises(ConfigError, match="no template for task 'valence'"):
        tasks.template("valence")


def test_beams_are_kaleidosys_generations(tasks: Seq2SeqTasks) -> None:
    import torch

    prompt = fill_template(GENERATE["template"], GENERATE["args"], [ACTION])
    beams = tasks.beams([prompt, "[Generate]: Saving money before quitting."], 8)
    assert [len(b) for b in beams] == [8, 8]
    scores = [b.score for b in beams[0]]
    assert scores == sorted(scores, reverse=True)
    assert len(tasks.beams([prompt], 3)[0]) == 3
    # KaleidoSys.get_gens on the same input: generate(num_beams=n, num_return_sequences=n,
    # max_new_tokens=30), decoded without special tokens, stripped.
    tok, lm = tasks._tok, tasks._lm
    ids = tok([prompt], truncation=True, max_length=128, return_tensors="pt").input_ids
    with torch.no_grad():
        ref = lm.generate(ids, num_beams=8, num_return_sequences=8, max_new_tokens=30)
    assert [b.text for b in beams[0]] == [t.strip() for t in tok.batch_decode(ref, skip_special_tokens=True)]
    # The trained generations are what the beams found.
    assert {g.replace(": ", " : ").replace(".", " .") for g in GENERATIONS} <= {b.text for b in beams[0]}


def test_relevance_head_is_kaleidosys_get_probs(tasks: Seq2SeqTasks) -> None:
    import torch

    prompts = [
        fill_template(RELEVANCE["template"], RELEVANCE["args"], [ACTION, *g.split(": ")]) for g in GENERATIONS
    ]
    probs = tasks.label_probs(prompts, RELEVANCE_LABELS)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert [bool(p > 0.5) for p in probs[:, 0]] == list(GENERATIONS.values())
    # KaleidoSys.get_probs on one prompt: model(input_ids, labels=[[0, 0]]).logits[:, -1, :], softmax,
    # the ids of tokenizer("Yes").input_ids[0] / "No", renormalised.
    tok, lm = tasks._tok, tasks._lm
    ids = tok(prompts[:1], return_tensors="pt").input_ids
    with torch.no_grad():
        p = torch.softmax(lm(input_ids=ids, labels=torch.zeros((1, 2), dtype=torch.long)).logits[:, -1, :], -1)
    pair = p[0, [tok("Yes").input_ids[0], tok("No").input_ids[0]]].numpy()
    np.testing.assert_allclose(probs[0], pair / pair.sum(), rtol=1e-5)
    # Padding never changes a prompt's numbers (the attention mask is passed).
    alone = np.vstack([tasks.label_probs([p], RELEVANCE_LABELS) for p in prompts])
    np.testing.assert_allclose(probs, alone, atol=1e-6)


# -- the agent ----------------------------------------------------------------------------------


def test_candidates_filter_and_dedup(kaleido_dir: Path) -> None:
    gen = KaleidoGenerator(f"hf:{kaleido_dir}", beams=8, embedder="st:default")
    found = gen.candidates([ACTION])
    assert len(found) == 8 and set(found["beam"]) == set(range(8))
    kept = found[found["dropped"] == ""]
    # Relevance filter at the shipped 0.5: exactly the candidates below it go.
    scored = found[found["vrd"].notna()]
    assert set(scored.loc[scored["relevant"] < 0.5, "dropped"]) <= {"relevance"}
    assert (scored.loc[scored["relevant"] >= 0.5, "dropped"] != "relevance").all()
    assert "Friendship" in set(found.loc[found["dropped"] == "relevance", "text"])
    # "Honesty ." and "Honesty" are one value under ROUGE: only the more relevant one stays.
    honesty = found[found["text"].isin(["Honesty", "Honesty ."])].sort_values("relevant", ascending=False)
    assert honesty["dropped"].tolist() == ["", "rouge"]
    assert kept["relevant"].is_monotonic_decreasing


def test_relevance_threshold_is_configurable(kaleido_dir: Path) -> None:
    base = KaleidoGenerator(f"hf:{kaleido_dir}", beams=8, embedder="st:default").candidates([ACTION])
    cut = float(np.median(base["relevant"].dropna()))
    strict = KaleidoGenerator(f"hf:{kaleido_dir}", beams=8, embedder="st:default", relevance_threshold=cut)
    found = strict.candidates([ACTION])
    scored = found[found["vrd"].notna()]
    assert (scored["dropped"] == "relevance").tolist() == (scored["relevant"] < cut).tolist()


def test_embedding_dedup_merges_near_duplicates(kaleido_dir: Path) -> None:
    embedder = load_embedding_model("st:default")
    a, b = embedder.embed(["Honesty", "Truthfulness"])
    sim = float(a @ b)

    def run(threshold: float) -> dict[str, str]:
        # Within kinds and a strict ROUGE, so only the embedding can merge the two Values.
        gen = KaleidoGenerator(f"hf:{kaleido_dir}", beams=8, embedder=embedder, embed_threshold=threshold,
                               dedup_across_vrd=False, ngram_threshold=0.99)
        found = gen.candidates([ACTION])
        return found[found["text"].isin(["Honesty", "Truthfulness"])].set_index("text")["dropped"].to_dict()

    assert run(sim + 0.01) == {"Honesty": "", "Truthfulness": ""}
    merged = run(sim - 0.01)
    assert sorted(merged.values()) == ["", "embedding"]


def test_generate_rows_are_values_per_perception(kaleido_dir: Path) -> None:
    gen = KaleidoGenerator(f"hf:{kaleido_dir}", beams=8, embedder="st:default")
    perceptions = pd.DataFrame({"perception_id": ["p0", "p1", "p2"], "text": [ACTION, ACTION, "Saving money."],
                                "error": [None, None, "upstream"]})
    out = gen.generate(perceptions)
    assert list(out.columns) == ["perception_id", "value", "error"] and out["error"].isna().all()
    found = gen.candidates([ACTION])
    expected = found[(found["dropped"] == "") & (found["vrd"] == "Value")]["text"].tolist()
    assert expected and out.groupby("perception_id")["value"].apply(list).to_dict() == {"p0": expected, "p1": expected}
    # Rights and duties take part in the dedup (across kinds, as shipped) but are returned only when
    # asked for; within kinds each survives, having no rival of its own kind.
    others = KaleidoGenerator(f"hf:{kaleido_dir}", beams=8, embedder="st:default", kinds=("Right", "Duty"),
                              dedup_across_vrd=False)
    assert set(others.generate(perceptions.head(1))["value"]) == {"Right to know the truth", "Duty to be honest"}


def test_value_generator_runs_kaleido_for_kaleido_checkpoints(kaleido_dir: Path) -> None:
    spec = f"hf:{kaleido_dir}"
    assert is_kaleido_model(spec) and not is_kaleido_model(FakeChatModel())
    options = {"beams": 8, "embedder": "st:default"}
    gen = ValueGenerator(spec, kaleido=options)
    assert gen.style == "kaleido" and gen.kaleido_system is not None
    perceptions = pd.DataFrame({"perception_id": [1], "text": [ACTION]})
    pd.testing.assert_frame_equal(gen.generate(perceptions), KaleidoGenerator(spec, **options).generate(perceptions))
    with pytest.raises(ConfigError, match=r"need a seq2seq model with Kaleido's task templates.*has none"):
        ValueGenerator(FakeChatModel(), kaleido=options)
    with pytest.raises(ConfigError, match=r"the style is 'fewshot'"):  # the model has them: say why
        ValueGenerator(spec, style="fewshot", kaleido=options)


def test_task_model_shares_the_chat_backends_weights_and_dtype(kaleido_dir: Path) -> None:
    from gpla.models import load_chat_model

    chat = load_chat_model(f"hf:{kaleido_dir}?dtype=bfloat16", cache=False)
    tasks = seq2seq_tasks(chat, ("generate", "relevance"))
    assert tasks is not None and tasks._lm is chat.backend._lm  # type: ignore[attr-defined]
    spec = seq2seq_tasks(f"hf:{kaleido_dir}?dtype=bfloat16", ("generate",))
    assert spec is tasks  # the spec's options are honoured, not read as part of the folder name


def test_checkpoint_without_thresholds_needs_them_given(tmp_path: Path) -> None:
    folder = tiny_kaleido_model(tmp_path / "bare", steps=0, relevance_threshold=None)
    with pytest.raises(ConfigError, match=r"relevance_threshold: the model's config\.system_params has none"):
        KaleidoGenerator(f"hf:{folder}")
    assert KaleidoGenerator(f"hf:{folder}", relevance_threshold=0.5).thresholds.relevance["Value"] == 0.5


def test_config_routes_generator_options() -> None:
    corpus = {"corpus": {"sources": [{"spec": "valuebench"}]}}
    cfg = parse_config({**corpus, "agents": {"generator": "kaleido", "kaleido": {"beams": 8}}})
    assert cfg.agents.options("generator") == {"style": "kaleido", "kaleido": {"beams": 8}}
    assert parse_config(corpus).agents.options("generator") == {"style": "auto"}
    with pytest.raises(ConfigError, match=r"agents\.generator"):
        parse_config({**corpus, "agents": {"generator": "magic"}})


def test_pipeline_generator_stage_runs_kaleido_from_config(kaleido_dir: Path, tmp_path: Path) -> None:
    import logging

    from gpla.stages.build import run_value_mentions
    from gpla.stages.context import ModelPool, StageContext

    config = parse_config({
        "corpus": {"sources": [{"spec": "valuebench"}]},
        "models": {"generator": f"hf:{kaleido_dir}", "embedding": "st:default"},
        "agents": {"kaleido": {"beams": 8, "embedder": "st:default"}},
    })  # fmt: skip
    ctx = StageContext(config, tmp_path, ModelPool(), key="value_mentions", log=logging.getLogger("test"),
                       stage="value_mentions")
    ctx.write("corpus", pd.DataFrame({"doc_id": ["d1"], "text": [ACTION], "source": ["mine"], "kind": ["document"],
                                      "count": [1]}))
    ctx.write("perceptions", pd.DataFrame({"perception_id": ["d1-0", "d1-1"], "doc_id": ["d1", "d1"],
                                           "text": [ACTION, ACTION], "error": [None, None]}))
    run_value_mentions(ctx)
    mentions = ctx.read("value_mentions")
    expected = KaleidoGenerator(f"hf:{kaleido_dir}", beams=8, embedder="st:default").generate(
        pd.DataFrame({"perception_id": ["d1-0", "d1-1"], "text": [ACTION, ACTION]})
    )
    assert mentions[["perception_id", "value"]].values.tolist() == expected[["perception_id", "value"]].values.tolist()
    assert (mentions["source"] == "mine").all() and (mentions["count"] == 1).all()
