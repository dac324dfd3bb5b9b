"""Subjects = model specs × profiling prompts (the paper's 33 LLMs × 21 prompts = 693 subjects).

The 21 value-anchoring system prompts are the GPLA paper's Table 7 (after Rozen et al.); the project
keeps its own re-typed copy in ``data/profiling_prompts.csv``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib import resources

import pandas as pd

from gpla.errors import ConfigError

SUBJECT_COLUMNS = ["subject_id", "model", "profile", "system_prompt"]


@cache
def profiling_prompts() -> pd.DataFrame:
    """The 21 profiling prompts of the GPLA paper's Table 7: ``id, anchor, system_prompt``."""
    with resources.files("gpla.measure").joinpath("data/profiling_prompts.csv").open(encoding="utf-8") as f:
        return pd.read_csv(f)


def select_profiles(profiles: Sequence[int | str] | str) -> pd.DataFrame:
    """Table 7 rows chosen by id or anchor name (case-insensitive), in the order given; ``"all"`` = all 21."""
    table = profiling_prompts()
    if profiles == "all":
        return table.copy()
    by_anchor = {a.lower(): i for i, a in zip(table["id"], table["anchor"], strict=True)}
    rows = []
    for p in profiles:
        pid = p if isinstance(p, int) else by_anchor.get(str(p).strip().lower())
        if pid is None or pid not in set(table["id"]):
            raise ConfigError(
                f"subjects.profiles: {p!r} is not a profiling prompt of Table 7 (ids 1-21 or anchors "
                f"such as 'Default', 'Achievement')"
            )
        rows.append(table.loc[table["id"] == pid].iloc[0])
    return pd.DataFrame(rows).reset_index(drop=True)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def build_subjects(
    models: Sequence[str],
    profiles: Sequence[int | str] | str = "all",
    custom: Sequence[tuple[str, str]] = (),
) -> pd.DataFrame:
    """One row per (model, profile): ``subject_id, model, profile, system_prompt``.

    ``custom`` adds user-written ``(name, system_prompt)`` profiles after the Table 7 ones.
    """
    chosen = select_profiles(profiles)
    named = [(str(r.anchor), str(r.system_prompt)) for r in chosen.itertuples()] + list(custom)
    names = [n for n, _ in named]
    if len(set(names)) != len(names):
        raise ConfigError(f"subjects: profile names repeat: {sorted({n for n in names if names.count(n) > 1})}")
    if len(set(models)) != len(models):
        raise ConfigError("subjects.models: a model spec is listed twice")
    rows = [
        {"subject_id": f"{m}|{_slug(name)}", "model": m, "profile": name, "system_prompt": prompt}
        for m in models
        for name, prompt in named
    ]
    return pd.DataFrame(rows, columns=SUBJECT_COLUMNS)
