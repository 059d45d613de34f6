"""Why each decision: the scenarios and years that make a build, a stock or a large contract
pay, from the scenario-wise value of the decision (why.csv and one sentence per decision).

The values come from the LP left when the integers are fixed at the plan
(fixed_lp.fixed_lp_duals), in the objective's present-value EUR (probability, discounting and CVaR
weight applied): λ[m,y,w] is the dual of material_balance, the value of one more tonne of m in
year y of scenario w; μ[f,y,w] that of production_within_capacity, the value of one more
tonne of f's capacity. Each decision relaxes rows of its own in each scenario-year:

    stock of m        value[y,w] = λ[m,y,w]·stock_draw[m,y,w]
    build of f        value[y,w] = μ[f,y,w]·capacity_t_per_yr[f]·units built online in y
    contract on s     value[y,w] = (λ[m,y,w] − π_w·d_y·price[s])·t delivered[s,y,w]

with π_w = probability[w] + weight·(CVaR weight of w) the weight of scenario w's cost in the
objective and d_y the discount factor. A scenario's value is the sum over its years; the
scenarios that hold at least 10% of the decision's positive value, at most three, are kept,
the largest first (the largest alone when none holds 10%: a value spread over many sampled
paths, value_share saying how thinly), each with its years (those with a positive value) and, for a stock, the
tonnes drawn and the deficit it met: draws plus what was still short in those years. A
decision with no positive value anywhere (a stock never drawn, a plant whose capacity is
never scarce: a policy floor, or a tie with other supply) is listed without a scenario.

A large contract is one whose volume over the horizon is at least LARGE_SHARE of its
material's demand over the horizon.
"""
from __future__ import annotations

import pandas as pd

from .case import Case
from .materials import cvar_weights
from .results import COLUMNS

ROWS = ("material_balance", "production_within_capacity")
LARGE_SHARE = 0.10
KEEP_SHARE, KEEP_AT_MOST = 0.10, 3
TOL = 1e-6


def objective_weight(case: Case, costs: pd.DataFrame) -> dict[str, float]:
    """π_w: the weight of one EUR of scenario w's cost in the objective."""
    p, risk = case.probability, case.study.risk
    if risk.measure != "cvar" or risk.weight <= 0:
        return p
    tail = cvar_weights(costs, p, risk.alpha)
    return {w: p[w] + risk.weight * tail[w] for w in p}


def _dual(duals: dict, name: str, frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    index = zip(*(frame[k] for k in keys))
    return pd.Series([duals.get((name, k), 0.0) for k in index], index=frame.index)


def scenario_years(case: Case, tables: dict[str, pd.DataFrame], duals: dict) -> pd.DataFrame:
    """value_eur per decision, scenario and year (module doc), with supplied_t and deficit_t."""
    flows, parts = tables["flows"], []
    by_key = ["material", "year", "scenario"]
    draws = flows[flows["flow"] == "stock_draw"]
    stock = tables["stockpile"].set_index("material")["capacity_t"]
    draws = draws[draws["material"].map(stock).fillna(0.0) > TOL]
    if len(draws):
        short = tables["shortfall"].set_index(by_key)["shortfall_t"]
        parts.append(pd.DataFrame({
            "decision": "stock", "subject": draws["material"], "material": draws["material"],
            "size": draws["material"].map(stock), "unit": "t", "scenario": draws["scenario"],
            "year": draws["year"], "value_eur": _dual(duals, "material_balance", draws, by_key)
            * draws["t"], "supplied_t": draws["t"],
            "deficit_t": draws["t"] + short.reindex(pd.MultiIndex.from_frame(
                draws[by_key])).fillna(0.0).to_numpy()}))
    idle = [m for m, cap in stock.items() if cap > TOL and m not in set(draws["material"])]
    parts.append(pd.DataFrame({"decision": "stock", "subject": idle, "material": idle,
                               "size": [stock[m] for m in idle], "unit": "t", "scenario": "",
                               "year": float("nan"), "value_eur": 0.0}))
    parts += [_builds(case, tables, duals), _contracts(case, tables, duals)]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _builds(case: Case, tables: dict[str, pd.DataFrame], duals: dict) -> pd.DataFrame:
    builds, fac, flows = tables["builds"], case.facilities, tables["flows"]
    made = flows[flows["flow"].isin(["production", "recycling"])]
    produced = dict(zip(zip(made["source_or_facility"], made["year"], made["scenario"]),
                        made["t"]))
    rows = []
    for f, group in builds.groupby("facility"):
        units, existing = int(group["units"].sum()), float(fac.at[f, "existing_units"])
        capacity, output = float(fac.at[f, "capacity_t_per_yr"]), fac.at[f, "output"]
        online = list(zip(group["year_online"], group["units"]))
        for y in case.years:
            new = sum(int(n) for year, n in online if year <= y)
            if new == 0:
                continue
            for w in case.probability:
                value = duals.get(("production_within_capacity", (f, y, w)), 0.0) * capacity * new
                rows.append(("build", f, output, units, "units", w, y, value,
                             new / (new + existing) * produced.get((f, y, w), 0.0),
                             float("nan")))
    return pd.DataFrame(rows, columns=COLUMNS["why"][:6] + ["year", "value_eur", "supplied_t",
                                                            "deficit_t"])


def _contracts(case: Case, tables: dict[str, pd.DataFrame], duals: dict) -> pd.DataFrame:
    src, contracts = case.sources, tables["contracts"]
    demand = case.base_demand.groupby(level="material").sum()
    volume = contracts.groupby("source")["volume_t"].sum()
    large = volume[volume >= LARGE_SHARE * volume.index.map(src["material"]).map(demand)
                   .fillna(float("inf")).to_numpy()]
    flows = tables["flows"]
    f = flows[(flows["flow"] == "contract") & flows["source_or_facility"].isin(large.index)]
    if f.empty:
        return pd.DataFrame()
    weight = f["scenario"].map(objective_weight(case, tables["costs"]))
    paid = weight * f["year"].map(case.discount) * f["source_or_facility"].map(
        src["price_eur_per_t"])
    lam = _dual(duals, "material_balance", f, ["material", "year", "scenario"])
    years = len(case.years)
    return pd.DataFrame({
        "decision": "contract", "subject": f["source_or_facility"], "material": f["material"],
        "size": f["source_or_facility"].map(large) / years, "unit": "t/yr",
        "scenario": f["scenario"], "year": f["year"], "value_eur": (lam - paid) * f["t"],
        "supplied_t": f["t"], "deficit_t": float("nan")})


def _years(years) -> str:
    """2031, 2033-2035"""
    years, spans = sorted(int(y) for y in years), []
    for y in years:
        if spans and y == spans[-1][1] + 1:
            spans[-1][1] = y
        else:
            spans.append([y, y])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def why(case: Case, tables: dict[str, pd.DataFrame], duals: dict) -> pd.DataFrame:
    """why.csv: per decision, the scenarios that make it pay (module doc)."""
    values = scenario_years(case, tables, duals)
    if values.empty:
        return pd.DataFrame(columns=COLUMNS["why"])
    rows = []
    for (kind, subject), group in values.groupby(["decision", "subject"], sort=False):
        paying = group[group["value_eur"] > TOL]
        first = group.iloc[0]
        if paying.empty:
            rows.append((kind, subject, first["material"], first["size"], first["unit"], "", "",
                         0.0, 0.0, float("nan"), float("nan")))
            continue
        by_scenario = paying.groupby("scenario")["value_eur"].sum().sort_values(ascending=False)
        total = by_scenario.sum()
        kept = by_scenario[by_scenario >= KEEP_SHARE * total].head(KEEP_AT_MOST)
        if kept.empty:       # spread over many scenarios: the largest says where it pays
            kept = by_scenario.head(1)
        for w, value in kept.items():
            years = paying[paying["scenario"] == w]
            rows.append((kind, subject, first["material"], first["size"], first["unit"], w,
                         _years(years["year"]), value, value / total,
                         years["deficit_t"].sum(min_count=1), years["supplied_t"].sum()))
    return pd.DataFrame(rows, columns=COLUMNS["why"])


def _number(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 0.5 else "0"


def _head(first) -> str:
    size, unit = float(first["size"]), first["unit"]
    if first["decision"] == "stock":
        return f"{first['material']} stock {_number(size)} t"
    if first["decision"] == "build":
        plural = "unit" if size == 1 else "units"
        return f"{first['subject']} ({_number(size)} {plural} producing {first['material']})"
    return f"{first['material']} contract {first['subject']} ({_number(size)} {unit})"


def _reason(row) -> str:
    where = f"{row['years']} {row['scenario']}"
    if row["decision"] == "stock":
        deficit, drawn = float(row["deficit_t"]), float(row["supplied_t"])
        if drawn >= deficit - 0.5:
            return f"covers the {where} deficit of {_number(deficit)} t"
        return f"covers {_number(drawn)} t of the {where} deficit of {_number(deficit)} t"
    verb = "producing" if row["decision"] == "build" else "delivering"
    return f"pays in {row['scenario']} ({row['years']}), {verb} " \
        f"{_number(float(row['supplied_t']))} t"


def sentences(why_frame: pd.DataFrame) -> list[str]:
    """One sentence per decision of why.csv, e.g. "magnesium stock 23,500 t: covers the
    2031 power-rationing deficit of 23,500 t"."""
    out = []
    for _, group in why_frame.groupby(["decision", "subject"], sort=False):
        first = group.iloc[0]
        if not isinstance(first["scenario"], str) or not first["scenario"]:
            out.append(f"{_head(first)}: worth nothing at the margin in any scenario "
                       "(a policy floor, or a tie with other supply)")
            continue
        reasons = [_reason(r) + (f" ({r['value_share']:.0%} of its value)" if len(group) > 1
                                 else "") for _, r in group.iterrows()]
        out.append(f"{_head(first)}: " + "; ".join(reasons))
    return out
