"""Normalisation of value names: formatting variants of one value share one key.

"Well-being", "wellbeing", "Well being" and "WELL-BEING" are one value; so are "Tradition" and
"Traditions". The key is only used for grouping: the value keeps its most frequent surface form.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

_NON_WORD = re.compile(r"[\W_]+")  # Unicode-aware: names in any script keep their letters
_SPACE = re.compile(r"\s+")
# Endings that look plural but are not: "Success", "Consensus", "Analysis", "Harmonious".
_NOT_PLURAL = ("ss", "us", "is", "ous")


def clean_value(text: object) -> str:
    """The display form: Unicode-normalised, trimmed, inner whitespace collapsed, stray quotes and
    trailing punctuation removed (generators often answer ``"Honesty."``)."""
    s = unicodedata.normalize("NFKC", str(text))
    s = _SPACE.sub(" ", s).strip().strip("\"'`*•-–—·:;,. ")
    return s


def singular(word: str) -> str:
    """A simple English singular for the plurals value names take (no dictionary: value names are
    short nouns, and a wrong stem only affects the grouping key, never the shown name)."""
    if len(word) <= 3 or word.endswith(_NOT_PLURAL) or not word.endswith("s"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    return word[:-1]


def value_key(text: object) -> str:
    """The grouping key: lower case, accents folded, punctuation/hyphens/spaces removed, each word
    singularised. ``value_key("Well-being") == value_key("Wellbeing") == "wellbeing"``."""
    decomposed = unicodedata.normalize("NFKD", clean_value(text))
    s = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = [singular(w) for w in _NON_WORD.split(s) if w]
    return "".join(words)


def normalise_counts(values: pd.DataFrame) -> pd.DataFrame:
    """Merge formatting variants of ``values[value, frequency]``.

    Returns ``value, frequency, variants`` sorted by frequency (descending, ties by value): ``value``
    is the most frequent surface form of its key, ``variants`` the other surface forms that were
    folded into it (``"; "``-separated). Empty names are dropped.
    """
    df = pd.DataFrame({"value": values["value"].map(clean_value), "frequency": values["frequency"]})
    df["key"] = df["value"].map(value_key)
    df = df[df["key"] != ""]
    surface = df.groupby(["key", "value"], sort=False, as_index=False)["frequency"].sum()
    surface = surface.sort_values(["key", "frequency", "value"], ascending=[True, False, True])
    rows = []
    for _key, group in surface.groupby("key", sort=False):
        forms = group["value"].tolist()
        rows.append((forms[0], int(group["frequency"].sum()), "; ".join(forms[1:])))
    out = pd.DataFrame(rows, columns=["value", "frequency", "variants"])
    return out.sort_values(["frequency", "value"], ascending=[False, True], ignore_index=True)
