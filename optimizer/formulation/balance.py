"""The material balance, assembled from the flows each concern registered.

For every material m, year y and scenario w:

    contract + spot + collection + production + recycling + substitution + stock_draw + shortfall
        = demand_t + use + stock_refill + surplus + write_off

where `use` is what facilities consume by their recipes, `substitution` the demand avoided
by demand-side levers, `surplus` contract deliveries resold and `write_off` those neither
used nor resold.
"""
from __future__ import annotations

import pyomo.environ as pyo

from ..case import Case
from .terms import Terms


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    order = {w: i for i, w in enumerate(model.W)}
    keys = sorted(set(terms.inflow) | set(terms.outflow) | set(model.demand_t),
                  key=lambda k: (k[0], k[1], order[k[2]]))

    def material_balance(m, mat, y, w):
        """Σ inflow[m,y,w] = demand_t[m,y,w] + Σ outflow[m,y,w]"""
        demand = m.demand_t[mat, y, w] if (mat, y, w) in m.demand_t else 0.0
        inflow = sum(e for _, e in terms.inflow.get((mat, y, w), []))
        outflow = sum(e for _, e in terms.outflow.get((mat, y, w), []))
        if isinstance(inflow, (int, float)) and isinstance(outflow, (int, float)):
            return pyo.Constraint.Skip
        return inflow == demand + outflow

    model.material_balance = pyo.Constraint(keys, rule=material_balance)
