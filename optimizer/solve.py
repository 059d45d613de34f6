"""HiGHS through Pyomo: solve a built model, map its status honestly, and price the policy.

Status names (summary.json): optimal; feasible (a plan found but the time limit stopped the
search: its gap is reported); infeasible; time_limit (no plan found in time); unbounded;
error. The CLI exits 0 for optimal and feasible, 1 for the others.
"""
from __future__ import annotations

import io
import logging
import math
import time
from dataclasses import dataclass

import highspy
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition as TC

from .study import Solver

log = logging.getLogger(__name__)
SOLVED = ("optimal", "feasible")


@dataclass
class Outcome:
    status: str
    objective: float | None
    bound: float | None
    mip_gap: float | None
    solve_s: float
    nodes: int | None
    log: str

    @property
    def has_plan(self) -> bool:
        return self.status in SOLVED


def _status(termination, solution) -> str:
    has = solution in (SolutionStatus.optimal, SolutionStatus.feasible)
    if termination == TC.convergenceCriteriaSatisfied and has:
        return "optimal"
    if termination in (TC.maxTimeLimit, TC.iterationLimit, TC.interrupted):
        return "feasible" if has else "time_limit"
    if termination in (TC.provenInfeasible, TC.locallyInfeasible, TC.infeasibleOrUnbounded):
        return "infeasible"
    if termination == TC.unbounded:
        return "unbounded"
    return "error"


def solve_model(model: pyo.ConcreteModel, settings: Solver, **options) -> Outcome:
    """Solve with HiGHS; load the plan into the model's variables when there is one.

    `options` are extra HiGHS options. The random seed comes from the study so that the same
    inputs give the same plan.
    """
    highspy.Highs.resetGlobalScheduler(True)   # threads are fixed per process otherwise
    opt = SolverFactory("highs")
    stream = io.StringIO()
    start = time.perf_counter()
    res = opt.solve(model, tee=[stream], time_limit=settings.time_limit_s,
                    rel_gap=settings.mip_rel_gap, threads=settings.threads,
                    solver_options={"random_seed": settings.seed, **options},
                    load_solutions=False, raise_exception_on_nonoptimal_result=False)
    elapsed = time.perf_counter() - start
    status = _status(res.termination_condition, res.solution_status)
    objective = bound = gap = None
    if status in SOLVED:
        res.solution_loader.load_vars()
        objective = res.incumbent_objective
        bound = res.objective_bound
        if objective is not None and bound is not None and math.isfinite(bound):
            gap = abs(objective - bound) / max(abs(objective), 1e-9)
    log.info("HiGHS: %s in %.2f s (objective %s, gap %s)", status, elapsed, objective, gap)
    return Outcome(status, objective, bound, gap, elapsed,
                   getattr(res.extra_info, "mip_node_count", None), stream.getvalue())


def integer_vars(model: pyo.ConcreteModel) -> list:
    return [v for v in model.component_data_objects(pyo.Var, active=True)
            if v.is_integer() or v.is_binary()]


def fixed_lp_duals(model: pyo.ConcreteModel, settings: Solver,
                   constraints: list[str]) -> dict[tuple[str, object], float]:
    """Duals of the named constraints in the LP left when every integer is fixed at its plan.

    Returns {(constraint name, index): shadow price}, the rise in the objective per unit by
    which the row is tightened (positive when it binds, whichever way Pyomo stored it). The
    model's integer variables get their domains back afterwards.
    """
    ints = integer_vars(model)
    saved = [(v, v.domain, v.fixed) for v in ints]
    for v in ints:
        value = round(v.value or 0.0)
        v.domain = pyo.Reals
        v.fix(value)
    try:
        highspy.Highs.resetGlobalScheduler(True)
        opt = SolverFactory("highs")
        res = opt.solve(model, threads=settings.threads, load_solutions=False,
                        raise_exception_on_nonoptimal_result=False)
        if res.termination_condition != TC.convergenceCriteriaSatisfied:
            log.warning("the LP with integers fixed did not solve (%s): no duals",
                        res.termination_condition)
            return {}
        wanted = [c for name in constraints if model.find_component(name) is not None
                  for c in model.find_component(name).values() if c.active]
        duals = res.solution_loader.get_duals(wanted) if wanted else {}
        # Pyomo's dual is d objective / d bound: negative for a binding upper bound.
        return {(c.parent_component().name, c.index()): float(d) * (-1.0 if c.has_ub() else 1.0)
                for c, d in duals.items()}
    finally:
        for v, domain, fixed in saved:
            v.domain = domain
            if not fixed:
                v.unfix()
