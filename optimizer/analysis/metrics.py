"""The figures by which analyses compare plans, read off a plan's output tables.

With p_w the scenario probabilities:

- expected_cost_eur, cvar_eur: from summary (present value; CVaR_α of scenario totals);
- capex_eur: the present value of capital spent (costs.csv capex row);
- total_stock_t, units_built, contracted_t: Σ stock capacity, Σ units built, Σ contracted t;
- max_country_share: the largest share of one third (non-EU) country in a material's EU
  consumption in any year from the policy's from_year on (all years without one), in
  expectation: Σ_w p_w (contract + spot)[m,c,y,w] over Σ_w p_w (demand − substitution +
  use)[m,y,w], as the policy cap counts it, capped at 1 as kpis.csv's column of that name
  (imports beyond consumption refill stock or are resold);
- hhi: the mean over materials and years of the HHI of expected supply (kpis.csv);
- expected_shortfall_t = Σ_w p_w Σ_{m,y} shortfall[m,y,w]; worst_shortfall_share: the
  largest shortfall share of demand in any scenario, material and year;
- land_ha, energy_gwh_per_yr, staff_fte: footprint of the facilities standing at the horizon
  end (existing + built) in the policy's limit countries (default: every EU country).
"""
from __future__ import annotations

import math

import pandas as pd

from ..case import Case
from ..results import Results, expected_consumption

KEY = ("status", "objective_eur", "expected_cost_eur", "cvar_eur", "capex_eur", "total_stock_t",
       "units_built", "contracted_t", "max_country_share", "expected_shortfall_t")
FOOTPRINTS = {"land_ha": "land_ha_per_unit", "energy_gwh_per_yr": "energy_gwh_per_yr_per_unit",
              "staff_fte": "staff_fte_per_unit"}


def _expected(frame: pd.DataFrame, column: str, probability: dict, by=None):
    weighted = frame[column] * frame["scenario"].map(probability)
    if by is None:
        return float(weighted.sum())
    return weighted.groupby([frame[c] for c in ([by] if isinstance(by, str) else by)]).sum()


def plan_metrics(results: Results, case: Case) -> dict:
    """The key figures of one plan (NaN when it has none)."""
    s = results.summary
    row = {"status": s["status"], "objective_eur": s.get("objective_eur"),
           "expected_cost_eur": s.get("expected_cost_eur"), "cvar_eur": s.get("cvar_eur")}
    if not results.ok:
        return {k: row.get(k, math.nan) for k in KEY}
    costs = results.costs
    probability = results.summary["probability"]
    row.update(
        capex_eur=float(costs.loc[(costs["scenario"] == "*") & (costs["component"] == "capex"),
                                  "eur"].sum()),
        total_stock_t=float(results.stockpile["capacity_t"].sum()),
        units_built=int(results.builds["units"].sum()),
        contracted_t=float(results.contracts["volume_t"].sum()),
        max_country_share=max_country_share(results, case),
        expected_shortfall_t=_expected(results.shortfall, "shortfall_t", probability))
    return row


def max_country_share(results: Results, case: Case) -> float:
    """The largest expected share of one third country in a material's EU consumption."""
    flows, probability = results.flows, results.summary["probability"]
    country = flows["source_or_facility"].map(case.sources["country"])
    eu = case.countries.index[case.countries["eu"].astype(bool)]
    third = flows["flow"].isin(["contract", "spot"]) & (flows["year"] >= case.study.from_year) \
        & ~country.isin(eu)
    imports = _expected(flows[third].assign(country=country[third]), "t", probability,
                        by=["material", "year", "country"])
    if imports.empty:
        return 0.0
    used = expected_consumption(case, flows, probability)
    share = imports / used.reindex(imports.droplevel("country").index).to_numpy()
    return min(1.0, float(share.max()))


def material_metrics(results: Results, case: Case) -> dict:
    """Per material: expected and worst shortfall, days of cover; footprints; HHI."""
    out = {}
    if not results.ok:
        return out
    probability = results.summary["probability"]
    short = results.shortfall
    expected = _expected(short, "shortfall_t", probability, by="material")
    worst = short.groupby("material")["share_of_demand"].max()
    cover = results.stockpile.set_index("material")["days_of_demand"]
    for mat in case.base_demand.index.get_level_values("material").unique():
        out[f"expected_shortfall_t[{mat}]"] = float(expected.get(mat, 0.0))
        out[f"worst_shortfall_share[{mat}]"] = float(worst.get(mat, 0.0))
        out[f"days_of_cover[{mat}]"] = float(cover.get(mat, 0.0))
    out["hhi"] = float(results.kpis["hhi"].mean()) if len(results.kpis) else math.nan
    out.update(footprints(results, case))
    return out


def footprints(results: Results, case: Case) -> dict:
    """Land, energy and staff of the facilities standing at the horizon end."""
    fac = case.facilities
    limits = case.study.policy.limits
    countries = set(limits.countries) if limits and limits.countries else \
        {c for c in case.countries.index if case.eu(c)}
    built = results.builds.groupby("facility")["units"].sum()
    units = fac["existing_units"] + built.reindex(fac.index).fillna(0)
    located = fac["country"].isin(countries)
    return {key: float((units * fac[column])[located].sum()) for key, column in FOOTPRINTS.items()}
