"""Demand-side levers (substitutes.csv): substitution, efficiency and longer product life.

Option o avoids substitution_share[o,y] of its material's demand, chosen up front (first
stage): at most max_share, nothing before available_from, growing by at most
ramp_share_per_yr a year from zero. Avoided tonnes cost cost_eur_per_t each year; an option
with capex_eur is paid once, in its first available year, when adopted.
"""
from __future__ import annotations

import pyomo.environ as pyo

from ..case import Case
from .declarations import Cost, Decision, Flow
from .terms import Terms


def _adoption_year(case: Case, option) -> int:
    """An option with capex is adopted (and paid) in its first available year."""
    return max(case.study.horizon.start, int(case.substitutes.at[option, "available_from"]))


DECISIONS = (Decision("substitution_share"), Decision("adopted", year=_adoption_year))
FLOWS = (Flow("substitution", "in", "option"),)
COSTS = (Cost("substitution", "second"), Cost("capex", "first"))


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    subs, years, ids = case.substitutes, list(model.Y), list(model.W)
    model.O = pyo.Set(initialize=list(subs.index), ordered=True)
    demand_keys = set(model.demand_t)
    model.substitution_share = pyo.Var(
        model.O, model.Y, within=pyo.NonNegativeReals,
        bounds=lambda m, o, y: (0, subs.at[o, "max_share"] if y >= subs.at[o, "available_from"] else 0),
        doc="share of the material's demand avoided by option o in year y, first stage")
    paid = [o for o in model.O if subs.at[o, "capex_eur"] > 0]
    model.adopted = pyo.Var(paid, within=pyo.Binary, doc="option with capex adopted")

    def substitution_ramp(m, o, y):
        """substitution_share[o,y] − substitution_share[o,y-1] ≤ ramp_share_per_yr[o] (zero before y0)"""
        before = m.substitution_share[o, y - 1] if y > years[0] else 0
        return m.substitution_share[o, y] - before <= subs.at[o, "ramp_share_per_yr"]

    def substitution_adopted(m, o, y):
        """substitution_share[o,y] ≤ max_share[o]·adopted[o] for options with capex_eur > 0"""
        return m.substitution_share[o, y] <= subs.at[o, "max_share"] * m.adopted[o]

    def substitution_within_demand(m, mat, y):
        """Σ_{o of m} substitution_share[o,y] ≤ 1"""
        options = [o for o in m.O if subs.at[o, "material"] == mat]
        if len(options) < 2:
            return pyo.Constraint.Skip
        return sum(m.substitution_share[o, y] for o in options) <= 1

    model.substitution_ramp = pyo.Constraint(model.O, model.Y, rule=substitution_ramp)
    model.substitution_adopted = pyo.Constraint(paid, model.Y, rule=substitution_adopted)
    model.substitution_within_demand = pyo.Constraint(model.M, model.Y,
                                                      rule=substitution_within_demand)
    for o in model.O:
        mat = subs.at[o, "material"]
        for y in years:
            for w in ids:
                if (mat, y, w) not in demand_keys:
                    continue
                avoided = terms.supply((mat, y, w), "substitution", model.substitution_share[o, y],
                                       o, coef=model.demand_t[mat, y, w])
                terms.cost("substitution", model.discount_factor[y] * subs.at[o, "cost_eur_per_t"]
                           * avoided, w)
    for o in paid:
        start = _adoption_year(case, o)
        spent = subs.at[o, "capex_eur"] * model.adopted[o]
        terms.capex_spent.append(spent)
        terms.cost("capex", case.discount(start) * spent)
