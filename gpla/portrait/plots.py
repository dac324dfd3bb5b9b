"""Radar plot of value scores (VP Figure 4 style): one polygon per model over a family's dimensions,
in the order of Schwartz's circle (the order of Table 5), several models overlaid."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gpla.errors import DataError
from gpla.portrait.scoring import wide_scores


def radar_plot(
    scores: pd.DataFrame,
    path: str | Path,
    *,
    models: Sequence[str] | None = None,
    family: str = "pvq",
    column: str = "centered_mean",
    title: str | None = None,
) -> Path:
    """Write a PNG (or any format matplotlib knows from the suffix) of the `models`' scores (all
    models in `scores`, the output of ``score``, when None)."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt

    table = wide_scores(scores, family=family, column=column)
    if models is not None:
        unknown = [m for m in models if m not in table.index]
        if unknown:
            raise DataError(
                f"no {family} scores for model(s) {', '.join(unknown)}; have {', '.join(table.index)}"
            )
        table = table.loc[list(models)]
    if table.empty:
        raise DataError(f"no {family} scores to plot")

    labels = [d.replace("_", "-") for d in table.columns]
    angles = np.linspace(0, 2 * np.pi, len(labels), endpoint=False)
    closed = np.append(angles, angles[0])
    fig, ax = plt.subplots(figsize=(6.5, 6.5), subplot_kw={"polar": True})
    try:
        ax.set_theta_offset(np.pi / 2)  # type: ignore[attr-defined]  # a PolarAxes
        ax.set_theta_direction(-1)  # type: ignore[attr-defined]
        for model, row in table.iterrows():
            values = np.append(row.to_numpy(float), row.iloc[0])
            ax.plot(closed, values, linewidth=1.6, label=str(model))
            ax.fill(closed, values, alpha=0.12 if len(table) > 1 else 0.25)
        ax.set_xticks(angles)
        ax.set_xticklabels(labels)
        low, high = float(np.nanmin(table.to_numpy())), float(np.nanmax(table.to_numpy()))
        pad = 0.1 * max(high - low, 0.1)
        ax.set_ylim(low - pad, high + pad)
        if column == "centered_mean":
            # The centre of the model's scale use: above it a value is prioritised, below it is not.
            ax.plot(closed, np.zeros_like(closed), color="grey", linewidth=0.8, linestyle="--")
        ax.set_title(
            title
            or (
                "Value Portrait: "
                + ", ".join(map(str, table.index[:3]))
                + (" …" if len(table) > 3 else "")
            ),
            pad=24,
        )
        if len(table) > 1:
            ax.legend(loc="upper right", bbox_to_anchor=(1.35, 1.12), fontsize="small")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path
