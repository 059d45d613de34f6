"""The figures that measure one run's plan: its cost by component and scenario, its supply
concentration (kpis.csv) and what its binding policies cost at the margin (duals.csv).

Each function returns a `Chart` (charts.py); money is drawn in `scale` (divisor, unit).
"""
from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..results import Results, scenario_totals
from .charts import Chart, new_figure, numeric


def cost_breakdown(results: Results, scale: tuple[float, str]) -> Chart:
    costs = numeric(results.costs, "eur")
    probability = results.summary["probability"]
    weight = costs["scenario"].map(lambda w: 1.0 if w == "*" else probability.get(w, 0.0))
    expected = (costs["eur"] * weight).groupby(costs["component"]).sum()
    expected = expected[expected.abs() > 1e-6].sort_values()
    totals = scenario_totals(costs).sort_values()
    div, unit = scale
    fig, axes = new_figure(1, 2, height=max(3.2, 0.35 * max(len(expected), len(totals)) + 1.2))
    ax = axes[0, 0]
    ax.barh(expected.index, expected / div,
            color=["#009e73" if v < 0 else "#0072b2" for v in expected])
    ax.set_title("expected cost by component (present value)", fontsize=10, loc="left")
    ax.set_xlabel(unit)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax = axes[0, 1]
    names = [f"{w} (p={probability[w]:.2f})" for w in totals.index]
    ax.hlines(names, totals.min() / div, totals / div, color="#56b4e9", linewidth=2)
    ax.plot(totals / div, names, "o", color="#0072b2")
    ax.ticklabel_format(axis="x", useOffset=False, style="plain")
    for value, label, style in ((results.summary.get("expected_cost_eur"), "expected", "--"),
                                (results.summary.get("cvar_eur"), "CVaR", ":")):
        if value is not None:
            ax.axvline(value / div, color="#333333", linestyle=style, label=f"{label} "
                       f"{value / div:,.2f} {unit}")
    ax.margins(x=0.15, y=0.2)
    ax.set_title("total cost per scenario (axis not from zero)", fontsize=10, loc="left")
    ax.set_xlabel(unit)
    ax.legend(fontsize=8, frameon=False, loc="best")
    return Chart("costs", "Cost breakdown", "Left: what the plan is expected to cost, by "
                 "component (credits such as resale and the value of stock left at the end "
                 "are negative). Right: the total in each scenario, against the expected "
                 "cost and the CVaR (mean of the worst tail).", fig)


def third_country_share(kpis: pd.DataFrame) -> pd.Series:
    """The CRMA's concentration figure per kpis.csv row, max_country_share (the largest single
    non-EU country's share of EU consumption), blank where nothing comes from outside the EU
    (EU supply is no dependence: the chart writes 'EU' there, in no risk colour)."""
    imported = kpis["top_country"].fillna("").astype(str) != ""
    return pd.to_numeric(kpis["max_country_share"], errors="coerce").where(imported)


def concentration(results: Results) -> Chart:
    kpis = numeric(results.kpis, "max_country_share", "eu_processing_share", "recycling_share")
    title = "Supply concentration"
    if not kpis.empty:
        kpis["third_country_share"] = third_country_share(kpis)
    panels = [(column, label, cmap) for column, label, cmap in (
        ("third_country_share", "largest single non-EU country's share", "YlOrRd"),
        ("eu_processing_share", "EU processing share", "Blues"),
        ("recycling_share", "recycling share", "Greens"))
        if column in kpis and kpis[column].fillna(0).abs().max() > 1e-6]
    if kpis.empty or not panels:
        return Chart("concentration", title, "", note="No supply indicators for this run.")
    tables = [kpis.pivot_table(index="material", columns="year", values=c, sort=False,
                               dropna=False) for c, _, _ in panels]
    tables = [t[t.fillna(0).max(axis=1) > 1e-6] if c != "third_country_share" else t
              for t, (c, _, _) in zip(tables, panels)]
    fig = Figure(figsize=(11, sum(0.26 * len(t) + 0.9 for t in tables)), layout="constrained")
    axes = fig.subplots(len(panels), 1, squeeze=False,
                        height_ratios=[len(t) + 3 for t in tables])[:, 0]
    for ax, table, (column, label, cmap) in zip(axes, tables, panels):
        ax.set_facecolor("#f0f6ff")                      # blank cells: EU supply, no risk
        image = ax.imshow(table.to_numpy(float), aspect="auto", cmap=cmap, vmin=0, vmax=1)
        ax.set_yticks(range(len(table)), table.index)
        ax.set_xticks(range(len(table.columns)), [str(int(y)) for y in table.columns],
                      fontsize=8)
        if table.size <= 400:
            for (i, j), v in pd.DataFrame(table.to_numpy(float)).stack().dropna().items():
                ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=6.5,
                        color="white" if v > 0.6 else "#222222")
            if column == "third_country_share":
                for i, j in zip(*table.isna().to_numpy().nonzero()):
                    ax.text(j, i, "EU", ha="center", va="center", fontsize=6.5, color="#0b5cad")
        ax.set_title(label, fontsize=10, loc="left")
        fig.colorbar(image, ax=ax, format="{x:.0%}", fraction=0.03, pad=0.01)
    return Chart("concentration", title, "Supply-risk indicators per material and year "
                 "(probability-weighted, kpis.csv). Top: dependence as the Critical Raw "
                 "Materials Act counts it, the share of EU consumption imported from the largest "
                 "single non-EU country (red is concentrated); 'EU' where nothing is imported "
                 "from outside the EU, which is no dependence and never coloured as a risk. Below: EU "
                 "refining and recycling as shares of consumption (materials with none are "
                 "left out of those two).", fig)


def shadow_prices(results: Results, scale: tuple[float, str]) -> Chart:
    duals = numeric(results.duals, "shadow_price_pv")
    title = "Policy shadow prices"
    if duals.empty or duals["shadow_price_pv"].abs().max() <= 1e-6:
        return Chart("duals", title, "", note="No policy constraint binds (or the study "
                     "imposes none): no policy raises the cost of this plan at the margin.")
    text = duals.fillna({"policy": "", "material": "", "unit": ""}).astype({"material": str})
    label = (text["policy"].str.removeprefix("policy.") + " " + text["material"]).str.strip()
    per = duals.groupby(label + " [" + text["unit"] + "]")["shadow_price_pv"].sum()
    per = per[per.abs() > 1e-6].sort_values(key=abs).tail(15)
    div, unit = scale
    fig, axes = new_figure(height=0.4 * len(per) + 1.3)
    axes[0, 0].barh(per.index, per / div, color="#cc79a7")
    axes[0, 0].set_xlabel(f"{unit} (present value) per unit of the policy, summed over years and "
                  "scenarios")
    return Chart("duals", title, "What each binding policy costs at the margin: the rise in "
                 "expected cost if it were tightened by one unit (a tonne, or the unit shown) "
                 "in every year and scenario where it binds. The table below lists the rows.",
                 fig)
