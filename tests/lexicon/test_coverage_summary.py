"""Coverage arithmetic (GPLA App. B.1) on hand-made detections."""

from __future__ import annotations

import pandas as pd

from gpla.lexicon.coverage import summarise_coverage


def test_counts_unique_values_and_system_shares() -> None:
    conversations = pd.DataFrame({"doc_id": ["a", "b", "c"], "text": ["x", "y", "z"]})
    detections = pd.DataFrame(
        {
            "doc_id": ["a", "a", "a", "b"],
            "perception_id": ["a-0", "a-1", "a-1", "b-0"],
            "value": ["Honesty", "Honesty", "Care", "Power"],
        }
    )
    result = summarise_coverage(conversations, detections, ["Honesty", "Care"], {"schwartz": ["Power", "Care"]})
    assert result.per_conversation["n_values"].tolist() == [2, 0, 0]  # Power is not in the lexicon
    assert result.mean_values == 2 / 3 and result.min_values == 0
    shares = result.systems.set_index("system")["share"].to_dict()
    assert shares == {"lexicon": 1 / 3, "schwartz": 2 / 3}
