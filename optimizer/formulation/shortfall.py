"""Unmet demand, counted at the material's shortage cost.

shortfall[m,y,w] is bounded by the demand left after demand-side levers, so unmet demand can
never feed a facility: it only stands in for what final users do not get.
"""
from __future__ import annotations

import pyomo.environ as pyo

from ..case import Case
from .declarations import Cost, Flow
from .terms import Terms

# shortfall.csv reports it, with its share of demand
FLOWS = (Flow("shortfall", "in", "demand", reported=False),)
COSTS = (Cost("shortage", "second"),)


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    keys = list(model.demand_t)
    cost = case.materials["shortage_cost_eur_per_t"].to_dict()
    model.shortage_cost_eur_per_t = pyo.Param(model.M, initialize=cost)
    model.shortfall = pyo.Var(keys, within=pyo.NonNegativeReals,
                              bounds=lambda m, mat, y, w: (0, m.demand_t[mat, y, w]),
                              doc="unmet demand [t]")

    def shortfall_within_demand(m, mat, y, w):
        """shortfall[m,y,w] + substituted[m,y,w] ≤ demand_t[m,y,w]"""
        if not terms.carries((mat, y, w), "substitution"):
            return pyo.Constraint.Skip
        avoided = terms.flow((mat, y, w), "substitution")
        return m.shortfall[mat, y, w] + avoided <= m.demand_t[mat, y, w]

    model.shortfall_within_demand = pyo.Constraint(keys, rule=shortfall_within_demand)
    for mat, y, w in keys:
        terms.supply((mat, y, w), "shortfall", model.shortfall[mat, y, w], "demand")
        terms.cost("shortage", model.discount_factor[y] * model.shortage_cost_eur_per_t[mat]
                   * model.shortfall[mat, y, w], w)
