"""Plumbing of `build_from_corpus`: GPV perceptions skip the parser, ValueLex entries skip both agents.

A Fake chat model stands in for the agents' model (what it says is irrelevant here: only which rows
reach which agent, and the bookkeeping); the embedder is the real packaged MiniLM.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gpla.corpora import make_corpus
from gpla.lexicon.build import build_from_corpus
from tests.fakes import FakeChatModel
from tests.lexicon.embedder_helper import MemoEmbedder


def test_kinds_route_to_the_right_steps(tmp_path: Path) -> None:
    perceptions = make_corpus(pd.DataFrame({"text": ["Telling the truth even when it costs."]}),
                              text_column="text", source="gpv", kind="perception")
    lexicon_rows = make_corpus(pd.DataFrame({"value": ["Honesty", "Care"], "n": [4, 2]}),
                               text_column="value", count_column="n", source="valuelex", kind="value", metadata=[])
    corpus = pd.concat([perceptions, lexicon_rows], ignore_index=True)
    model = FakeChatModel(reply=lambda r: json.dumps({"values": ["honesty", "Courage"]}))

    built = build_from_corpus(corpus, model, MemoEmbedder(), out_dir=tmp_path)

    assert model.calls == 1  # one generation for the one perception, no parsing
    lex = built.lexicon.set_index("value")
    assert lex.loc["Honesty", "frequency"] == 5 and lex.loc["Honesty", "sources"] == "valuelex: 4; gpv: 1"
    assert lex.loc["Care", "frequency"] == 2 and lex.loc["Courage", "frequency"] == 1
    counts = built.metadata["counts"]
    assert (counts["documents"], counts["perceptions"], counts["mentions"], counts["lexicon"]) == (0, 1, 8, 3)
    assert pd.read_csv(tmp_path / "lexicon.csv")["value"].tolist() == ["Honesty", "Care", "Courage"]
