"""What every report figure shares: the Chart record, colours, figure grids and number scales.

Figures are built with the object-oriented API (matplotlib.figure.Figure, no pyplot, no global
state), so they render headless with the Agg canvas.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

COLORS = ["#0072b2", "#e69f00", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#999999",
          "#7f3c8d", "#3969ac", "#f2b701", "#e73f74", "#8c564b"]   # no green: see figures.FIXED


@dataclass
class Chart:
    """One figure of a report, with the caption that tells a reader how to read it."""

    name: str          # file stem under figures/
    title: str
    caption: str
    figure: Figure | None = None
    note: str = ""     # shown instead of a figure when there is nothing to draw


def new_figure(rows: int = 1, cols: int = 1, width: float = 11.0, height: float = 3.6):
    """(figure, 2-d array of axes); height is per row."""
    fig = Figure(figsize=(width, height * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes


def grid(n: int, cols: int = 3, height: float = 3.2):
    """(figure, n axes) laid out in rows of at most `cols`, the spare cells hidden."""
    cols = min(cols, max(n, 1))
    fig, axes = new_figure(math.ceil(n / cols), cols, height=height)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def eur_scale(values) -> tuple[float, str]:
    top = max((abs(float(v)) for v in values), default=0.0)
    return (1e9, "EUR bn") if top >= 1e9 else (1e6, "EUR m") if top >= 1e6 else (1.0, "EUR")


def code(label: str) -> str:
    """Country ids read best upper-case (cn -> CN)."""
    return label.upper() if len(label) <= 3 else label


def numeric(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    frame = frame.copy()
    for c in columns:
        frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return frame
