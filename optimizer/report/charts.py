"""What every report figure shares: the Chart record, colours, figure grids and number scales.

Figures are built with the object-oriented API (matplotlib.figure.Figure, no pyplot, no global
state), so they render headless with the Agg canvas.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

COLORS = ["#0072b2", "#e69f00", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#999999",
          "#7f3c8d", "#3969ac", "#f2b701", "#e73f74", "#8c564b"]   # no green: see figures.FIXED


# One colour per country in every chart of a report, keyed by country id: every country of the
# datasets in inputs/ (no two closer than 45 in RGB, nor to the fixed colours of figures.FIXED).
COUNTRY_COLORS = {
    "cn": "#e6a100", "tr": "#4363d8", "au": "#ffe119", "us": "#911eb4", "br": "#808000",
    "ru": "#800000", "ca": "#42d4f4", "my": "#f032e6", "vn": "#9a6324", "no": "#000075",
    "jp": "#e7298a", "ph": "#469990", "kr": "#00bfff", "gb": "#7f7f7f", "cl": "#ffd8b1",
    "ar": "#aaffc3", "cd": "#ff4500", "id": "#bcf60c", "tj": "#008080", "th": "#c45a00",
    "il": "#1e90ff", "kz": "#ff00ff", "mg": "#ff69b4", "row": "#b0b0b0",
    "fr": "#1f3a93", "de": "#2f2f2f", "ee": "#5fa2dd", "se": "#0b6e4f", "nl": "#ff7f50",
    "fi": "#a3a3ff", "at": "#6b4226", "es": "#00ced1", "be": "#9acd32", "gr": "#87ceeb"}
SPARE = ["#8dd3c7", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
         "#bc80bd", "#ccebc5", "#ffed6f", "#a6761d", "#666666"]


def country_color(country: str) -> str:
    """The colour of a country in every chart; a country outside COUNTRY_COLORS gets a spare
    colour chosen by its id, so it too keeps its colour from chart to chart."""
    key = str(country).lower()
    return COUNTRY_COLORS.get(key) or SPARE[zlib.crc32(key.encode()) % len(SPARE)]


@dataclass
class Chart:
    """One figure of a report, with the caption that tells a reader how to read it."""

    name: str          # file stem under figures/
    title: str
    caption: str
    figure: Figure | None = None
    note: str = ""     # shown instead of a figure when there is nothing to draw
    colors: dict[str, str] = field(default_factory=dict)   # legend label -> colour drawn


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
    """(divisor, unit) of a set of EUR amounts (display.money_scale): one unit for them all."""
    from ..display import money_scale

    return money_scale(values)


def code(label: str) -> str:
    """Country ids read best upper-case (cn -> CN)."""
    return label.upper() if len(label) <= 3 else label


def numeric(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    frame = frame.copy()
    for c in columns:
        frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return frame
