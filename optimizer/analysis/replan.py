"""Re-optimise a plan from year Y under new assumptions, its earlier decisions kept.

Given a plan x⁰ and a year Y, every first-stage decision taken before Y is held:

    contract[s,y], units_built[f,y], substitution_share[o,y]   for y < Y
    stock_capacity[m]                                           (bought at the horizon start)
    adopted[o]                                                  when paid before Y

and the study (a new study file: other data, scenarios or policy) is solved again over the
rest. The held decisions are sunk and the years before Y are costed under the new
assumptions too, so objectives compare with the same study's:

    fresh optimum ≤ replanned ≤ the old plan held throughout,

the first because holding decisions only restricts, the second because the old plan's later
decisions remain available. The gap between the last two is what changing course from Y is
worth; between the first two, what the earlier commitments cost. Stock capacity cannot grow
after the start in this model, so a replan adjusts contracts, builds and demand-side levers.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import pandas as pd

from ..case import Case
from ..errors import InputError, Problem
from ..formulation.first_stage import decision_year
from ..plan import Plan
from ..results import Results
from ..run import solve_case

CHANGES = ["decision", "item", "year", "before", "after", "change"]


def replan(case: Case, plan: Mapping[str, dict], year: int) -> tuple[Results, pd.DataFrame]:
    """(the re-optimised plan, its changes from `year` on against `plan`)."""
    start, end = case.study.horizon.start, case.study.horizon.end
    if not start <= year <= end:
        raise InputError([Problem("--year", None, None, year,
                                  f"a year of the horizon {start}-{end}")])
    plan = Plan(dict(plan))      # a Plan, or {variable name: {index: value}}
    plan.check(case)
    results = solve_case(case, prepare=partial(plan.hold, case=case, before=year))
    if not results.ok:
        return results, pd.DataFrame(columns=CHANGES)
    return results, changes(case, plan, Plan.of(results, case), year)


def changes(case: Case, before: dict, after: dict, year: int, tol: float = 1e-6) -> pd.DataFrame:
    """Every first-stage decision from `year` on that differs between two plans."""
    rows = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, {}), after.get(name, {})
        for index in sorted(set(old) | set(new), key=str):
            when = decision_year(case, name, index)
            a, b = float(old.get(index, 0.0)), float(new.get(index, 0.0))
            if when >= year and abs(b - a) > tol * max(1.0, abs(a)):
                item = index[0] if isinstance(index, tuple) else index
                rows.append((name, item, when, a, b, b - a))
    return pd.DataFrame(rows, columns=CHANGES).sort_values(["year", "decision", "item"],
                                                           ignore_index=True)
