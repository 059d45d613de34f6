"""Policy constraints of the study (CRMA benchmarks, stock days, budget, land/energy/staff).

Every share is a fraction of the material's EU consumption in that scenario-year,

    consumption[m,y,w] = demand_t[m,y,w] − substituted[m,y,w] + use[m,y,w],

the material's demand plus what EU facilities consume of it, so that no share can be met by
leaving demand unmet. Each applies from policy.from_year on (default: the horizon start).

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

import pyomo.environ as pyo

from ..case import Case
from .terms import MONEY, Terms, total

DAYS_PER_YEAR = 365.0


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    policy, ids = case.study.policy, list(model.W)
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
        share = policy.max_country_share
        pairs = sorted({(r.material, r.country) for r in src.itertuples() if not eu[r.country]})
        keys = [(mat, c, y, w) for mat, c in pairs for y in years for w in ids
                if (mat, y, w) not in case.disrupted]
        sources_of = src.groupby(["material", "country"]).groups

        def country_share_limit(m, mat, c, y, w):
            """Σ_{s of m in c} (contract delivery + spot)[s,y,w] ≤ max_country_share·consumption[m,y,w]
            for every non-EU country c, in scenario-years where m is not disrupted"""
            supply = sum(terms.imports[s, y, w] for s in sources_of[mat, c])
            return supply <= share * consumption(m, mat, y, w)

        terms.add_policy(model, "country_share_limit", keys, country_share_limit,
                         "policy.max_country_share")

    value = {mat: 0.0 if math.isnan(price) else MONEY * price
             for mat, price in case.normal_price.items()}

    def crma_aggregate_share(m, y, w, kind, materials, share):
        """Σ_{m in M_k} p_m·Σ_{EU f of kind k making m} production[f,y,w]
            ≥ share_k·Σ_{m in M_k} p_m·consumption[m,y,w]
        for each benchmark k under policy.crma_reading aggregate, M_k its materials as per
        material, p_m the normal price in million EUR (0 for a material without a source)"""
        return total(value[mat] * eu_output(m, kind, mat, y, w) for mat in materials) >= \
            share * total(value[mat] * consumption(m, mat, y, w) for mat in materials)

    def add_floor(names, key, kind, materials, rule):
        """Add the rows of one benchmark: names = (per material, aggregate)."""
        share = getattr(policy, key.split(".")[-1])
        if policy.crma_reading == "per_material":
            keys = [(mat, y, w) for mat in materials for y in years for w in ids]
            terms.add_policy(model, names[0], keys, rule, key)
            return
        if not materials:
            return

        def aggregate(m, y, w):
            return crma_aggregate_share(m, y, w, kind, materials, share)

        aggregate.__doc__ = crma_aggregate_share.__doc__
        terms.add_policy(model, names[1], [(y, w) for y in years for w in ids], aggregate, key)

    if policy.min_eu_extraction_share is not None:
        mining = set(fac.loc[(fac["kind"] == "mining") & fac["country"].map(eu), "output"])

        def eu_extraction_share(m, mat, y, w):
            """Σ_{EU mining f of m} production[f,y,w] ≥ min_eu_extraction_share·consumption[m,y,w]
            for raw materials with an EU mining option"""
            share = policy.min_eu_extraction_share
            return eu_output(m, "mining", mat, y, w) >= share * consumption(m, mat, y, w)

        raw = [m for m, r in case.materials.iterrows() if r["stage"] == "raw" and m in mining]
        add_floor(("eu_extraction_share", "eu_extraction_aggregate_share"),
                  "policy.min_eu_extraction_share", "mining", raw, eu_extraction_share)
    if policy.min_eu_processing_share is not None:
        def eu_processing_share(m, mat, y, w):
            """Σ_{EU refining f of m} production[f,y,w] ≥ min_eu_processing_share·consumption[m,y,w]
            for every refined material"""
            share = policy.min_eu_processing_share
            return eu_output(m, "refining", mat, y, w) >= share * consumption(m, mat, y, w)

        refined = [m for m, r in case.materials.iterrows() if r["stage"] == "refined"]
        add_floor(("eu_processing_share", "eu_processing_aggregate_share"),
                  "policy.min_eu_processing_share", "refining", refined, eu_processing_share)
    if policy.min_recycling_share is not None:
        def recycling_share(m, mat, y, w):
            """Σ_{EU recycling f of m} production[f,y,w] ≥ min_recycling_share·consumption[m,y,w]
            for materials with a recycling option"""
            share = policy.min_recycling_share
            return eu_output(m, "recycling", mat, y, w) >= share * consumption(m, mat, y, w)

        recycled = sorted(set(fac.loc[fac["kind"] == "recycling", "output"]))
        add_floor(("recycling_share", "recycling_aggregate_share"),
                  "policy.min_recycling_share", "recycling", recycled, recycling_share)
    if policy.min_stock_days is not None:
        days = policy.min_stock_days
        consumed = sorted({mat for (mat, y, w) in set(terms.outflow) | set(model.demand_t)
                           if case.materials.at[mat, "stage"] != "scrap"})
        keys = [(mat, y, w) for mat in consumed for y in years for w in ids]

        def stock_days(m, mat, y, w):
            """stock_capacity[m] ≥ min_stock_days/365·consumption[m,y,w], in every scenario"""
            held = total([m.stock_capacity[mat]] if mat in m.stock_capacity else [])
            return held >= days / DAYS_PER_YEAR * consumption(m, mat, y, w)

        terms.add_policy(model, "stock_days", keys, stock_days, "policy.min_stock_days")
    if policy.budget_eur is not None:
        def budget(m):
            """Σ capex (undiscounted, facilities + stockpile + demand-side options) ≤ budget_eur"""
            return total(terms.capex_spent) <= policy.budget_eur

        terms.add_policy(model, "budget", None, budget, "policy.budget_eur",
                         scale=max(policy.budget_eur, 1.0))
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

        terms.add_policy(model, name, years, resource_limit, f"policy.limits.{key}",
                         scale=max(limit, 1.0))
