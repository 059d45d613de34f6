"""The registry through which concern modules contribute to shared equations.

Each concern module declares, at module level, what it contributes (declarations.py):

    DECISIONS  its first-stage variables (the plan) and the year each decision is taken
    FLOWS      its flows of the material balance, in or out, and what labels their rows
    COSTS      its cost components and their stage
    POLICIES   its policy rows: the study key each enforces, index labels, unit, data context

`Terms(CONCERNS)` collects the declarations; the concerns then add their variables and
constraints and register their terms here. Registering a flow, cost or policy row that no
concern declared is an error, so nothing registered can go missing from the balance, the
objective or the outputs. `balance`, `costs`, `objective` and `risk` assemble the shared
equations from the registry, and results, duals, diagnostics, held models and docs read the
declarations instead of constraint or variable names.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pyo
from pyomo.core.expr import LinearExpression

from .declarations import Decision, Flow, PolicyRow, registry

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
    concerns: tuple = ()
    elastic: bool = False
    # {(material, year, scenario)} disrupted: rows lifted_when_disrupted are not added there
    disrupted: frozenset = frozenset()
    # (material, year, scenario) -> [(flow, expression)]
    inflow: dict = field(default_factory=lambda: defaultdict(list))
    outflow: dict = field(default_factory=lambda: defaultdict(list))
    # (flow, label, (material, year, scenario), coefficient, variable), for flows.csv
    flow_terms: list = field(default_factory=list)
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
    # constraint name -> PolicyRow, of the rows added
    policy: dict = field(default_factory=dict)
    # (constraint name, slack var, scale) of elastic policy constraints
    slacks: list = field(default_factory=list)
    # flows whose declaring concerns have all registered their terms
    complete: set = field(default_factory=set)

    def __post_init__(self):
        self.declared = registry(self.concerns)
        self._flow_owners = {name: {c for c in self.concerns
                                    if any(f.name == name for f in getattr(c, "FLOWS", ()))}
                             for name in self.declared["flows"]}
        self._added: set = set()

    def added(self, concern) -> None:
        """`concern` has registered its terms: the flows it declares may now be read."""
        self._added.add(concern)
        self.complete = {name for name, owners in self._flow_owners.items()
                         if owners <= self._added}

    def decisions(self) -> list[Decision]:
        return list(self.declared["decisions"].values())

    def components(self, stage: str) -> list[str]:
        """The declared cost components of a stage, in declaration order."""
        return [c.name for c in self.declared["costs"].values() if c.stage == stage]

    def _flow(self, name: str, direction: str) -> Flow:
        flow = self.declared["flows"].get(name)
        if flow is None or flow.direction != direction:
            raise KeyError(f"flow {name!r} ({direction}) is not declared in any concern's FLOWS")
        return flow

    def _register(self, side: dict, direction: str, key, flow: str, var, label: str, coef):
        declared = self._flow(flow, direction)
        expr = var if isinstance(coef, (int, float)) and coef == 1.0 else coef * var
        side[key].append((flow, expr))
        self.flow_terms.append((declared, label, key, coef, var))
        return expr

    def supply(self, key, flow, var, label: str, coef=1.0):
        """coef·var tonnes of a material enter its balance at `key` = (material, year,
        scenario), labelled `label` (a source, facility or option); returns coef·var."""
        return self._register(self.inflow, "in", key, flow, var, label, coef)

    def use(self, key, flow, var, label: str, coef=1.0):
        """coef·var tonnes leave the balance at `key` (besides demand); returns coef·var."""
        return self._register(self.outflow, "out", key, flow, var, label, coef)

    def imported(self, key, expr):
        """`expr` tonnes come in from source s at `key` = (source, year, scenario)."""
        self.imports[key] = expr

    def delivered(self, key, expr):
        """`expr` of the tonnes imported from s at `key` come under contract."""
        self.deliveries[key] = expr

    def cost(self, component, expr, scenario=None):
        """A discounted cost; `scenario=None` for first-stage costs."""
        declared = self.declared["costs"].get(component)
        stage = "first" if scenario is None else "second"
        if declared is None or declared.stage != stage:
            raise KeyError(f"cost component {component!r} ({stage} stage) is not declared in "
                           "any concern's COSTS")
        if scenario is None:
            self.first_stage[component].append(expr)
        else:
            self.second_stage[component][scenario].append(expr)

    def _readable(self, flow: str) -> None:
        if flow not in self.complete:
            owners = ", ".join(sorted(c.__name__.rsplit(".", 1)[-1]
                                      for c in self._flow_owners.get(flow, ())))
            raise RuntimeError(f"flow {flow!r} read before its concerns ({owners or 'none'}) "
                               "registered it: build them first (formulation.CONCERNS)")

    def carries(self, key, flow) -> bool:
        """Whether any term of `flow` is registered at a balance key."""
        self._readable(flow)
        return any(f == flow for f, _ in self.inflow.get(key, []) + self.outflow.get(key, []))

    def flow(self, key, flow):
        """Sum of the registered terms of one flow at a balance key (an expression, also
        when there are none)."""
        self._readable(flow)
        terms = self.inflow.get(key, []) + self.outflow.get(key, [])
        return total(e for f, e in terms if f == flow)

    def _applies(self, row: PolicyRow, index) -> bool:
        """Whether a row lifted in a disruption applies at `index` (its material is not
        disrupted in that year and scenario)."""
        where = row.where(index)
        return (where["material"], where["year"], where["scenario"]) not in self.disrupted

    def add_policy(self, model, name, index, rule, scale=1.0):
        """Add the rows `name`, declared in a concern's POLICIES.

        `rule` returns `lhs <= rhs` (or `>=`). Rows declared lifted_when_disrupted are left out
        where their material is disrupted. In elastic mode each row gets a non-negative
        slack on the loose side, weighted by 1/scale in the feasibility objective, so that an
        infeasible study can be explained by the rows that must give way.
        """
        declared = self.declared["policies"].get(name)
        if declared is None:
            raise KeyError(f"policy row {name!r} is not declared in any concern's POLICIES")
        self.policy[name] = declared
        if declared.lifted_when_disrupted:
            index = [k for k in index if self._applies(declared, k)]
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
