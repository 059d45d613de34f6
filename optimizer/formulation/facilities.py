"""EU (or allied) facilities: integer units built with lead time, production within units online.

A unit built in year y produces from y + lead_time_yr. Units may be built from
available_from on, and only when they come online within the horizon. A facility consumes
t_per_t_output tonnes of each recipe input per tonne of output.

    units_online[f,y]  = existing_units[f] + Σ_{b + lead_time_yr[f] ≤ y} units_built[f,b]
    units_present[f,y] = existing_units[f] + Σ_{b ≤ y} units_built[f,b]   (land, energy, staff)

Costs: capex_eur_per_unit·units_built[f,y]·discount_factor[y] (capex);
fixed_opex_eur_per_unit_yr·units_online[f,y]·discount_factor[y] (opex);
variable_cost_eur_per_t·production[f,y,w]·discount_factor[y] (variable).
"""
from __future__ import annotations

import itertools

import pyomo.environ as pyo

from ..case import Case
from .declarations import Cost, Decision, Flow
from .terms import Terms

DECISIONS = (Decision("units_built"),)
FLOWS = (Flow("production", "in", "facility"), Flow("recycling", "in", "facility"),
         Flow("use", "out", "facility"))
COSTS = (Cost("capex", "first"), Cost("opex", "first"), Cost("variable", "second"))


def build_years(case: Case) -> list[tuple[str, int]]:
    """(f, y) pairs in which a new unit of f may be built and come online in the horizon."""
    end = case.study.horizon.end
    return [(f, y) for f, r in case.facilities.iterrows() if r["max_units"] > 0
            for y in case.years if y >= r["available_from"] and y + r["lead_time_yr"] <= end]


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    fac, years = case.facilities, list(model.Y)
    for column in ("capacity_t_per_yr", "capex_eur_per_unit", "fixed_opex_eur_per_unit_yr",
                   "variable_cost_eur_per_t", "lead_time_yr", "max_units", "existing_units"):
        setattr(model, f"facility_{column}" if column == "capacity_t_per_yr" else column,
                pyo.Param(model.F, initialize=fac[column].to_dict()))
    buildable = build_years(case)
    by_facility = {f: [y for g, y in buildable if g == f] for f in fac.index}
    model.units_built = pyo.Var(buildable, within=pyo.NonNegativeIntegers,
                                bounds=lambda m, f, y: (0, m.max_units[f]),
                                doc="units built per facility and year, first stage")

    def units_online(m, f, y):
        lead = m.lead_time_yr[f]
        return m.existing_units[f] + sum(m.units_built[f, b] for b in by_facility[f] if b + lead <= y)

    def units_present(m, f, y):
        return m.existing_units[f] + sum(m.units_built[f, b] for b in by_facility[f] if b <= y)

    model.units_online = pyo.Expression(model.F, model.Y, rule=units_online)
    model.units_present = pyo.Expression(model.F, model.Y, rule=units_present)

    def max_units_built(m, f):
        """Σ_y units_built[f,y] ≤ max_units[f]"""
        if not by_facility[f]:
            return pyo.Constraint.Skip
        return sum(m.units_built[f, y] for y in by_facility[f]) <= m.max_units[f]

    model.max_units_built = pyo.Constraint(model.F, rule=max_units_built)

    index = (model.F, model.Y, model.W)
    keys = list(itertools.product(*index))
    model.production = pyo.Var(*index, within=pyo.NonNegativeReals, doc="facility output [t]")

    def production_within_capacity(m, f, y, w):
        """production[f,y,w] ≤ capacity_t_per_yr[f]·units_online[f,y]"""
        return m.production[f, y, w] <= m.facility_capacity_t_per_yr[f] * m.units_online[f, y]

    model.production_within_capacity = pyo.Constraint(*index, rule=production_within_capacity)

    output, kind = fac["output"].to_dict(), fac["kind"].to_dict()
    recipe = case.recipes.groupby("facility")
    inputs = {f: list(zip(r["input"], r["t_per_t_output"])) for f, r in recipe}
    for f, y, w in keys:
        flow = "recycling" if kind[f] == "recycling" else "production"
        terms.supply((output[f], y, w), flow, model.production[f, y, w], f)
        for material, ratio in inputs.get(f, []):
            terms.use((material, y, w), "use", model.production[f, y, w], f, coef=ratio)
        terms.cost("variable", model.discount_factor[y] * model.variable_cost_eur_per_t[f]
                   * model.production[f, y, w], w)
    for f, y in buildable:
        spent = model.capex_eur_per_unit[f] * model.units_built[f, y]
        terms.capex_spent.append(spent)
        terms.cost("capex", model.discount_factor[y] * spent)
    for f in model.F:
        terms.cost("opex", sum(model.discount_factor[y] * model.fixed_opex_eur_per_unit_yr[f]
                               * model.units_online[f, y] for y in years))
