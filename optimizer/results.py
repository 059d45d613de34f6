"""The plan as tidy DataFrames: DESIGN's output tables, read off a solved model.

`extract` is the only place that reads variable values; everything downstream (KPIs, the
writer, analyses, reports) works on these frames.
"""
from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

from .case import Case

TOL = 1e-6
COLUMNS = {
    "builds": ["facility", "kind", "country", "output", "year_built", "year_online", "units"],
    "stockpile": ["material", "capacity_t", "days_of_demand"],
    "contracts": ["source", "material", "country", "year", "volume_t"],
    "flows": ["scenario", "year", "material", "flow", "source_or_facility", "t"],
    "shortfall": ["scenario", "material", "year", "shortfall_t", "share_of_demand"],
    "costs": ["scenario", "component", "eur", "material"],
    "kpis": ["material", "year", "hhi", "max_country_share", "top_country", "eu_processing_share",
             "recycling_share", "supply_risk", "max_supply_share", "top_supplier"],
    "duals": ["constraint", "policy", "material", "country", "year", "scenario", "shadow_price",
              "shadow_price_pv", "unit", "method"],
    "conflicts": ["constraint", "policy", "material", "country", "year", "scenario", "violation",
                  "unit", "explanation"],
    "materials": ["material", "name", "cost_eur", "purchases_eur", "capex_eur", "opex_eur",
                  "stock_eur", "substitution_eur", "shortage_eur", "cvar_contribution_eur",
                  "import_dependence", "max_non_eu_share", "max_non_eu_country",
                  "eu_production_share", "recycling_share", "stock_t", "stock_days",
                  "expected_shortfall_t"],
    "why": ["decision", "subject", "material", "size", "unit", "scenario", "years", "value_eur",
            "value_share", "deficit_t", "supplied_t"],
}


def values(component) -> dict:
    """{index: value} of a Var (0 for unset)."""
    return {k: v or 0.0 for k, v in component.extract_values().items()}


def empty(name: str) -> pd.DataFrame:
    return pd.DataFrame(columns=COLUMNS[name])


def builds(case: Case, model) -> pd.DataFrame:
    fac = case.facilities
    rows = [(f, fac.at[f, "kind"], fac.at[f, "country"], fac.at[f, "output"], y,
             case.online_year(f, y), int(round(v)))
            for (f, y), v in values(model.units_built).items() if v > 0.5]
    return pd.DataFrame(rows, columns=COLUMNS["builds"])


def consumption(case: Case, flows: pd.DataFrame) -> pd.Series:
    """EU consumption by (material, year, scenario): demand - substitution + use."""
    demand = case.demand.rename("t").reset_index()
    used = flows[flows["flow"] == "use"]
    avoided = flows[flows["flow"] == "substitution"].assign(t=lambda f: -f["t"])
    frame = pd.concat([demand, used, avoided])
    return frame.groupby(["material", "year", "scenario"])["t"].sum()


def expected_consumption(case: Case, flows: pd.DataFrame,
                         probability: dict | None = None) -> pd.Series:
    """Σ_w p_w consumption[m,y,w] by (material, year); p the case's probabilities unless
    given."""
    by_scenario = consumption(case, flows)
    weight = by_scenario.index.get_level_values("scenario").map(
        probability or case.probability).to_numpy()
    return (by_scenario * weight).groupby(level=["material", "year"]).sum()


def stockpile(case: Case, model, flows: pd.DataFrame) -> pd.DataFrame:
    """Stock capacity and the days of consumption it covers in the year and scenario that
    consume most, from the year policies apply (the measure min_stock_days bounds)."""
    return stockpile_of(case, values(model.stock_capacity), flows)


def stockpile_of(case: Case, capacity: dict, flows: pd.DataFrame) -> pd.DataFrame:
    """stockpile's table from the capacity of each material {material: t}."""
    used = consumption(case, flows)
    used = used[used.index.get_level_values("year") >= case.study.from_year]
    peak = used.groupby(level="material").max()
    rows = []
    for mat, cap in capacity.items():
        d = peak.get(mat, 0.0)
        rows.append((mat, cap, 365.0 * cap / d if d > 0 else float("nan")))
    return pd.DataFrame(rows, columns=COLUMNS["stockpile"])


def contracts(case: Case, model) -> pd.DataFrame:
    src = case.sources
    rows = [(s, src.at[s, "material"], src.at[s, "country"], y, v)
            for (s, y), v in values(model.contract).items() if v > TOL]
    return pd.DataFrame(rows, columns=COLUMNS["contracts"])


def flows(case: Case, model) -> pd.DataFrame:
    """Every non-zero flow of every material balance, tonnes: the terms the concerns
    registered (Terms.supply, Terms.use), each coefficient · variable value, labelled as
    registered; flows with a table of their own (shortfall) are left out."""
    rows = []
    for flow, label, (mat, y, w), coef, var in model.flow_terms:
        if flow.reported:
            scale = coef if isinstance(coef, (int, float)) else pyo.value(coef)
            rows.append((w, y, mat, flow.name, label, scale * (var.value or 0.0)))
    frame = pd.DataFrame(rows, columns=COLUMNS["flows"])
    return frame[frame["t"].abs() > TOL].reset_index(drop=True)


def shortfall(case: Case, model) -> pd.DataFrame:
    rows, demand = [], case.demand.to_dict()
    for (mat, y, w), v in values(model.shortfall).items():
        d = demand[mat, y, w]
        rows.append((w, mat, y, v, v / d if d > 0 else 0.0))
    return pd.DataFrame(rows, columns=COLUMNS["shortfall"])


def costs(model) -> pd.DataFrame:
    """Cost components in EUR (the model counts million EUR), before attribution.py splits
    them by material."""
    eur = model.eur_per_objective_unit
    first, second = model.cost_components["first"], model.cost_components["second"]
    rows = [("*", k, eur * pyo.value(model.first_stage_component[k])) for k in first]
    rows += [(w, k, eur * pyo.value(model.scenario_component[k, w])) for w in model.W
             for k in second]
    return pd.DataFrame(rows, columns=["scenario", "component", "eur"])


def expected_cost(costs_frame: pd.DataFrame, probability: dict[str, float]) -> float:
    """First-stage rows plus probability-weighted scenario rows."""
    weight = costs_frame["scenario"].map(lambda w: 1.0 if w == "*" else probability[w])
    return float((costs_frame["eur"] * weight).sum())


def scenario_totals(costs_frame: pd.DataFrame) -> pd.Series:
    """Total cost (first stage + second stage) per scenario."""
    first = costs_frame.loc[costs_frame["scenario"] == "*", "eur"].sum()
    second = costs_frame[costs_frame["scenario"] != "*"].groupby("scenario")["eur"].sum()
    return second + first


def cost_measures(costs_frame: pd.DataFrame, probability: dict[str, float],
                  alpha: float) -> dict[str, float]:
    """summary.json's expected_cost_eur and cvar_eur (CVaR_alpha of the scenario totals) of
    a costs table."""
    return {"expected_cost_eur": expected_cost(costs_frame, probability),
            "cvar_eur": cvar(scenario_totals(costs_frame), probability, alpha)}


def held_objective(measures: dict[str, float], risk) -> float:
    """The study's objective from a held plan's cost_measures: expected cost, plus the
    study's weight times CVaR when it weighs CVaR (the plan fixed, each scenario's cheapest
    second stage also minimises the CVaR term)."""
    return measures["expected_cost_eur"] + \
        (risk.weight * measures["cvar_eur"] if risk.weighs_cvar else 0.0)


def tail_mass(totals: pd.Series, probability: dict[str, float], alpha: float) -> dict[str, float]:
    """The probability each scenario puts in the worst (1 - alpha) tail, costliest first."""
    tail, mass, taken = 1.0 - alpha, 0.0, {}
    for w in totals.sort_values(ascending=False).index:
        take = min(probability[w], tail - mass)
        if take <= 0:
            break
        taken[w] = take
        mass += take
    return taken


def cvar(totals: pd.Series, probability: dict[str, float], alpha: float) -> float:
    """CVaR_alpha of a discrete cost distribution: mean of the worst (1 - alpha) probability."""
    taken = tail_mass(totals, probability, alpha)
    mass = sum(taken.values())
    return sum(take * totals[w] for w, take in taken.items()) / mass if mass > 0 \
        else float(totals.max())


class Results:
    """A finished run: summary (dict) and DESIGN's output tables as DataFrames.

    Tables: builds, stockpile, contracts, flows, shortfall, costs, kpis, duals, and conflicts
    (the policy rows that must give way, for an infeasible study). `plan` is the first stage
    as the solver left it (optimizer.plan.Plan) when the run read it off its model, else None.
    materials (materials.py) and why (explain.py) are the per-material answers.
    """

    TABLES = ("builds", "stockpile", "contracts", "flows", "shortfall", "costs", "kpis", "duals",
              "conflicts", "materials", "why")

    def __init__(self, summary: dict, tables: dict[str, pd.DataFrame], solver_log: str = "",
                 plan=None):
        self.summary = summary
        self.tables = {name: tables.get(name, empty(name)) for name in self.TABLES}
        self.solver_log = solver_log
        self.plan = plan

    def __getattr__(self, name):
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def status(self) -> str:
        return self.summary["status"]

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")

    def __repr__(self) -> str:
        s = self.summary
        return (f"Results({s['study']!r}, status={s['status']!r}, "
                f"objective_eur={s.get('objective_eur')})")
