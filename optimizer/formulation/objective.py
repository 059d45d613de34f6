"""The objective.

    minimise  expected_cost + weight·CVaR_α        (risk.measure = cvar)
    minimise  expected_cost                        (risk.measure = expected)

in million EUR; `eur_per_objective_unit` converts the objective (and every dual) back to EUR.

In elastic mode (explaining an infeasible study) the objective is instead the weighted sum of
the slacks of every policy constraint, Σ slack / scale: the least violation of policy that
the data can reach.
"""
from __future__ import annotations

import pyomo.environ as pyo

from ..case import Case
from .terms import MONEY, Terms


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    model.eur_per_objective_unit = 1.0 if terms.elastic else 1.0 / MONEY
    if terms.elastic:
        model.total_violation = pyo.Objective(expr=sum(
            slack[k] / scale for _, slack, scale in terms.slacks for k in slack))
        return
    risk = case.study.risk
    expr = model.expected_cost
    if risk.weighs_cvar:
        expr = expr + risk.weight * model.cvar
    model.total_cost = pyo.Objective(expr=expr, sense=pyo.minimize)
