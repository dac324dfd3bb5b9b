"""The value lexicon: normalisation, frequency-ranked dedup (ROUGE + embeddings), filtering,
the corpus → lexicon build (GPLA steps 1–3) and coverage (App. B.1)."""

from gpla.lexicon.dedup import DedupConfig, DedupResult, deduplicate
from gpla.lexicon.filtering import filter_lexicon
from gpla.lexicon.normalise import clean_value, normalise_counts, value_key
from gpla.lexicon.table import LEXICON_COLUMNS, build_lexicon, count_mentions, write_table

__all__ = [
    "LEXICON_COLUMNS",
    "DedupConfig",
    "DedupResult",
    "build_lexicon",
    "clean_value",
    "count_mentions",
    "deduplicate",
    "filter_lexicon",
    "normalise_counts",
    "value_key",
    "write_table",
]
