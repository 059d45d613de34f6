"""Solving a Pyomo model with HiGHS: whole or in independent blocks, with an honest status.

The model goes to HiGHS in bulk (highs.py); a model whose materials share no row is solved
block by block (blocks.py, block_solve.py) and certified as one.

Status names (summary.json): optimal; feasible (a plan found but the time limit stopped the
search: its gap is reported); infeasible; time_limit (no plan found in time); unbounded;
error. The CLI exits 0 for optimal and feasible, 1 for the others.

HiGHS runs in a thread of its own, so that Ctrl-C stops it within a second (highs.run_highs).
"""
from __future__ import annotations

import logging
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.contrib.solver.common.results import TerminationCondition as TC

from .block_solve import solve_in_blocks
from .blocks import Blocks, split
from .highs import loaded_highs, run_highs, standard_form, status_of, to_highs
from .study import Solver

log = logging.getLogger(__name__)
SOLVED = ("optimal", "feasible")
# The same statuses for a termination condition of Pyomo's solver interface (a kept model).
TERMINATION = {TC.convergenceCriteriaSatisfied: "optimal", TC.provenInfeasible: "infeasible",
               TC.infeasibleOrUnbounded: "infeasible", TC.unbounded: "unbounded",
               TC.maxTimeLimit: "time_limit", TC.iterationLimit: "time_limit",
               TC.interrupted: "time_limit"}


@dataclass
class Outcome:
    status: str
    objective: float | None
    bound: float | None
    mip_gap: float | None
    transfer_s: float
    solve_s: float
    extract_s: float
    nodes: int | None
    log: str
    form: tuple | None = None      # standard_form's answer, for the LP of the duals
    row_dual: np.ndarray | None = None   # that LP's row duals, when the solve gave them

    @property
    def has_plan(self) -> bool:
        return self.status in SOLVED


def _settle_unused(model: pyo.ConcreteModel) -> None:
    """Variables in no row and not in the objective (a contract whose every delivery share is
    zero, say) never reach HiGHS; any value within bounds is optimal: take the one nearest 0."""
    for var in model.component_data_objects(pyo.Var, active=True):
        if var.value is None:
            lo, hi = var.lb, var.ub
            nearest = lo if lo is not None and lo > 0 else hi if hi is not None and hi < 0 else 0.0
            var.set_value(nearest, skip_validation=True)


def study_options(settings: Solver) -> dict:
    """The HiGHS options a study's `solver:` settings give every solve of its model."""
    return {"time_limit": float(settings.time_limit_s), "mip_rel_gap": float(settings.mip_rel_gap),
            "threads": int(settings.threads), "random_seed": int(settings.seed)}


def solve_model(model: pyo.ConcreteModel, settings: Solver, duals: bool = False,
                **options) -> Outcome:
    """Solve with HiGHS; load the plan into the model's variables when there is one.

    `options` are extra HiGHS options. The random seed comes from the study so that the same
    inputs give the same plan. With `duals`, a solve in blocks also gives the row duals of
    the LP with the integers fixed at the plan (Outcome.row_dual; fixed_lp.py).
    """
    start = time.perf_counter()
    try:
        form = standard_form(model)
    except InfeasibleConstraintException as exc:
        log.info("a constraint over no variable cannot hold: %s", exc)
        return Outcome("infeasible", None, None, None, time.perf_counter() - start, 0.0, 0.0,
                       None, str(exc))
    blocks = split(form[0]) if settings.blocks else None
    if blocks is not None:
        outcome = _solve_blocks(model, form, blocks, {**study_options(settings), **options}, start,
                                duals)
        outcome.form = form
        return outcome
    handover = to_highs(model, form)
    transfer_s = time.perf_counter() - start
    h = handover.highs
    with tempfile.TemporaryDirectory() as tmp:
        logfile = Path(tmp) / "highs.log"
        for key, value in {"output_flag": True, "log_to_console": False,
                           "log_file": str(logfile), **study_options(settings),
                           **options}.items():
            h.setOptionValue(key, value)
        highspy.Highs.resetGlobalScheduler(True)   # threads are fixed per process otherwise
        log.info("HiGHS: solving %d columns, %d rows", h.getNumCol(), h.getNumRow())
        start = time.perf_counter()
        run_highs(h)
        solve_s = time.perf_counter() - start
        h.setOptionValue("output_flag", False)
        text = logfile.read_text() if logfile.exists() else ""
    info, status = h.getInfo(), status_of(h)
    objective = bound = gap = None
    start = time.perf_counter()
    if status in SOLVED:
        mip = any(v.is_integer() for v in handover.columns)
        objective, bound, gap = _load_plan(
            model, handover.columns, h.getSolution().col_value, info.objective_function_value,
            info.mip_dual_bound if mip else info.objective_function_value)
    extract_s = time.perf_counter() - start
    log.info("HiGHS: %s in %.2f s (objective %s, gap %s)", status, solve_s, objective, gap)
    nodes = info.mip_node_count if info.mip_node_count >= 0 else None
    return Outcome(status, objective, bound, gap, transfer_s, solve_s, extract_s, nodes, text,
                   form)


def _solve_blocks(model: pyo.ConcreteModel, form: tuple, blocks: Blocks, options: dict,
                  start: float, duals: bool) -> Outcome:
    """solve_model for a model of independent blocks (blocks.py): the same Outcome."""
    transfer_s = time.perf_counter() - start
    log.info("HiGHS: solving %d columns, %d rows as %d independent blocks",
             form[0].A.shape[1], form[0].A.shape[0], len(blocks.columns))
    highspy.Highs.resetGlobalScheduler(True)
    start = time.perf_counter()
    result, text = solve_in_blocks(form[0], blocks, options, run_highs, loaded_highs, duals)
    solve_s = time.perf_counter() - start
    objective = bound = gap = None
    start = time.perf_counter()
    if result.status in SOLVED:
        objective, bound, gap = _load_plan(model, form[2], result.x, result.objective,
                                           result.bound)
    log.info("HiGHS: %s in %.2f s (objective %s, gap %s)", result.status, solve_s, objective, gap)
    return Outcome(result.status, objective, bound, gap, transfer_s, solve_s,
                   time.perf_counter() - start, result.nodes, text, row_dual=result.row_dual)


def _load_plan(model: pyo.ConcreteModel, columns: list, values, objective: float,
               bound: float) -> tuple[float, float, float | None]:
    """Load a plan's column values into the model; (objective, bound, gap) in EUR (the model
    counts money in `eur_per_objective_unit`), no gap without a finite bound."""
    for var, x in zip(columns, values):
        var.set_value(x, skip_validation=True)
    _settle_unused(model)
    scale = getattr(model, "eur_per_objective_unit", 1.0)
    objective, bound = objective * scale, bound * scale
    gap = abs(objective - bound) / max(abs(objective), 1e-9) if math.isfinite(bound) else None
    return objective, bound, gap


def integer_vars(model: pyo.ConcreteModel) -> list:
    return [v for v in model.component_data_objects(pyo.Var, active=True) if v.is_integer()]
