"""The figures of what one run's plan does with material (builds, supply mix, stock,
shortfall), drawn from its Results as read back from its folder; `plan_figures` gives every
figure of the run in report order, with those that measure the plan (measures.py).

Each function returns a `Chart`: a matplotlib Figure (or None, with a note saying why there
is nothing to draw) and a caption telling a reader how to read it. `countries` maps source
and facility ids to their country, for labels; ids it lacks are shown as they are.
"""
from __future__ import annotations

import logging

import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..results import Results, scenario_totals
from .charts import COLORS, Chart, code, country_color, grid, new_figure, numeric
from .measures import concentration, cost_breakdown, shadow_prices

log = logging.getLogger(__name__)
FIXED = {"recycling": "#2ca25f", "substitution": "#b8e186", "stock draw": "#6a3d9a",
         "shortfall": "#d7191c", "other imports": "#dddddd"}
SUPPLY = ("contract", "spot", "production", "recycling", "stock_draw", "substitution")
MAX_ORIGINS = 8    # per material; smaller importers are summed as "other imports"
MAX_BARS = 30      # material-scenario rows in the shortfall figure


def worst_scenarios(results: Results, n: int = 3) -> list[str]:
    """Scenarios by total cost, the costliest first; of equal costs, the least likely first
    (a disruption rather than the calm case)."""
    totals = scenario_totals(numeric(results.costs, "eur")).round(2)
    rank = pd.DataFrame({"cost": totals, "p": totals.index.map(results.summary["probability"])})
    return list(rank.sort_values(["cost", "p"], ascending=[False, True]).index[:n])


def demand_materials(results: Results) -> list[str]:
    """Materials with a demand (scrap has none), in the order the run lists them."""
    return list(dict.fromkeys(results.shortfall["material"]))


def _origins(results: Results, countries: dict[str, str]) -> pd.DataFrame:
    """Flows that meet demand, labelled by origin: import country, production, recycling..."""
    f = numeric(results.flows[results.flows["flow"].isin(SUPPLY)], "t")

    def origin(flow: str, where: str) -> str:
        if flow in ("contract", "spot"):
            return f"imports {code(countries.get(where, where))}"
        if flow == "production":
            return f"production {code(countries[where])}" if where in countries else "production"
        return flow.replace("_", " ")

    f["origin"] = [origin(a, b) for a, b in zip(f["flow"], f["source_or_facility"])]
    short = numeric(results.shortfall, "shortfall_t").rename(columns={"shortfall_t": "t"})
    short["origin"] = "shortfall"
    columns = ["scenario", "year", "material", "origin", "t"]
    return pd.concat([f[columns], short[columns]])


def origin_country(origin: str) -> str | None:
    """The country id of an origin label ('imports CN', 'production FR'), else None."""
    kind, _, where = origin.partition(" ")
    return where.lower() if kind in ("imports", "production") and where else None


def _palette(labels) -> dict[str, str]:
    """Fixed colours for recycling, stock, substitution and shortfall; the country's own
    colour (charts.COUNTRY_COLORS) for imports from it and production in it."""
    return {o: FIXED.get(o) or country_color(origin_country(o) or o) for o in labels}


def supply_mix(results: Results, countries: dict[str, str]) -> Chart:
    flows, probability = _origins(results, countries), results.summary["probability"]
    views = [("expected (probability-weighted)", None)] + [
        (f"costliest scenario: {w}", w) for w in worst_scenarios(results, 1)
        if len(probability) > 1]
    mats = demand_materials(results)
    years = sorted(flows["year"].unique())
    volume = flows.groupby("origin")["t"].sum().sort_values(ascending=False)
    colors = {**FIXED, **_palette(volume.index)}     # one colour per origin in every row
    fig, axes = new_figure(len(mats), len(views), height=2.8)
    for row, mat in zip(axes, mats):
        part = flows[flows["material"] == mat]
        totals = part.groupby("origin")["t"].sum().sort_values(ascending=False)
        labels = [o for o in totals.index if totals[o] > 1e-6]
        imports = [o for o in labels if o.startswith("imports ")]
        small = set(imports[MAX_ORIGINS - (len(labels) - len(imports)):]) if \
            len(labels) > MAX_ORIGINS else set()
        part = part.assign(origin=part["origin"].where(~part["origin"].isin(small),
                                                       "other imports"))
        labels = [o for o in labels if o not in small] + (["other imports"] if small else [])
        for ax, (title, scenario) in zip(row, views):
            view = (part.assign(t=part["t"] * part["scenario"].map(probability))
                    if scenario is None else part[part["scenario"] == scenario])
            table = (view.pivot_table(index="year", columns="origin", values="t", aggfunc="sum")
                     .reindex(index=years, columns=labels).fillna(0.0))
            layers = ax.stackplot(years, [table[o] for o in labels], labels=labels,
                                  colors=[colors[o] for o in labels], linewidth=0)
            for layer, origin in zip(layers, labels):
                if origin.startswith("production"):       # EU plants: hatched, country colour
                    layer.set_hatch("//")
                    layer.set_edgecolor("white")
            ax.set_title(f"{mat}: {title}", fontsize=10, loc="left")
            ax.set_ylabel("t/yr")
            if years[-1] > years[0]:                     # a one-year horizon: matplotlib's own
                ax.set_xlim(years[0], years[-1])
            ax.yaxis.set_major_formatter("{x:,.0f}")
        row[-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    drawn = {o: colors[o] for o in flows["origin"].unique() if o in colors}
    return Chart("supply_mix", "Supply mix by origin", "Where each material comes from, year by "
                 "year: imports by country (contracted and spot), EU production, recycling, "
                 "stock draws and avoided demand, with unmet demand (shortfall) on top. Each "
                 "country keeps its colour in every row (production in an EU country hatched). "
                 "Left: the probability-weighted mean over scenarios; right: the costliest "
                 "scenario. The total includes what EU plants consume as inputs.", fig,
                 colors=drawn)


def stock_levels(results: Results) -> Chart:
    stock = numeric(results.stockpile, "capacity_t")
    stock = stock[stock["capacity_t"] > 1e-6]
    title = "Strategic stock under the worst scenarios"
    if stock.empty:
        return Chart("stock", title, "", note="This plan holds no strategic stock.")
    flows = numeric(results.flows[results.flows["flow"].isin(["stock_draw", "stock_refill"])], "t")
    years = sorted(int(y) for y in results.shortfall["year"].unique())
    worst = worst_scenarios(results)
    fig, axes = grid(len(stock))
    for ax, r in zip(axes, stock.itertuples()):
        for k, scenario in enumerate(worst):
            part = flows[(flows["material"] == r.material) & (flows["scenario"] == scenario)]
            net = (part.assign(t=part["t"].where(part["flow"] == "stock_refill", -part["t"]))
                   .groupby("year")["t"].sum().reindex(years, fill_value=0.0))
            level = list(r.capacity_t + net.cumsum())
            ax.step([*years, years[-1] + 1], [*level, level[-1]], where="post", color=COLORS[k],
                    label=scenario, linewidth=3.6 - 1.2 * k)   # nested when they coincide
        ax.axhline(r.capacity_t, color="#333333", linestyle="--", linewidth=1,
                   label=f"capacity {r.capacity_t:,.0f} t")
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))   # years apart
        ax.yaxis.set_major_formatter("{x:,.0f}")
        ax.set_title(f"{r.material}: stock at year end (t)", fontsize=10, loc="left")
    axes[0].legend(fontsize=8, frameon=False)
    return Chart("stock", title, "Stock capacity chosen before any scenario is known (dashed) "
                 "and the stock left at the end of each year in the three costliest scenarios: "
                 "a dip is the stockpile bridging a disruption.", fig)


def build_timeline(results: Results) -> Chart:
    builds = results.builds.sort_values(["year_built", "facility"])
    title = "Build timeline"
    if builds.empty:
        return Chart("builds", title, "", note="This plan builds no new facility.")
    end = int(numeric(results.shortfall, "year")["year"].max()) + 1
    fig, axes = new_figure(height=0.5 * len(builds) + 1.4)
    ax = axes[0, 0]
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    labels = []
    for i, r in enumerate(builds.itertuples()):
        ax.barh(i, r.year_online - r.year_built, left=r.year_built, color="#fdd49e",
                edgecolor="#e69f00", hatch="//", label="under construction" if i == 0 else None)
        ax.barh(i, end - r.year_online, left=r.year_online, color="#0072b2",
                label="producing" if i == 0 else None)
        ax.text(r.year_built + 0.1, i, f"{r.year_online - r.year_built} yr", va="center",
                fontsize=8)
        labels.append(f"{r.units} × {r.facility} ({r.kind}, {code(r.country)})")
    ax.set_yticks(range(len(builds)), labels)
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("year")
    fig.legend(loc="outside upper right", fontsize=8, frameon=False, ncols=2)
    return Chart("builds", title, "Each new facility from the decision to build (hatched: its "
                 "lead time) to the end of the horizon (solid: producing).", fig)


def shortfall(results: Results) -> Chart:
    sf = numeric(results.shortfall, "shortfall_t", "share_of_demand")
    title = "Shortfall by material and scenario"
    hit = (sf.groupby(["material", "scenario"], sort=False)
           .agg(t=("shortfall_t", "sum"), worst=("share_of_demand", "max")))
    hit = hit[hit["t"] > 1e-6]
    if hit.empty:
        return Chart("shortfall", title, "", note="No shortfall in any scenario: demand is met "
                     "in full every year.")
    probability = results.summary["probability"]
    order = {m: i for i, m in enumerate(demand_materials(results))}
    hit = hit.reset_index()
    hit = hit.assign(rank=hit["material"].map(order)).sort_values(["rank", "worst"],
                                                                  ascending=[True, False])
    more = max(0, len(hit) - MAX_BARS)
    hit = hit.head(MAX_BARS)
    fig, axes = new_figure(height=0.32 * len(hit) + 1.2)
    ax = axes[0, 0]
    names = [f"{r.material} · {r.scenario} (p={probability[r.scenario]:.2f})"
             for r in hit.itertuples()]
    ax.barh(names, hit["worst"], color=FIXED["shortfall"])
    for k, r in enumerate(hit.itertuples()):
        ax.text(r.worst, k, f" {r.t:,.0f} t over the horizon", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, min(1.0, hit["worst"].max() * 1.35))
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.set_xlabel("unmet share of demand in the worst year")
    return Chart("shortfall", title, "Each material and scenario with unmet demand: the "
                 "worst year's shortfall as a share of demand, and the tonnes short over the "
                 "horizon. Materials and scenarios without shortfall are left out"
                 + (f"; {more} more rows are in shortfall.csv." if more else "."), fig)


def plan_figures(results: Results, countries: dict[str, str] | None = None,
                 scale: tuple[float, str] | None = None) -> list[Chart]:
    """Every figure of a run with a plan, in the order the report shows them; money in
    `scale` (divisor, unit), by default that of the expected cost (one unit per page)."""
    from ..display import money_scale

    scale = scale or money_scale([results.summary.get("expected_cost_eur") or 0.0])
    known = {**dict(zip(results.contracts["source"], results.contracts["country"])),
             **dict(zip(results.builds["facility"], results.builds["country"])),
             **(countries or {})}
    charts = [build_timeline(results), supply_mix(results, known), stock_levels(results),
              shortfall(results), cost_breakdown(results, scale), concentration(results),
              shadow_prices(results, scale)]
    log.debug("drew %d figures", sum(c.figure is not None for c in charts))
    return charts
