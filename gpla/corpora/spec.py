"""Corpus specs: one string names a corpus, its file and its options (``--corpus`` on the CLI).

Syntax: ``KIND[:PATH][:OPTION=VALUE ...]`` — parts separated by ``:``, list values by ``,``.

=============  ======================================================  ==============================
KIND           PATH                                                    options
=============  ======================================================  ==============================
valuebench     optional (default: the shared QA xlsx)                  ``models=a,b`` ``sheet=NAME``
                                                                       ``as=perceptions|documents``
gpv            perceptions table (CSV/JSONL/Parquet...)                ``text=COL`` ``id=COL`` ``meta=A,B``
beavertails    JSON Lines with prompt/response/is_safe/category
valuelex       lexicon table with value[,count], or JSON {value: n}    ``value=COL`` ``count=COL``
csv / tsv /    a table of LLM outputs                                  ``text=COL`` ``id=COL`` ``meta=A,B``
jsonl / json /                                                         ``sheet=NAME`` (excel)
parquet/excel
=============  ======================================================  ==============================

Every kind also takes ``limit=N`` (first N rows), ``sample=N`` and ``seed=S`` (N random rows),
``dedup=true`` (drop repeated texts; applied first) and ``source=NAME`` (the name in ``doc_id`` and
in the lexicon's per-corpus counts). A bare path such as ``answers.csv`` is read by its extension.
ValueBench answers are perceptions as in GPLA App. A.1 (no parser call); ``as=documents`` parses them.
Examples: ``valuebench``, ``valuebench:limit=30``, ``valuebench:as=documents``, ``valuebench:sample=500:seed=1``,
``csv:data/answers.csv:text=answer:meta=model,question``, ``gpv:perceptions.csv``,
``beavertails:30k_test.jsonl``, ``valuelex:valuelex.csv:count=n``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gpla.corpora.beavertails import load_beavertails
from gpla.corpora.files import FORMATS
from gpla.corpora.generic import load_table_corpus
from gpla.corpora.gpv import load_gpv_perceptions
from gpla.corpora.table import Kind, dedup_texts, sample_corpus
from gpla.corpora.valuebench import load_valuebench
from gpla.corpora.valuelex import load_valuelex
from gpla.errors import ConfigError

TABLE_KINDS = ("csv", "tsv", "jsonl", "json", "parquet", "excel")
KINDS = ("valuebench", "gpv", "beavertails", "valuelex", *TABLE_KINDS)
_COMMON = {"limit", "sample", "seed", "dedup", "source"}
_OPTIONS = {
    "valuebench": {"models", "sheet", "as"},
    "gpv": {"text", "id", "meta"},
    "beavertails": set(),
    "valuelex": {"value", "count"},
    **{k: {"text", "id", "meta", "sheet"} for k in TABLE_KINDS},
}
_OPTION = re.compile(r"^[a-z_]+=")


@dataclass(frozen=True)
class CorpusSpec:
    kind: str
    path: str | None = None
    options: dict[str, str] = field(default_factory=dict)

    def int_option(self, name: str) -> int | None:
        if name not in self.options:
            return None
        try:
            return int(self.options[name])
        except ValueError:
            raise ConfigError(f"corpus option {name}={self.options[name]!r} is not a whole number") from None

    def list_option(self, name: str) -> list[str] | None:
        raw = self.options.get(name)
        return None if raw is None else [part.strip() for part in raw.split(",") if part.strip()]

    def bool_option(self, name: str) -> bool:
        raw = self.options.get(name, "false").lower()
        if raw not in {"true", "false", "1", "0", "yes", "no"}:
            raise ConfigError(f"corpus option {name}={raw!r} must be true or false")
        return raw in {"true", "1", "yes"}


def parse_spec(spec: str) -> CorpusSpec:
    """Split ``KIND[:PATH][:OPTION=VALUE ...]``; raise ConfigError naming the bad part."""
    text = spec.strip()
    if not text:
        raise ConfigError("empty corpus spec")
    head, _, rest = text.partition(":")
    if head not in KINDS:
        # A bare path: the kind is its file type.
        suffix = Path(text).suffix.lower()
        if suffix in FORMATS:
            return CorpusSpec(FORMATS[suffix], text)
        raise ConfigError(f"corpus spec {spec!r}: unknown kind {head!r}; kinds: {', '.join(KINDS)}")
    parts = rest.split(":") if rest else []
    # Options are the trailing NAME=VALUE parts; what precedes them is the path (which may hold ':').
    first_option = len(parts)
    while first_option > 0 and _OPTION.match(parts[first_option - 1]):
        first_option -= 1
    path = ":".join(parts[:first_option]) or None
    options: dict[str, str] = {}
    allowed = _COMMON | _OPTIONS[head]
    for part in parts[first_option:]:
        name, _, value = part.partition("=")
        if name not in allowed:
            raise ConfigError(
                f"corpus spec {spec!r}: unknown option {name!r} for {head}; options: {', '.join(sorted(allowed))}"
            )
        options[name] = value
    if path is None and head != "valuebench":
        raise ConfigError(f"corpus spec {spec!r}: {head} needs a file, e.g. {head}:path/to/file")
    return CorpusSpec(head, path, options)


def load_corpus(
    spec: str | CorpusSpec,
    *,
    limit: int | None = None,
    sample: int | None = None,
    seed: int | None = None,
    dedup: bool | None = None,
) -> pd.DataFrame:
    """Load the corpus a spec names. Keyword arguments apply where the spec does not set the option,
    except ``limit``: when both set one, the smaller wins (``--limit 2`` caps ``valuebench:limit=30``)."""
    s = parse_spec(spec) if isinstance(spec, str) else spec
    # Options are checked before the (possibly slow) file read.
    own_limit, own_sample, own_seed = s.int_option("limit"), s.int_option("sample"), s.int_option("seed")
    drop_repeats = s.bool_option("dedup") if "dedup" in s.options else bool(dedup)
    frame = _load(s)
    if drop_repeats:
        frame = dedup_texts(frame)
    return sample_corpus(
        frame,
        limit=min((n for n in (own_limit, limit) if n is not None), default=None),
        sample=_first(own_sample, sample),
        seed=_first(own_seed, seed) or 0,
    )


def _load(s: CorpusSpec) -> pd.DataFrame:
    source = s.options.get("source")
    named = {"source": source} if source else {}
    if s.kind == "valuebench":
        return load_valuebench(s.path, models=s.list_option("models"), sheet=s.options.get("sheet"),
                               as_kind=_valuebench_kind(s.options.get("as", "perceptions")), **named)
    assert s.path is not None  # parse_spec guarantees it for every other kind
    if s.kind == "gpv":
        return load_gpv_perceptions(
            s.path, text_column=s.options.get("text"), id_column=s.options.get("id"),
            metadata=s.list_option("meta"), **named,
        )
    if s.kind == "beavertails":
        return load_beavertails(s.path, **named)
    if s.kind == "valuelex":
        return load_valuelex(
            s.path, value_column=s.options.get("value"), count_column=s.options.get("count"), **named
        )
    return load_table_corpus(
        s.path, text_column=s.options.get("text"), id_column=s.options.get("id"),
        metadata=s.list_option("meta"), source=source, sheet=s.options.get("sheet"), fmt=s.kind,
    )


def _valuebench_kind(option: str) -> Kind:
    kinds: dict[str, Kind] = {"perceptions": "perception", "documents": "document"}
    if option not in kinds:
        raise ConfigError(f"corpus option as={option!r}: valuebench loads as=perceptions (the paper) or as=documents")
    return kinds[option]


def _first(a: int | None, b: int | None) -> int | None:
    return a if a is not None else b
