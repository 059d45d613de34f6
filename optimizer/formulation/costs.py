"""Cost components, assembled from what each concern registered (discounted EUR, counted in
the model in million EUR: MONEY = 1e-6 per EUR).

The components are those the concerns declare (COSTS), in CONCERNS order. First stage
(scenario `*` in costs.csv): capex (facilities, stock capacity, demand-side options), opex
(fixed, per unit online), holding, stock_fill. Second stage, per scenario: contract, spot,
variable, stock_end_value (a credit, negative), substitution, resale (a credit), shortage.

    first_stage_cost = Σ_k first_stage_component[k]
    scenario_cost[w] = Σ_k scenario_component[k,w]
    expected_cost    = first_stage_cost + Σ_w probability[w]·scenario_cost[w]

with, per scenario and discounted by discount_factor[y]: contract = Σ price·delivery,
spot = Σ price·spot_premium·price_multiplier·spot, shortage = Σ shortage_cost·shortfall,
resale = −Σ resale_share·price·surplus, stock_end_value = −Σ p_m·stock_level[m,last,w].
Contract deliveries written off (write_off) have no component of their own: they are paid in
contract and earn nothing.
"""
from __future__ import annotations

import pyomo.environ as pyo

from ..case import Case
from .terms import MONEY, Terms, total



def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    first, second = terms.components("first"), terms.components("second")
    model.cost_components = {"first": first, "second": second}
    model.first_stage_component = pyo.Var(first, within=pyo.Reals,
                                          doc="first-stage cost by component [million EUR]")
    model.scenario_component = pyo.Var(second, model.W, within=pyo.Reals,
                                       doc="scenario cost by component [million EUR]")

    def first_stage_cost_definition(m, k):
        """first_stage_component[k] = MONEY·Σ registered first-stage terms of component k"""
        return m.first_stage_component[k] == MONEY * total(terms.first_stage.get(k, []))

    def scenario_cost_definition(m, k, w):
        """scenario_component[k,w] = MONEY·Σ registered terms of component k in scenario w"""
        return m.scenario_component[k, w] == MONEY * total(terms.second_stage[k].get(w, []))

    # Accounting variables: HiGHS reports each component, and the CVaR rows stay short.
    model.first_stage_cost_definition = pyo.Constraint(first, rule=first_stage_cost_definition)
    model.scenario_cost_definition = pyo.Constraint(second, model.W,
                                                    rule=scenario_cost_definition)
    model.first_stage_cost = pyo.Expression(
        expr=sum(model.first_stage_component[k] for k in first))
    model.scenario_cost = pyo.Expression(
        model.W, rule=lambda m, w: sum(m.scenario_component[k, w] for k in second))
    model.expected_cost = pyo.Expression(
        expr=model.first_stage_cost + sum(model.probability[w] * model.scenario_cost[w]
                                          for w in model.W))
