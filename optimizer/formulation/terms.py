"""The registry through which concern modules contribute to shared equations.

Each concern adds its own variables and constraints, then registers its terms here: flows into
and out of the material balance, cost components by stage, policy constraints (with the study
key they enforce). `balance`, `objective` and `risk` assemble the shared equations from the
registry, so no module edits another's equation.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pyo
from pyomo.core.expr import LinearExpression


# The model counts money in million EUR: costs of 1e10-1e11 EUR with coefficients up to 1e9
# left HiGHS' CVaR rows badly scaled (a spurious "infeasible"). Outputs are in EUR.
MONEY = 1e-6


def total(items) -> object:
    """Sum of expressions that stays a Pyomo expression when empty, so that a constraint
    over nothing (say, a share floor for a material without an EU plant) is a constraint
    that HiGHS can report infeasible rather than a Python boolean."""
    result = sum(items)
    if isinstance(result, (int, float)):
        return LinearExpression(constant=result, linear_coefs=[], linear_vars=[])
    return result


@dataclass
class Terms:
    elastic: bool = False
    # (material, year, scenario) -> [(flow, expression)]
    inflow: dict = field(default_factory=lambda: defaultdict(list))
    outflow: dict = field(default_factory=lambda: defaultdict(list))
    # (source, year, scenario) -> tonnes imported (contract delivery + spot)
    imports: dict = field(default_factory=dict)
    # (source, year, scenario) -> tonnes delivered under contract
    deliveries: dict = field(default_factory=dict)
    # component -> [expression], discounted EUR
    first_stage: dict = field(default_factory=lambda: defaultdict(list))
    # component -> scenario -> [expression], discounted EUR, credits negative
    second_stage: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    # undiscounted capital expenditure, for the budget
    capex_spent: list = field(default_factory=list)
    # constraint name -> study key it enforces
    policy: dict = field(default_factory=dict)
    # (constraint name, slack var, scale) of elastic policy constraints
    slacks: list = field(default_factory=list)

    def supply(self, key, flow, expr):
        """`expr` tonnes of a material enter its balance at `key` = (material, year, scenario)."""
        self.inflow[key].append((flow, expr))

    def use(self, key, flow, expr):
        """`expr` tonnes leave the balance at `key` (besides demand)."""
        self.outflow[key].append((flow, expr))

    def imported(self, key, expr):
        """`expr` tonnes come in from source s at `key` = (source, year, scenario)."""
        self.imports[key] = expr

    def delivered(self, key, expr):
        """`expr` of the tonnes imported from s at `key` come under contract."""
        self.deliveries[key] = expr

    def cost(self, component, expr, scenario=None):
        """A discounted cost; `scenario=None` for first-stage costs."""
        if scenario is None:
            self.first_stage[component].append(expr)
        else:
            self.second_stage[component][scenario].append(expr)

    def flow(self, key, flow):
        """Sum of the registered terms of one flow at a balance key."""
        terms = self.inflow.get(key, []) + self.outflow.get(key, [])
        return sum(e for f, e in terms if f == flow)

    def add_policy(self, model, name, index, rule, key, scale=1.0):
        """Add constraint `name` enforcing study key `key`.

        `rule` returns `lhs <= rhs` (or `>=`). In elastic mode each row gets a non-negative
        slack on the loose side, weighted by 1/scale in the feasibility objective, so that an
        infeasible study can be explained by the rows that must give way.
        """
        self.policy[name] = key
        if not self.elastic:
            con = pyo.Constraint(rule=rule) if index is None else pyo.Constraint(index, rule=rule)
            con.doc = rule.__doc__
            setattr(model, name, con)
            return
        slack = pyo.Var(within=pyo.NonNegativeReals) if index is None else \
            pyo.Var(index, within=pyo.NonNegativeReals)
        setattr(model, f"{name}_slack", slack)

        def elastic_rule(m, *k):
            expr = rule(m) if index is None else rule(m, *k)
            if expr is pyo.Constraint.Skip:
                return expr
            lhs, rhs = expr.args
            return lhs <= rhs + (slack if index is None else slack[k])

        con = pyo.Constraint(rule=elastic_rule) if index is None else \
            pyo.Constraint(index, rule=elastic_rule)
        setattr(model, name, con)
        self.slacks.append((name, slack, scale))
