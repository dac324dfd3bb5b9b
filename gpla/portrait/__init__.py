"""The Value Portrait instrument (Han et al., ACL 2025): 520 human-validated query–response items
that measure an LLM's Schwartz values and Big Five traits.

Item bank → administration (six prompts, the authors' or strict parsing, resumable) → averaging over prompt variants
→ scores (centred means, Table 5) → reliability (Table 4); plus survey annotation (§3.2.3),
coverage (Table 2) and radar plots (Figure 4).
"""

from gpla.portrait.administer import AdministrationSummary, administer
from gpla.portrait.annotate import annotate, load_participants, load_ratings, significant_counts
from gpla.portrait.averaging import average_answers, average_raw_dir
from gpla.portrait.coverage import Coverage, coverage
from gpla.portrait.items import FAMILIES, ItemBank, load_items
from gpla.portrait.parsing import ParsedAnswer, parse_answer
from gpla.portrait.plots import radar_plot
from gpla.portrait.prompts import PHRASES, SCALE, VARIANTS, render_prompt, system_prompt
from gpla.portrait.reliability import dimension_reliability
from gpla.portrait.responses import load_responses
from gpla.portrait.scoring import MAX_P, THRESHOLD, Exclusion, score

__all__ = [
    "FAMILIES",
    "MAX_P",
    "PHRASES",
    "SCALE",
    "THRESHOLD",
    "VARIANTS",
    "AdministrationSummary",
    "Coverage",
    "Exclusion",
    "ItemBank",
    "ParsedAnswer",
    "administer",
    "annotate",
    "average_answers",
    "average_raw_dir",
    "coverage",
    "dimension_reliability",
    "load_items",
    "load_participants",
    "load_ratings",
    "load_responses",
    "parse_answer",
    "radar_plot",
    "render_prompt",
    "score",
    "significant_counts",
    "system_prompt",
]
