"""A Case solved: Case -> model -> HiGHS -> Results (the study-level call: pipeline.py)."""
from __future__ import annotations

import logging
import platform
import time
from importlib.metadata import version
from typing import Callable

import pandas as pd
import pyomo.environ as pyo

from . import diagnostics, explain, results
from .case import Case
from .firmness import decision_ranges
from .formulation import build_model
from .materials import with_materials
from .plan import Plan
from .results import COLUMNS, Results
from .fixed_lp import fixed_lp_duals
from .solve import solve_model
from .tables import plan_tables

log = logging.getLogger(__name__)


def versions() -> dict[str, str]:
    names = ("crmplan", "pyomo", "highspy", "pandas", "numpy")
    return {"python": platform.python_version(), **{n: version(n) for n in names}}


def solve_case(case: Case, duals: bool = True,
               prepare: Callable[[pyo.ConcreteModel], None] | None = None,
               ranges: bool = False) -> Results:
    """Solve a Case. `prepare(model)`, when given, changes the built model before the solve
    (bounds a plan or a strategy puts on its decisions); MIP-priced duals re-solve with it.
    `ranges` adds summary["within_gap"]: which decisions the solver's gap leaves open
    (firmness.py)."""
    start = time.perf_counter()
    model = build_model(case)
    if prepare is not None:
        prepare(model)
    build_s = time.perf_counter() - start
    outcome = solve_model(model, case.study.solver, duals=duals)
    summary = {
        "status": outcome.status, "objective_eur": outcome.objective, "expected_cost_eur": None,
        "cvar_eur": None, "mip_gap": outcome.mip_gap, "build_s": round(build_s, 3),
        "transfer_s": round(outcome.transfer_s, 3), "solve_s": round(outcome.solve_s, 3),
        "extract_s": round(outcome.extract_s, 3), "study": case.study.name,
        "study_file": str(case.study.path or ""), "inputs": str(case.study.inputs),
        "inputs_sha256": case.inputs_sha256, "versions": versions(),
        "risk": case.study.risk.model_dump(), "nodes": outcome.nodes,
        "probability": case.probability,
    }
    if not outcome.has_plan:
        tables = {}
        if outcome.status == "infeasible":
            tables["conflicts"] = diagnostics.explain_infeasible(case, prepare)
        return Results(summary, tables, outcome.log)
    start_extract = time.perf_counter()
    tables = with_materials(case, plan_tables(case, model))
    plan = Plan.from_model(model)     # before duals and ranges re-solve the model
    summary["extract_s"] = round(outcome.extract_s + time.perf_counter() - start_extract, 3)
    summary.update(results.cost_measures(tables["costs"], case.probability,
                                         case.study.risk.alpha))
    if outcome.status == "feasible":
        log.warning("time limit reached: best plan found, gap %.4g", outcome.mip_gap or float("nan"))
    if duals:
        lp = fixed_lp_duals(model, case.study.solver, [*model.policy_rows, *explain.ROWS],
                            outcome.form, outcome.row_dual)
        if model.policy_rows:
            tables["duals"] = policy_duals(case, model, outcome.objective, prepare, lp)
        tables["why"] = explain.why(case, tables, lp)
    if ranges:
        started = time.perf_counter()
        summary["within_gap"] = decision_ranges(model, case, outcome.objective, outcome.bound)
        summary["within_gap"]["seconds"] = round(time.perf_counter() - started, 3)
    summary["total_s"] = round(time.perf_counter() - start, 3)
    return Results(summary, tables, outcome.log, plan)


def policy_duals(case: Case, model, objective: float, prepare=None,
                 lp: dict | None = None) -> pd.DataFrame:
    """Shadow price of every policy row: what tightening it by one unit would cost.

    shadow_price_pv is the rise in the objective; shadow_price is the same in the money of
    that year, were that scenario to happen (divided by probability and discount factor).
    Rows with continuous variables are priced by the LP with the integers fixed
    (method lp_fixed_integers). A land, energy or staff limit binds integer unit counts only,
    where an LP dual says nothing; so does a budget spent on facilities alone. They are
    priced by re-solving the MIP with the limit raised by the smallest step a unit takes
    (method mip_difference), per unit of the limit. `lp`: the fixed-integer LP's duals when
    already at hand (fixed_lp_duals over the policy rows and others).
    """
    rows_of = model.policy_rows
    if lp is None:
        lp = fixed_lp_duals(model, case.study.solver, list(rows_of))
    lp = {key: price for key, price in lp.items() if key[0] in rows_of}
    probability = dict(model.probability.items())
    rows = []
    for (name, index), price_pv in lp.items():
        row = rows_of[name]
        where = row.where(index)
        weight = 1.0     # first-stage rows are priced at the horizon start
        if where["scenario"] not in ("*", ""):
            weight = probability[where["scenario"]] * case.discount(int(where["year"]))
        rows.append((name, row.key, where["material"], where["country"],
                     where["year"], where["scenario"], price_pv / weight, price_pv,
                     row.unit, "lp_fixed_integers"))
    priced = {name for name, _ in lp}
    for name, row in rows_of.items():
        if row.step is not None and name not in priced:
            rows += _mip_price(case, row, objective, prepare)
    return pd.DataFrame(rows, columns=COLUMNS["duals"])


def _loosened(model, path: list[str], step: float):
    """A copy of a study (or part of it) with the key at `path` raised by `step`."""
    head, *rest = path
    value = getattr(model, head)
    return model.model_copy(update={head: _loosened(value, rest, step) if rest
                                    else value + step})


def _mip_price(case: Case, row, objective: float, prepare=None) -> list[tuple]:
    """(objective - objective with the limit one step looser) / step, a step being the
    smallest positive value of the facilities column the row declares (PolicyRow.step)."""
    steps = case.facilities[row.step][case.facilities[row.step] > 0]
    if steps.empty:
        return []
    step = float(steps.min())
    looser = _loosened(case.study, row.key.split("."), step)
    relaxed = solve_case(case.with_study(looser), duals=False, prepare=prepare)
    if not relaxed.ok:
        return []
    price = (objective - relaxed.summary["objective_eur"]) / step
    return [(row.name, row.key, "", "", "", "*", price, price, row.unit, "mip_difference")]
