"""How the analysis figures read a table's columns, whatever columns an analysis writes: text
columns are labels (the first is the row label: strategy, parameter, point...), numeric columns
are metrics, shown in the order of PREFERRED and then money first; a swept study key or input
column is a column whose name holds a dot or a bracket (policy.min_stock_days,
sources.price_eur_per_t[country=cn]).
"""
from __future__ import annotations

import pandas as pd

from ..display import column_kind
from .charts import eur_scale

MAX_PANELS = 4
COUNTERS = {"year", "sample", "seed", "run", "index", "id", "draw", "iteration", "weight",
            "bound", "rank_cost", "rank_decisions"}
PREFERRED = ("expected_cost_eur", "total_cost_eur", "cvar_eur", "expected_shortfall_t",
             "shortfall_t", "total_stock_t", "capex_eur")
UNITS = ("_eur", "_t", "_share", "_days", "_t_per_yr")


def labels_and_metrics(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(label columns, metric columns): text, flags, years and counters are labels; a metric
    that is zero (or missing) throughout says nothing in a figure and is left to the table."""
    metrics = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c]) and c not in COUNTERS
               and not swept(c) and frame[c].fillna(0).abs().max() > 0]
    return [c for c in frame.columns if c not in metrics], metrics


def swept(column: str) -> bool:
    """A study key or input column (policy.min_stock_days, sources.price_eur_per_t[...])."""
    return "." in column


def pick(metrics: list[str], y) -> list[str]:
    """The metrics asked for, or up to MAX_PANELS: PREFERRED first, then money, then others."""
    if y is not None:
        return [y] if isinstance(y, str) else list(y)
    rank = {c: (PREFERRED.index(c) if c in PREFERRED else len(PREFERRED) +
                (0 if c.endswith("_eur") else 1 if c.endswith(UNITS) else 2)) for c in metrics}
    return sorted(metrics, key=rank.get)[:MAX_PANELS]


def is_money(column: str) -> bool:
    return column.endswith(("_eur", "cvar"))


def money_values(frame: pd.DataFrame, columns=None) -> list[float]:
    """Every amount of the money columns (of those given): one EUR unit for a whole figure."""
    return list(frame[[c for c in (columns or frame.columns) if is_money(str(c))
                       and pd.api.types.is_numeric_dtype(frame[c])]].to_numpy().ravel())


def axis_label(column: str, values=()) -> tuple[float, str]:
    """(divisor, 'label (unit)'): money (…_eur, and the frontier's risk_cvar) in the unit of
    its values (EUR bn or m), others in the unit their name says (display.column_kind)."""
    label, unit, kind = column_kind(column)
    if is_money(column):
        div, unit = eur_scale(values)
        return div, f"{label} ({unit})"
    if kind == "share":
        return 0.01, f"{label} (%)"
    return 1.0, f"{label} ({unit})" if unit and kind != "key" else label
