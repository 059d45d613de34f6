"""The two-stage stochastic MIP, built concern by concern from a Case.

`CONCERNS` reads as the model's table of contents, in build order. Each concern module declares
its first-stage variables, flows, cost components and policy rows (declarations.py), adds its
variables and constraints, registering its terms in a shared `Terms`; the balance, the costs
and the objective are assembled from that registry. A concern that reads a flow (consumption:
substitution and use) comes after the concerns that declare it; `Terms` refuses a flow read
too early. The scenario index comes last, so the same builder makes the extensive form (all
scenarios) and a one-scenario model.
"""
from __future__ import annotations

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.visitor import replace_expressions

from ..case import Case
from . import (balance, costs, facilities, objective, policy, recycling, resale, risk, sets,
               shortfall, stockpile, substitution, supply)
from .terms import Terms

CONCERNS = (sets,
            supply,          # contract, spot
            facilities,      # units_built, production, recipes
            recycling,       # scrap collection
            stockpile,       # stock_capacity, draws and refills
            substitution,    # demand-side levers
            resale,          # surplus resold, write_off (reads substitution, use)
            shortfall,       # unmet demand (reads substitution)
            balance,         # material_balance from registered flows
            policy,          # CRMA shares, stock days, budget, limits
            costs,           # cost components from registered costs
            risk,            # CVaR, shortfall cap
            objective)


def build_model(case: Case, scenarios: list[str] | None = None,
                elastic: bool = False, mutable_scenario_data: bool = False) -> pyo.ConcreteModel:
    """The model of `case` over `scenarios` (default: all).

    With `elastic=True` every policy constraint gets a slack and the objective minimises the
    violation, which is how an infeasible study is explained. With
    `mutable_scenario_data=True` the scenario data (demand_t, available_share, spare_share,
    price_multiplier) are mutable Params, so that a kept model (and a persistent solver) can
    be given another scenario's data without a rebuild.
    """
    terms = Terms(CONCERNS, elastic=elastic, disrupted=case.disrupted)
    with PauseGC():
        model = sets.create(case, scenarios, mutable_scenario_data)
        for concern in CONCERNS[1:]:
            concern.add(model, case, terms)
            terms.added(concern)
    model.decisions = terms.decisions()
    model.flow_terms = terms.flow_terms
    model.policy_rows = dict(terms.policy)
    model.elastic_slacks = list(terms.slacks)
    return model


def first_stage_vars(model: pyo.ConcreteModel) -> list[pyo.Var]:
    """The plan: the variables the concerns declare first stage (DECISIONS), chosen before
    the scenario is known, which a decomposition keeps equal across scenarios. value_at_risk
    (CVaR studies) is first stage too but is not part of the plan: it follows from the plan's
    distribution of cost."""
    return [model.find_component(d.name) for d in model.decisions]


def in_decisions(model: pyo.ConcreteModel, expr):
    """`expr` with the cost accounting variables (first_stage_component, scenario_component)
    replaced by the sums they are defined as, so that its coefficients are those of the
    decisions (what a decomposition's rho heuristics read off the objective)."""
    definitions = {id(con.expr.args[0]): con.expr.args[1]
                   for block in (model.first_stage_cost_definition, model.scenario_cost_definition)
                   for con in block.values()}
    return replace_expressions(expr, definitions)
