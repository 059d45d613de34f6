"""The plan in plain language, for the terminal and the top of the report."""
from __future__ import annotations

import pandas as pd

from ..display import money as _eur
from ..results import Results
from .answers import material_lines, why_lines


def plain_summary(results: Results) -> str:
    s = results.summary
    lines = [f"{s['study']}: {s['status']}"]
    if not results.ok:
        return "\n".join(lines)
    gap = s.get("mip_gap")
    lines[0] += f" (gap {gap:.2%})" if gap is not None else ""
    lines.append(f"Expected cost {_eur(s['expected_cost_eur'])} (present value); "
                 f"CVaR {_eur(s['cvar_eur'])}.")
    lines += _out_of_sample(s.get("out_of_sample"))
    lines += _within_gap(s.get("within_gap"))
    builds = results.builds
    if builds.empty:
        lines.append("Build: nothing.")
    else:
        lines.append("Build:")
        for r in builds.sort_values(["year_built", "facility"]).itertuples():
            lines.append(f"  - {r.units} x {r.facility} ({r.kind} of {r.output}, {r.country}) "
                         f"in {r.year_built}, producing from {r.year_online}")
    contracts = results.contracts
    if not contracts.empty:
        lines.append("Buy under contract (mean t/yr over the horizon, by country):")
        years = results.shortfall["year"].nunique() or contracts["year"].nunique()
        per = contracts.groupby(["material", "country"])["volume_t"].sum() / years
        for mat, group in per.groupby(level="material"):
            parts = ", ".join(f"{c} {v:,.0f}" for (_, c), v in
                              group.sort_values(ascending=False).items() if v >= 0.5)
            lines.append(f"  - {mat}: {parts}")
    stock = results.stockpile[results.stockpile["capacity_t"] > 1e-6]
    if stock.empty:
        lines.append("Stock: none.")
    else:
        lines.append("Stock:")
        for r in stock.itertuples():
            days = "" if pd.isna(r.days_of_demand) else f" ({r.days_of_demand:.0f} days of peak consumption)"
            lines.append(f"  - {r.material}: {r.capacity_t:,.0f} t{days}")
    sf = results.shortfall
    if not sf.empty:
        weights = s["probability"]
        expected = (sf["shortfall_t"] * sf["scenario"].map(weights)).groupby(sf["material"]).sum()
        worst = sf.groupby("material")["share_of_demand"].max()
        short = [f"{m} {expected[m]:,.0f} t (worst year {worst[m]:.0%} of demand)"
                 for m in expected.index if expected[m] > 0.5]
        lines.append("Expected shortfall over the horizon: "
                     + ("; ".join(short) if short else "none") + ".")
    lines += why_lines(results) + material_lines(results)
    return "\n".join(lines)


def _out_of_sample(block: dict | None) -> list[str]:
    """In- and out-of-sample figures side by side, with the out-of-sample intervals."""
    if not block:
        return []
    inside, level = block["in_sample"], f"{block['level']:.0%}"

    def interval(triple, show) -> str:
        lo, mean, hi = triple
        return f"{show(mean)} ({level}: {show(lo)} to {show(hi)})"

    def share(p: float) -> str:
        return f"{p:.1%}"

    return [f"Out of sample ({block['samples']} scenarios drawn from the event model, "
            f"seed {block['seed']}), in sample in brackets:",
            f"  - expected cost {interval(block['expected_cost_eur'], _eur)} "
            f"[{_eur(inside['expected_cost_eur'])}]",
            f"  - CVaR {interval(block['cvar_eur'], _eur)} [{_eur(inside['cvar_eur'])}]",
            f"  - probability of any shortfall {interval(block['p_shortfall'], share)} "
            f"[{share(inside['p_shortfall'])}]"]


def _within_gap(block: dict | None) -> list[str]:
    """The decisions the solver's gap leaves open (firmness.py), the firm ones in a count."""
    if not block:
        return []
    names = {"stock_t": "stock", "contracted_t": "contracted"}
    loose = [d for d in block["decisions"] if not d["firm"]]
    head = (f"Within the solver's gap ({block['mip_rel_gap']:.2%} of cost, builds held): "
            f"{len(block['decisions']) - len(loose)} of {len(block['decisions'])} stock and "
            f"contract totals firm")
    if not loose:
        return [head + "."]
    return [head + "; these move:"] + [
        f"  - {d['material']} {names[d['decision']]} {d['low']:,.0f} to {d['high']:,.0f} t "
        f"(plan {d['value']:,.0f} t)" for d in loose]
