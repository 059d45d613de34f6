"""The two-stage stochastic MIP, built concern by concern from a Case.

`build_model` reads as the model's table of contents. Each concern module adds its variables
and constraints and registers its flows and costs in a shared `Terms`; the balance, the costs
and the objective are assembled from that registry. The scenario index comes last, so the
same builder makes the extensive form (all scenarios) and a one-scenario model.
"""
from __future__ import annotations

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.visitor import replace_expressions

from ..case import Case
from . import (balance, costs, facilities, objective, policy, recycling, resale, risk, sets,
               shortfall, stockpile, substitution, supply)
from .terms import Terms

CONCERNS = (sets, supply, facilities, recycling, stockpile, substitution, resale, shortfall,
            balance, policy, costs, risk, objective)


def build_model(case: Case, scenarios: list[str] | None = None,
                elastic: bool = False, mutable_scenario_data: bool = False) -> pyo.ConcreteModel:
    """The model of `case` over `scenarios` (default: all).

    With `elastic=True` every policy constraint gets a slack and the objective minimises the
    violation, which is how an infeasible study is explained. With
    `mutable_scenario_data=True` the scenario data (demand_t, available_share, spare_share,
    price_multiplier) are mutable Params, so that a kept model (and a persistent solver) can
    be given another scenario's data without a rebuild.
    """
    terms = Terms(elastic=elastic)
    with PauseGC():
        model = sets.create(case, scenarios, mutable_scenario_data)
        supply.add(model, case, terms)           # contract, spot
        facilities.add(model, case, terms)       # units_built, production, recipes
        recycling.add(model, case, terms)        # scrap collection
        stockpile.add(model, case, terms)        # stock_capacity, draws and refills
        substitution.add(model, case, terms)     # demand-side levers
        resale.add(model, case, terms)           # surplus resold, write_off
        shortfall.add(model, case, terms)        # unmet demand
        balance.add(model, case, terms)          # material_balance from registered flows
        policy.add(model, case, terms)           # CRMA shares, stock days, budget, limits
        costs.add(model, case, terms)            # cost components from registered costs
        risk.add(model, case, terms)             # CVaR, shortfall cap
        objective.add(model, case, terms)
    model.policy_keys = dict(terms.policy)
    model.elastic_slacks = list(terms.slacks)
    return model


def first_stage_vars(model: pyo.ConcreteModel) -> list[pyo.Var]:
    """The plan: the variables chosen before the scenario is known, which a decomposition
    keeps equal across scenarios. value_at_risk (CVaR studies) is first stage too but is not
    part of the plan: it follows from the plan's distribution of cost."""
    return [model.contract, model.units_built, model.stock_capacity, model.substitution_share,
            model.adopted]


def in_decisions(model: pyo.ConcreteModel, expr):
    """`expr` with the cost accounting variables (first_stage_component, scenario_component)
    replaced by the sums they are defined as, so that its coefficients are those of the
    decisions (what a decomposition's rho heuristics read off the objective)."""
    definitions = {id(con.expr.args[0]): con.expr.args[1]
                   for block in (model.first_stage_cost_definition, model.scenario_cost_definition)
                   for con in block.values()}
    return replace_expressions(expr, definitions)
