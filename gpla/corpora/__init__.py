"""Corpora of LLM outputs as ``corpus`` tables (``doc_id, text, source, kind, count`` + metadata).

``load_corpus("valuebench:limit=30")`` reads any supported corpus from a spec string (see ``spec``).
"""

from gpla.corpora.beavertails import load_beavertails
from gpla.corpora.generic import load_table_corpus
from gpla.corpora.gpv import load_gpv_perceptions
from gpla.corpora.spec import KINDS, CorpusSpec, load_corpus, parse_spec
from gpla.corpora.table import combine, dedup_texts, make_corpus, sample_corpus
from gpla.corpora.valuebench import load_valuebench
from gpla.corpora.valuelex import load_valuelex

__all__ = [
    "KINDS",
    "CorpusSpec",
    "combine",
    "dedup_texts",
    "load_beavertails",
    "load_corpus",
    "load_gpv_perceptions",
    "load_table_corpus",
    "load_valuebench",
    "load_valuelex",
    "make_corpus",
    "parse_spec",
    "sample_corpus",
]
