"""HiGHS from a Pyomo model: bulk hand-over, honest status, LP duals with integers fixed.

The model goes to HiGHS in bulk: Pyomo's standard-form compiler turns it into sparse arrays
that highspy takes in one `passModel` call, several times faster than Pyomo's persistent
interface, which adds rows one by one (../shared/notes, §2). Values and duals come back by
column and row position.

Status names (summary.json): optimal; feasible (a plan found but the time limit stopped the
search: its gap is reported); infeasible; time_limit (no plan found in time); unbounded;
error. The CLI exits 0 for optimal and feasible, 1 for the others.
"""
from __future__ import annotations

import logging
import math
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from .study import Solver

log = logging.getLogger(__name__)
SOLVED = ("optimal", "feasible")
MS = highspy.HighsModelStatus
STATUS = {MS.kOptimal: "optimal", MS.kInfeasible: "infeasible",
          MS.kUnboundedOrInfeasible: "infeasible", MS.kUnbounded: "unbounded",
          MS.kTimeLimit: "time_limit", MS.kIterationLimit: "time_limit",
          MS.kSolutionLimit: "time_limit", MS.kInterrupt: "time_limit"}


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

    @property
    def has_plan(self) -> bool:
        return self.status in SOLVED


@dataclass
class Handover:
    """A model in HiGHS: the solver object and the Pyomo row and column of each position."""

    highs: highspy.Highs
    rows: list          # [(ConstraintData, +1 for an upper bound, -1 lower, 0 equality)]
    columns: list       # [VarData]


@contextmanager
def _banner_to_stderr():
    """HiGHS prints its banner on the C-level stdout when first created; stdout is reserved
    for results (`--json`), so point file descriptor 1 at stderr meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance."""
    with _banner_to_stderr():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def to_highs(model: pyo.ConcreteModel) -> Handover:
    """Compile the model to standard form and pass it to a new HiGHS instance in one call."""
    sf = LinearStandardFormCompiler().write(model, mixed_form=True)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(sf.columns), len(sf.rows)
    lp.col_cost_ = np.asarray(sf.c.toarray()[0] if sf.c.shape[0] else np.zeros(len(sf.columns)))
    lp.offset_ = float(sf.c_offset[0]) if len(sf.c_offset) else 0.0
    inf = highspy.kHighsInf
    lp.col_lower_ = np.array([-inf if v.lb is None else v.lb for v in sf.columns], dtype=float)
    lp.col_upper_ = np.array([inf if v.ub is None else v.ub for v in sf.columns], dtype=float)
    sense = np.array([s for _, s in sf.rows], dtype=int)
    rhs = np.asarray(sf.rhs, dtype=float)
    lp.row_lower_ = np.where(sense == 1, -inf, rhs)
    lp.row_upper_ = np.where(sense == -1, inf, rhs)
    A = sf.A.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    if any(v.is_integer() for v in sf.columns):
        lp.integrality_ = [highspy.HighsVarType.kInteger if v.is_integer()
                           else highspy.HighsVarType.kContinuous for v in sf.columns]
    h = new_highs()
    h.passModel(lp)
    return Handover(h, list(sf.rows), list(sf.columns))


def _settle_unused(model: pyo.ConcreteModel) -> None:
    """Variables in no row and not in the objective (a contract whose every delivery share is
    zero, say) never reach HiGHS; any value within bounds is optimal: take the one nearest 0."""
    for var in model.component_data_objects(pyo.Var, active=True):
        if var.value is None:
            lo, hi = var.lb, var.ub
            nearest = lo if lo is not None and lo > 0 else hi if hi is not None and hi < 0 else 0.0
            var.set_value(nearest, skip_validation=True)


def solve_model(model: pyo.ConcreteModel, settings: Solver, **options) -> Outcome:
    """Solve with HiGHS; load the plan into the model's variables when there is one.

    `options` are extra HiGHS options. The random seed comes from the study so that the same
    inputs give the same plan.
    """
    start = time.perf_counter()
    try:
        handover = to_highs(model)
    except InfeasibleConstraintException as exc:
        log.info("a constraint over no variable cannot hold: %s", exc)
        return Outcome("infeasible", None, None, None, time.perf_counter() - start, 0.0, 0.0,
                       None, str(exc))
    transfer_s = time.perf_counter() - start
    h = handover.highs
    with tempfile.TemporaryDirectory() as tmp:
        logfile = Path(tmp) / "highs.log"
        for key, value in {"output_flag": True, "log_to_console": False,
                           "log_file": str(logfile), "time_limit": float(settings.time_limit_s),
                           "mip_rel_gap": float(settings.mip_rel_gap),
                           "threads": int(settings.threads), "random_seed": int(settings.seed),
                           **options}.items():
            h.setOptionValue(key, value)
        highspy.Highs.resetGlobalScheduler(True)   # threads are fixed per process otherwise
        start = time.perf_counter()
        h.run()
        solve_s = time.perf_counter() - start
        h.setOptionValue("output_flag", False)
        text = logfile.read_text() if logfile.exists() else ""
    info, model_status = h.getInfo(), h.getModelStatus()
    status = STATUS.get(model_status, "error")
    has_solution = info.primal_solution_status == 2
    if status == "time_limit" and has_solution:
        status = "feasible"
    if status == "optimal" and not has_solution:
        status = "error"
    objective = bound = gap = None
    start = time.perf_counter()
    if status in SOLVED:
        for var, x in zip(handover.columns, h.getSolution().col_value):
            var.set_value(x, skip_validation=True)
        _settle_unused(model)
        scale = getattr(model, "eur_per_objective_unit", 1.0)
        objective = info.objective_function_value * scale
        mip = any(v.is_integer() for v in handover.columns)
        bound = info.mip_dual_bound * scale if mip else objective
        if bound is not None and math.isfinite(bound):
            gap = abs(objective - bound) / max(abs(objective), 1e-9)
    extract_s = time.perf_counter() - start
    log.info("HiGHS: %s in %.2f s (objective %s, gap %s)", status, solve_s, objective, gap)
    nodes = info.mip_node_count if info.mip_node_count >= 0 else None
    return Outcome(status, objective, bound, gap, transfer_s, solve_s, extract_s, nodes, text)


def integer_vars(model: pyo.ConcreteModel) -> list:
    return [v for v in model.component_data_objects(pyo.Var, active=True) if v.is_integer()]


def fixed_lp_duals(model: pyo.ConcreteModel, settings: Solver,
                   constraints: list[str]) -> dict[tuple[str, object], float]:
    """Duals of the named constraints in the LP left when every integer is fixed at its plan.

    Returns {(constraint name, index): shadow price}, the rise in the objective per unit by
    which the row is tightened (positive when it binds). Rows whose variables are all fixed
    drop out of the LP and get no dual. The integers are unfixed afterwards.
    """
    ints = [v for v in integer_vars(model) if not v.fixed]
    for v in ints:
        v.fix(round(v.value or 0.0))
    try:
        handover = to_highs(model)
        h = handover.highs
        h.setOptionValue("threads", int(settings.threads))
        highspy.Highs.resetGlobalScheduler(True)
        h.run()
        if h.getModelStatus() != MS.kOptimal:
            log.warning("the LP with integers fixed did not solve (%s): no duals",
                        h.modelStatusToString(h.getModelStatus()))
            return {}
        wanted = set(constraints)
        scale = getattr(model, "eur_per_objective_unit", 1.0)
        duals = {}
        for (con, sense), dual in zip(handover.rows, h.getSolution().row_dual):
            name = con.parent_component().name
            if name in wanted:
                # HiGHS' row dual is d objective / d bound: negative for a binding upper bound
                price = (-dual if sense == 1 else dual) * scale
                duals[name, con.index()] = duals.get((name, con.index()), 0.0) + float(price)
        return duals
    finally:
        for v in ints:
            v.unfix()
