"""Figures of the analyses (sweep, tornado, compare, frontier, stress, prioritize, ranges), from
their tables.

The functions read a table generically (table_columns.py), so they fit whatever columns an
analysis writes. Keyword arguments name the columns when guessing fails:

    analysis_figures("sweep", frame, x="policy.min_stock_days", y=["expected_cost_eur"])
    analysis_figures("tornado", frame, label="param", low="low_eur", high="high_eur")
    analysis_figures("compare", frame, label="strategy")
    analysis_figures("frontier", frame, x="expected_cost_eur", y="cvar_eur")
    analysis_figures("stress", frame, by="strategy", y=["total_cost_eur"])
"""
from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..display import column_kind
from .charts import COLORS, Chart, eur_scale, new_figure
from .table_columns import (COUNTERS, axis_label, is_money, labels_and_metrics, money_values,
                            pick, swept)

KINDS = ("sweep", "tornado", "compare", "frontier", "stress", "prioritize", "ranges")
CAPTIONS = {
    "sweep": "How the plan's metrics move as a study key or input is swept; one row of "
             "panels per value of a second swept key, if any. Axes do not start from zero, so "
             "that a difference of a few per cent shows.",
    "tornado": "Which inputs matter most: each bar spans the cost at the low and at the high "
               "value of one input (in brackets), the others as in the study; the line is the "
               "base case.",
    "compare": "Strategies side by side, each plan evaluated against the same scenarios. Money "
               "is drawn as the difference from the first strategy (the study's own optimum), "
               "so that a gap of a few per cent shows; each bar is labelled with the "
               "strategy's value, its difference and that difference in per cent.",
    "frontier": "The trade-off frontier between expected cost and risk: each point is an "
                "optimal plan for one bound; further down and left is better on both axes.",
    "stress": "The distribution of each metric over the stress samples (weighted by their "
              "probability where the table gives one), or one box per strategy.",
    "prioritize": "The risk-reduction cost curve: each bar is one lever for one material, as "
                  "wide as the expected shortfall it removes on its own (t over the horizon) "
                  "and as high as what it costs per tonne removed; cheapest security first.",
    "ranges": "Near-optimal ranges: each bar spans the least and the most a key decision takes "
              "over the plans within the slack of the optimal cost, the dot is the chosen "
              "plan's value. Firm decisions (bold, marked 'firm') barely move: any plan that "
              "cheap makes the same choice; a long bar means the choice is loose.",
}


def sweep(frame: pd.DataFrame, x: str | None = None, y=None, by: str | None = None) -> Figure:
    _, metrics = labels_and_metrics(frame)
    keys = [c for c in frame.columns if swept(c)] or ["value" if "value" in frame else metrics[0]]
    x = x or keys[0]
    by = by or (keys[1] if len(keys) > 1 else None)
    ys = pick([m for m in metrics if m != x], y)
    groups = list(frame.groupby(by, sort=True)) if by else [(None, frame)]
    fig, axes = new_figure(len(groups), len(ys), width=max(5.0, 4.2 * len(ys)), height=3.0)
    for row, (name, part) in zip(axes, groups):
        part = part.sort_values(x)
        for k, (ax, column) in enumerate(zip(row, ys)):
            div, text = axis_label(column, money_values(frame, ys) if is_money(column)
                                    else frame[column])
            ax.plot(part[x], part[column] / div, marker="o", color=COLORS[k % len(COLORS)])
            ax.set_xlabel(x)
            ax.set_title(text if name is None else f"{text} at {by} = {name}", fontsize=10,
                         loc="left")
    return fig


def tornado(frame: pd.DataFrame, label: str | None = None, low: str | None = None,
            high: str | None = None, base: str | None = None) -> Figure:
    labels, metrics = labels_and_metrics(frame)
    label = label or labels[0]
    low = low or next(c for c in metrics if c.startswith("low"))
    high = high or next(c for c in metrics if c.startswith("high"))
    base = base or next((c for c in metrics if c.startswith("base")), None)
    rows = frame.assign(span=(frame[high] - frame[low]).abs()).sort_values("span")
    names = rows[label].astype(str)
    if {"low", "high"} <= set(frame.columns) - {low, high}:
        names = [f"{n} [{a:g} to {b:g}]" for n, a, b in zip(names, rows["low"], rows["high"])]
    div, unit = eur_scale(list(rows[low]) + list(rows[high]))
    fig, axes = new_figure(height=0.45 * len(rows) + 1.3)
    ax = axes[0, 0]
    centre = rows[base] if base else (rows[low] + rows[high]) / 2
    ax.barh(names, (rows[low] - centre) / div, left=centre / div, color=COLORS[0],
            label=f"at the low value ({low})")
    ax.barh(names, (rows[high] - centre) / div, left=centre / div, color=COLORS[1],
            label=f"at the high value ({high})")
    if base:
        ax.axvline(rows[base].iloc[0] / div, color="#333333", linewidth=1, label="base")
    ax.set_xlabel(unit if low.endswith("_eur") else "")
    ax.legend(fontsize=8, frameon=False)
    return fig


def compare(frame: pd.DataFrame, label: str | None = None, y=None) -> Figure:
    labels, metrics = labels_and_metrics(frame)
    label = label or labels[0]
    ys = pick(metrics, y)
    names = frame[label].astype(str)
    fig, axes = new_figure(1, len(ys), width=max(5.0, 3.9 * len(ys)),
                           height=0.35 * len(frame) + 1.6)
    colors = strategy_colors(names)
    for ax, column in zip(axes[0], ys):
        values = frame[column].astype(float)
        if is_money(column):
            div, unit = eur_scale(frame[[c for c in ys if is_money(c)]].to_numpy().ravel())
            base = values.iloc[0]
            bars = ax.barh(names, (values - base) / div, color=[colors[n] for n in names])
            ax.bar_label(bars, fontsize=8, padding=2, labels=[
                f"{v / div:,.2f} (baseline)" if k == 0 else
                f"{v / div:,.2f} ({(v - base) / div:+,.2f}, {(v - base) / abs(base):+.1%})"
                if base else f"{v / div:,.2f}" for k, v in enumerate(values)])
            ax.axvline(0, color="#333333", linewidth=0.8)
            ax.plot([0], [names.iloc[0]], marker="D", markersize=9, linestyle="",
                    color=colors[names.iloc[0]])               # the baseline: no bar
            ax.set_title(f"{column_kind(column)[0]} ({unit}), against {names.iloc[0]}",
                         fontsize=10, loc="left")
            ax.set_xlabel(f"difference ({unit})")
        else:
            div, text = axis_label(column, values)
            bars = ax.barh(names, values / div, color=[colors[n] for n in names])
            ax.bar_label(bars, fmt="{:,.0f}" if (values / div).abs().max() >= 100 else
                         "{:,.3g}", fontsize=8, padding=2)
            ax.xaxis.set_major_formatter("{x:,.0f}")
            ax.set_title(text, fontsize=10, loc="left")
        ax.margins(x=0.35)
        ax.invert_yaxis()
    for ax in axes[0, 1:]:
        ax.set_yticks([])
    return fig


def strategy_colors(names) -> dict[str, str]:
    """One colour per strategy (or plan), the same in every panel."""
    return {n: COLORS[i % len(COLORS)] for i, n in enumerate(dict.fromkeys(names))}


def frontier(frame: pd.DataFrame, x: str | None = None, y: str | None = None,
             label: str | None = None) -> Figure:
    labels, metrics = labels_and_metrics(frame)
    risk = next((c for c in frame.columns if c.startswith("risk_")), None)
    x = x or pick(metrics, None)[0]
    y = y or risk or pick([m for m in metrics if m != x], None)[0]
    label = label or next((c for c in labels if c not in COUNTERS), None)
    money = money_values(frame, [x, y])
    (xdiv, xtext), (ydiv, ytext) = axis_label(x, money), axis_label(y, money)
    rows = frame.sort_values(x)
    fig, axes = new_figure(width=7.0, height=4.2)
    ax = axes[0, 0]
    ax.plot(rows[x] / xdiv, rows[y] / ydiv, marker="o", color=COLORS[0])
    if label:
        for _, r in rows.iterrows():
            ax.annotate(str(r[label]), (r[x] / xdiv, r[y] / ydiv), textcoords="offset points",
                        xytext=(4, 4), fontsize=8)
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.set_xlabel(xtext)
    ax.set_ylabel(ytext)
    return fig


def stress(frame: pd.DataFrame, by: str | None = None, y=None) -> Figure:
    _, metrics = labels_and_metrics(frame)
    by = by or next((c for c in ("strategy", "plan") if c in frame), None)
    ys = pick(metrics, y)
    fig, axes = new_figure(1, len(ys), width=max(5.0, 3.6 * len(ys)), height=3.4)
    for ax, column in zip(axes[0], ys):
        div, text = axis_label(column, money_values(frame, ys) if is_money(column)
                                else frame[column])
        if by:
            groups = list(frame.groupby(by, sort=False))
            ax.boxplot([g[column].dropna() / div for _, g in groups])
            ax.set_xticks(range(1, len(groups) + 1), [str(n) for n, _ in groups])
        else:
            weights = frame.get("weight")
            ax.hist(frame[column] / div, bins=30, weights=weights, color=COLORS[0])
            ax.set_ylabel("probability" if weights is not None else "samples")
        ax.set_title(text, fontsize=10, loc="left")
    return fig


def prioritize(frame: pd.DataFrame) -> Figure:
    """Bars of width avoided_t and height eur_per_t, in rank order (levers that avoid
    nothing are left out)."""
    rows = frame[(frame["avoided_t"] > 1e-6) & frame["eur_per_t"].abs().lt(float("inf"))]
    rows = rows.sort_values("eur_per_t")
    fig, axes = new_figure(1, 1, width=10.0, height=4.2)
    ax = axes[0][0]
    left = 0.0
    levers = list(dict.fromkeys(rows["lever"]))
    for r in rows.itertuples():
        color = COLORS[levers.index(r.lever) % len(COLORS)]
        ax.bar(left, r.eur_per_t, width=r.avoided_t, align="edge", color=color,
               edgecolor="white", label=r.lever)
        if r.avoided_t > 0.04 * max(rows["avoided_t"].sum(), 1e-9):
            ax.text(left + r.avoided_t / 2, r.eur_per_t, r.material, ha="center",
                    va="bottom", fontsize=7, rotation=90)
        left += r.avoided_t
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=8, frameon=False)
    ax.set_xlabel("expected shortfall avoided, t (cumulative)")
    ax.set_ylabel("EUR per tonne avoided (symmetric log scale)")
    small = rows["eur_per_t"].abs()
    ax.set_yscale("symlog", linthresh=max(float(small[small > 0].min()) if (small > 0).any()
                                          else 1.0, 1.0))
    ax.axhline(0, color="black", linewidth=0.6)
    return fig


RANGE_PANELS = {"share": "share of consumption", "t": "tonnes", "units": "units built"}


def ranges(frame: pd.DataFrame) -> Figure:
    """One panel per unit (shares, tonnes, units): a bar from min to max per decision, a dot
    at the chosen value; firm decisions named in bold."""
    units = [u for u in RANGE_PANELS if (frame["unit"] == u).any()]
    counts = [int((frame["unit"] == u).sum()) for u in units]
    fig = Figure(figsize=(9.0, 0.2 * sum(counts) + 0.9 * len(units) + 0.6),
                 layout="constrained")
    axes = fig.subplots(len(units), 1, squeeze=False, gridspec_kw={"height_ratios": counts})
    for ax, unit in zip(axes[:, 0], units):
        rows = frame[frame["unit"] == unit].iloc[::-1]
        firm = rows["firm"].astype(str).str.lower().eq("true").to_numpy()
        names = [f"{d} (firm)" if f else d for d, f in zip(rows["decision"], firm)]
        colors = [COLORS[0] if f else COLORS[1] for f in firm]
        ax.barh(names, rows["max"] - rows["min"], left=rows["min"], color=colors, height=0.6)
        ax.scatter(rows["chosen"], names, color="#333333", s=10, zorder=3)
        for label, f in zip(ax.get_yticklabels(), firm):
            label.set_fontweight("bold" if f else "normal")
        ax.tick_params(axis="y", labelsize=7)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        if unit == "t" and rows["max"].max() > 100 * max(rows["max"].median(), 1.0):
            ax.set_xscale("symlog", linthresh=1.0)
        ax.set_title(RANGE_PANELS[unit], fontsize=10, loc="left")
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
    return fig


def firm_and_loose(frame: pd.DataFrame, limit: int = 6) -> str:
    """One sentence a planner can repeat: the firm decisions that do something (chosen value
    not zero) and the loosest ones, by the width of their range against its larger end."""
    flag = frame["firm"].astype(str).str.lower().eq("true")
    acting = frame[flag & (frame["chosen"].abs() > 1e-9)]
    loose = frame[~flag]
    scale = pd.concat([loose["max"].abs(), loose["min"].abs()], axis=1).max(axis=1)
    loose = loose.assign(width=(loose["max"] - loose["min"]) / scale.clip(lower=1e-9))
    loose = loose.sort_values("width", ascending=False, kind="stable")
    listed = ", ".join(acting["decision"].head(limit)) or "none"
    more = f" and {len(acting) - limit} more" if len(acting) > limit else ""
    loosest = ", ".join(loose["decision"].head(limit)) or "none"
    return f"Firm (the same in every plan within the slack): {listed}{more}. Loosest: {loosest}."


DRAW = {"sweep": sweep, "tornado": tornado, "compare": compare, "frontier": frontier,
        "stress": stress, "prioritize": prioritize, "ranges": ranges}


def analysis_figures(kind: str, frame: pd.DataFrame, **columns) -> list[Chart]:
    """The figures of one analysis table (kind one of KINDS); see the module doc for columns."""
    if kind not in DRAW:
        raise ValueError(f"unknown analysis {kind!r}; expected one of {', '.join(KINDS)}")
    if frame.empty:
        return [Chart(kind, kind.capitalize(), "", note=f"The {kind} table is empty.")]
    caption = CAPTIONS[kind] + (" " + firm_and_loose(frame) if kind == "ranges" else "")
    drawn = {}
    if kind == "compare":
        labels = labels_and_metrics(frame)[0]
        drawn = strategy_colors(frame[columns.get("label") or labels[0]].astype(str))
    return [Chart(kind, kind.capitalize(), caption, DRAW[kind](frame, **columns), colors=drawn)]
