"""Risk: CVaR of scenario cost (Rockafellar–Uryasev) and a cap on shortfall per scenario.

    CVaR_α = value_at_risk + 1/(1−α) · Σ_w probability[w]·cost_excess[w]
    cost_excess[w] ≥ first_stage_cost + scenario_cost[w] − value_at_risk,  cost_excess ≥ 0

At the optimum value_at_risk is the α-quantile of scenario cost and CVaR_α the mean cost of
the worst (1−α) of probability.
"""
from __future__ import annotations

import pyomo.environ as pyo

from ..case import Case
from .declarations import PolicyRow
from .terms import Terms

POLICIES = (PolicyRow("shortfall_share_limit", "risk.max_shortfall_share",
                      ("material", "year", "scenario"), context=lambda case, where: (
                          f"supply of {where['material']} in that scenario-year cannot reach "
                          "the demand")),)


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    risk = case.study.risk
    if risk.measure == "cvar":
        model.value_at_risk = pyo.Var(within=pyo.Reals,
                                      doc="α-quantile of scenario cost [million EUR]")
        model.cost_excess = pyo.Var(model.W, within=pyo.NonNegativeReals,
                                    doc="scenario cost above value_at_risk [million EUR]")

        def cvar_excess(m, w):
            """cost_excess[w] ≥ first_stage_cost + scenario_cost[w] − value_at_risk"""
            return m.cost_excess[w] >= m.first_stage_cost + m.scenario_cost[w] - m.value_at_risk

        model.cvar_excess = pyo.Constraint(model.W, rule=cvar_excess)
        model.cvar = pyo.Expression(expr=model.value_at_risk + 1.0 / (1.0 - risk.alpha) * sum(
            model.probability[w] * model.cost_excess[w] for w in model.W))
    if risk.max_shortfall_share is not None:
        share = case.study.for_materials("risk.max_shortfall_share", model.M)

        def shortfall_share_limit(m, mat, y, w):
            """shortfall[m,y,w] ≤ max_shortfall_share[m]·demand_t[m,y,w]"""
            return m.shortfall[mat, y, w] <= share[mat] * m.demand_t[mat, y, w]

        terms.add_policy(model, "shortfall_share_limit",
                         [k for k in model.shortfall if k[0] in share], shortfall_share_limit)
