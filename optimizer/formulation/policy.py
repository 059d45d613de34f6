"""Policy constraints: CRMA benchmarks, import dependence, stock days, budget, land/energy/staff.

Every share is a fraction of the material's EU consumption in that scenario-year,

    consumption[m,y,w] = demand_t[m,y,w] − substituted[m,y,w] + use[m,y,w],

the material's demand plus what EU facilities consume of it, so that no share can be met by
leaving demand unmet. Each applies from policy.from_year on (default: the horizon start).
A key given per material or group in the study (study.py, docs/data.md) holds with its own
value for the materials it names, and not at all for the others: share[m] below is the
material's value.

The CRMA benchmarks (extraction 10%, processing 40%, recycling 25%) are read per material by
default (policy.crma_reading per_material): each holds for every material it names. The
Regulation states them as shares of the EU's consumption of the strategic raw materials
taken together; with crma_reading aggregate each benchmark is one row per scenario-year over
the same materials, weighted by their normal price p_m (consumption and output by value, in
million EUR). The aggregate row is the per-material rows summed with weights p_m ≥ 0, so it
is never tighter: the aggregate reading never costs more.
"""
from __future__ import annotations

import math

import pandas as pd
import pyomo.environ as pyo

from ..case import Case
from .declarations import PolicyRow
from .terms import MONEY, Terms, total

DAYS_PER_YEAR = 365.0
KIND = {"eu_extraction_share": "mining", "eu_processing_share": "refining",
        "recycling_share": "recycling"}


def eu_plants_reach(case: Case, where: dict, kind: str) -> str:
    """What EU plants of `kind` making the row's material could produce in its year."""
    fac, mat = case.facilities, where["material"]
    eu = fac["country"].map(case.countries["eu"])
    options = fac[eu & (fac["kind"] == kind) & (fac["output"] == mat)]
    if options.empty:
        return f"facilities.csv has no EU {kind} facility producing {mat}"
    year = int(where["year"])
    online = pd.Series({f: case.online_year(f, first)
                        for f, first in options["available_from"].items()}, dtype=int)
    ready = options[(online <= year) | (options["existing_units"] > 0)]
    now = ((ready["existing_units"] + ready["max_units"].where(online[ready.index] <= year, 0))
           * ready["capacity_t_per_yr"]).sum()
    text = (f"EU {kind} of {mat} could reach at most {now:,.0f} t/yr in {year} "
            f"with every unit the data offer (facilities.csv: {', '.join(options.index)})")
    if online.min() > year:
        text += f"; new units come online from {int(online.min())} at the earliest (lead time)"
    return text


def other_countries_offer(case: Case, where: dict) -> str:
    mat, year = where["material"], int(where["year"])
    others = case.sources.index[(case.sources["material"] == mat)
                                & (case.sources["country"] != where["country"])]
    offered = sum(case.capacity[s, year] for s in others)
    return (f"sources of {mat} outside {where['country']} offer at most "
            f"{offered:,.0f} t/yr in {year} (sources.csv, source_capacity.csv)")


def eu_supply_reach(case: Case, where: dict) -> str:
    """What EU plants could make of the row's material, every unit built."""
    fac, mat = case.facilities, where["material"]
    made = fac[fac["country"].map(case.countries["eu"]) & (fac["output"] == mat)]
    most = ((made["existing_units"] + made["max_units"]) * made["capacity_t_per_yr"]).sum()
    return (f"EU plants of {mat} could make at most {most:,.0f} t/yr with every unit the data "
            "offer (facilities.csv); the rest of its consumption is imported or short")


def _floor(name: str, key: str) -> tuple[PolicyRow, PolicyRow]:
    """A CRMA benchmark's rows: per material, and aggregate (weighed by value, million EUR)."""
    return (PolicyRow(name, key, ("material", "year", "scenario"),
                      context=lambda case, where: eu_plants_reach(case, where, KIND[name])),
            PolicyRow(name.replace("_share", "_aggregate_share"), key, ("year", "scenario"),
                      unit="MEUR", material="*", context=lambda case, where: (
                          "EU plants of the benchmark's materials, by value taken together, "
                          "cannot reach the share (facilities.csv)")))


def _limit(name: str, key: str, unit: str, column: str) -> PolicyRow:
    return PolicyRow(name, f"policy.limits.{key}", ("year",), unit=unit, step=column,
                     context=lambda case, where: "facilities in the listed countries cannot "
                                                 "meet the other policies within it")


POLICIES = (
    PolicyRow("country_share_limit", "policy.max_country_share",
              ("material", "country", "year", "scenario"), lifted_when_disrupted=True,
              context=other_countries_offer),
    PolicyRow("import_share_limit", "policy.max_import_share", ("material", "year", "scenario"),
              context=eu_supply_reach),
    *_floor("eu_extraction_share", "policy.min_eu_extraction_share"),
    *_floor("eu_processing_share", "policy.min_eu_processing_share"),
    *_floor("recycling_share", "policy.min_recycling_share"),
    PolicyRow("stock_days", "policy.min_stock_days", ("material", "year", "scenario"),
              context=lambda case, where: (
                  f"stock of {where['material']} is limited by max_stock_t or by having no "
                  "source to fill it (materials.csv, sources.csv)")),
    PolicyRow("budget", "policy.budget_eur", (), unit="EUR", step="capex_eur_per_unit",
              context=lambda case, where: "the other policies need more capital than budget_eur"),
    _limit("land_limit", "land_ha", "ha", "land_ha_per_unit"),
    _limit("energy_limit", "energy_gwh_per_yr", "GWh/yr", "energy_gwh_per_yr_per_unit"),
    _limit("staff_limit", "staff_fte", "FTE", "staff_fte_per_unit"),
)


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    study, policy, ids = case.study, case.study.policy, list(model.W)
    years = [y for y in model.Y if y >= case.study.from_year]
    fac, src = case.facilities, case.sources
    eu = {c: case.eu(c) for c in case.countries.index}

    def consumption(m, mat, y, w):
        demand = m.demand_t[mat, y, w] if (mat, y, w) in m.demand_t else 0.0
        return demand - terms.flow((mat, y, w), "substitution") + terms.flow((mat, y, w), "use")

    def eu_output(m, kind, mat, y, w):
        return total(m.production[f, y, w] for f in fac.index[(fac["kind"] == kind)
                     & (fac["output"] == mat) & fac["country"].map(eu)])

    if policy.max_country_share is not None:
        share = study.for_materials("policy.max_country_share", case.materials.index)
        pairs = sorted({(r.material, r.country) for r in src.itertuples()
                        if not eu[r.country] and r.material in share})
        keys = [(mat, c, y, w) for mat, c in pairs for y in years for w in ids]
        sources_of = src.groupby(["material", "country"]).groups

        def country_share_limit(m, mat, c, y, w):
            """Σ_{s of m in c} (contract delivery + spot)[s,y,w]
                ≤ max_country_share[m]·consumption[m,y,w]
            for every non-EU country c, in scenario-years where m is not disrupted"""
            supply = sum(terms.imports[s, y, w] for s in sources_of[mat, c])
            return supply <= share[mat] * consumption(m, mat, y, w)

        terms.add_policy(model, "country_share_limit", keys, country_share_limit)

    if policy.max_import_share is not None:
        supplied = [m for m in case.materials.index if m in set(src["material"])]
        dependence = study.for_materials("policy.max_import_share", supplied)
        outside = {m: [s for s in src.index[src["material"] == m] if not eu[src.at[s, "country"]]]
                   for m in dependence}

        def import_share_limit(m, mat, y, w):
            """Σ_{s of m outside the EU} (contract delivery + spot)[s,y,w]
                ≤ max_import_share[m]·consumption[m,y,w]
            the material's import dependence, in every scenario-year"""
            imported = total(terms.imports[s, y, w] for s in outside[mat])
            return imported <= dependence[mat] * consumption(m, mat, y, w)

        terms.add_policy(model, "import_share_limit",
                         [(mat, y, w) for mat in dependence for y in years for w in ids],
                         import_share_limit)

    value = {mat: 0.0 if math.isnan(price) else MONEY * price
             for mat, price in case.normal_price.items()}

    def crma_aggregate_share(m, y, w, kind, share):
        """Σ_{m in M_k} p_m·Σ_{EU f of kind k making m} production[f,y,w]
            ≥ Σ_{m in M_k} share_k[m]·p_m·consumption[m,y,w]
        for each benchmark k under policy.crma_reading aggregate, M_k its materials as per
        material (those its key covers), p_m the normal price in million EUR (0 for a
        material without a source); materials of one share are summed before weighing"""
        alike: dict[float, list[str]] = {}
        for mat, s in share.items():
            alike.setdefault(s, []).append(mat)
        needed = [s * total(value[mat] * consumption(m, mat, y, w) for mat in mats)
                  for s, mats in alike.items()]
        return total(value[mat] * eu_output(m, kind, mat, y, w) for mat in share) >= \
            sum(needed[1:], needed[0])

    def add_floor(names, kind, share, rule):
        """Add the rows of one benchmark: names = (per material, aggregate); `share` maps
        each material the benchmark covers to its share."""
        if policy.crma_reading == "per_material":
            keys = [(mat, y, w) for mat in share for y in years for w in ids]
            terms.add_policy(model, names[0], keys, rule)
            return
        if not share:
            return

        def aggregate(m, y, w):
            return crma_aggregate_share(m, y, w, kind, share)

        aggregate.__doc__ = crma_aggregate_share.__doc__
        terms.add_policy(model, names[1], [(y, w) for y in years for w in ids], aggregate)

    if policy.min_eu_extraction_share is not None:
        mining = set(fac.loc[(fac["kind"] == "mining") & fac["country"].map(eu), "output"])
        raw = [m for m, r in case.materials.iterrows() if r["stage"] == "raw" and m in mining]
        extraction = study.for_materials("policy.min_eu_extraction_share", raw)

        def eu_extraction_share(m, mat, y, w):
            """Σ_{EU mining f of m} production[f,y,w]
                ≥ min_eu_extraction_share[m]·consumption[m,y,w]
            for raw materials with an EU mining option"""
            share = extraction[mat]
            return eu_output(m, "mining", mat, y, w) >= share * consumption(m, mat, y, w)

        add_floor(("eu_extraction_share", "eu_extraction_aggregate_share"), "mining",
                  extraction, eu_extraction_share)
    if policy.min_eu_processing_share is not None:
        refined = [m for m, r in case.materials.iterrows() if r["stage"] == "refined"]
        processing = study.for_materials("policy.min_eu_processing_share", refined)

        def eu_processing_share(m, mat, y, w):
            """Σ_{EU refining f of m} production[f,y,w]
                ≥ min_eu_processing_share[m]·consumption[m,y,w]
            for every refined material"""
            share = processing[mat]
            return eu_output(m, "refining", mat, y, w) >= share * consumption(m, mat, y, w)

        add_floor(("eu_processing_share", "eu_processing_aggregate_share"), "refining",
                  processing, eu_processing_share)
    if policy.min_recycling_share is not None:
        recycled = sorted(set(fac.loc[fac["kind"] == "recycling", "output"]))
        recycling = study.for_materials("policy.min_recycling_share", recycled)

        def recycling_share(m, mat, y, w):
            """Σ_{EU recycling f of m} production[f,y,w]
                ≥ min_recycling_share[m]·consumption[m,y,w]
            for materials with a recycling option"""
            share = recycling[mat]
            return eu_output(m, "recycling", mat, y, w) >= share * consumption(m, mat, y, w)

        add_floor(("recycling_share", "recycling_aggregate_share"), "recycling", recycling,
                  recycling_share)
    if policy.min_stock_days is not None:
        consumed = sorted({mat for (mat, y, w) in set(terms.outflow) | set(model.demand_t)
                           if case.materials.at[mat, "stage"] != "scrap"})
        days = study.for_materials("policy.min_stock_days", consumed)
        keys = [(mat, y, w) for mat in days for y in years for w in ids]

        def stock_days(m, mat, y, w):
            """stock_capacity[m] ≥ min_stock_days[m]/365·consumption[m,y,w], in every scenario"""
            held = total([m.stock_capacity[mat]] if mat in m.stock_capacity else [])
            return held >= days[mat] / DAYS_PER_YEAR * consumption(m, mat, y, w)

        terms.add_policy(model, "stock_days", keys, stock_days)
    if policy.budget_eur is not None:
        def budget(m):
            """Σ capex (undiscounted, facilities + stockpile + demand-side options) ≤ budget_eur"""
            return total(terms.capex_spent) <= policy.budget_eur

        terms.add_policy(model, "budget", None, budget, scale=max(policy.budget_eur, 1.0))
    _add_limits(model, case, terms, years)


def _add_limits(model, case: Case, terms: Terms, years: list[int]) -> None:
    limits = case.study.policy.limits
    if limits is None:
        return
    fac = case.facilities
    countries = set(limits.countries) if limits.countries else \
        {c for c in case.countries.index if case.eu(c)}
    located = [f for f in fac.index if fac.at[f, "country"] in countries]
    for name, column, key in (("land_limit", "land_ha_per_unit", "land_ha"),
                              ("energy_limit", "energy_gwh_per_yr_per_unit", "energy_gwh_per_yr"),
                              ("staff_limit", "staff_fte_per_unit", "staff_fte")):
        limit = getattr(limits, key)
        if limit is None:
            continue
        per_unit = fac[column].to_dict()

        def resource_limit(m, y, per_unit=per_unit, limit=limit):
            """Σ_{f in limits.countries} per_unit[f]·units_present[f,y] ≤ limit, for land
            (land_ha_per_unit ≤ limits.land_ha), energy (energy_gwh_per_yr_per_unit ≤
            limits.energy_gwh_per_yr) and staff (staff_fte_per_unit ≤ limits.staff_fte);
            units_present counts existing units and units built by y, online or not"""
            return total(per_unit[f] * m.units_present[f, y] for f in located) <= limit

        terms.add_policy(model, name, years, resource_limit, scale=max(limit, 1.0))
