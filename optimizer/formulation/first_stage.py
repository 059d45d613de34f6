"""A model held at a given plan: its first-stage decisions bounded to the plan's values.

The first stage is what is decided before any scenario is known (first_stage_vars, as the
concerns declare it in DECISIONS):

    contract[s,y]            contracted volume per source and year [t]
    units_built[f,y]         units of facility f built in year y (integer)
    stock_capacity[m]        strategic stock capacity [t], filled at the horizon start
    substitution_share[o,y]  share of demand avoided by option o in year y
    adopted[o]               option o with capex adopted (binary)

A plan is {variable name: {index: value}} (optimizer.plan.Plan); an index missing from a
plan means 0.

`hold(model, plan)` bounds every first-stage variable to its planned value, lb = ub, and
gives integer variables a continuous domain, so that what is left to decide is the second
stage: an LP. Bounds, rather than `fix()`, keep the model's structure: a persistent solver
then sees only changed column bounds when the plan changes.
With `before=Y` only decisions taken before year Y are held, the others stay free: a plan
re-optimised from year Y.
"""
from __future__ import annotations

from collections.abc import Mapping

import pyomo.environ as pyo

from ..case import Case
from . import CONCERNS, first_stage_vars
from .declarations import registry

DECISIONS = registry(CONCERNS)["decisions"]


def decision_year(case: Case, name: str, index) -> int:
    """The year in which a first-stage decision is taken (and paid), as its concern declares
    it (Decision.year): stock capacity is bought at the horizon start, an option with capex
    is paid in its first available year, the others carry their year in their index."""
    return DECISIONS[name].decided(case, index)


def hold(model: pyo.ConcreteModel, plan: Mapping[str, dict], case: Case | None = None,
         before: int | None = None) -> None:
    """Bound the model's first-stage variables to `plan` (those decided before `before`,
    which needs the `case`); None reads as 0."""
    for component in first_stage_vars(model):
        name = component.local_name
        values = plan.get(name, {})
        for index, var in component.items():
            if before is not None and decision_year(case, name, index) >= before:
                continue
            value = max(float(values.get(index, 0.0) or 0.0), 0.0)
            if var.is_integer():
                value = float(round(value))
                var.domain = pyo.Reals
            var.setlb(value)
            var.setub(value)
