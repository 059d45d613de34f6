"""`crmplan solve --engine mpisppy`: PH for the plan, the extensive form for the results.

The plan PH found is fixed in the extensive form through `run.solve_case(prepare=...)`, so the
Results are the extensive form's (every table and summary key means the same), plus engine,
ranks, inner_bound_eur and outer_bound_eur (PH's bounds on the optimal objective),
ph_iterations and ph_s. objective_eur is the plan's objective in the extensive form and
mip_gap its gap to the outer bound; status is optimal when that gap is within the one asked
for, feasible when PH stopped first (time limit, max_iterations), time_limit when it found no
plan. As for any fixed plan, duals.csv prices the policy rows given the plan.
"""
from __future__ import annotations

import functools
import logging
import time
from pathlib import Path

from ..case import Case, load_case
from ..plan import Plan
from ..results import Results
from ..run import versions
from ..study import Study, load_study
from . import driver
from .evaluate import solve_fixed

log = logging.getLogger(__name__)
DEFAULT_MAX_ITERATIONS = 200
RHO_MULTIPLIER = 1.0


def solve(study: Study | str | Path, ranks: int = 3, rel_gap: float | None = None,
          max_iterations: int = DEFAULT_MAX_ITERATIONS, duals: bool = True,
          rho_multiplier: float = RHO_MULTIPLIER, bundle_size: int = 1,
          hub_only: bool = False) -> Results:
    """Solve a study (a Study or the path of its YAML) by PH on `ranks` MPI ranks.

    `rel_gap` defaults to the study's solver.mip_rel_gap. With `bundle_size` b, PH works on
    bundles of b scenarios, each bundle's model the extensive form over its scenarios
    (docs/scale-out.md). `hub_only` runs PH alone on every rank, holding the scenarios once
    instead of once per cylinder (no Lagrangian bound, no xhat spoke). Raises
    EngineUnavailable without mpi-sppy, mpi4py or mpiexec, SettingsError (a ValueError) for
    a rank count no cylinder layout fits, a bundle size that does not divide the scenarios
    into at least two bundles or more ranks a cylinder than bundles, InputError for bad input.
    """
    study = study if isinstance(study, Study) else load_study(study)
    return solve_case(load_case(study), ranks, rel_gap, max_iterations, duals, rho_multiplier,
                      bundle_size, hub_only)


def solve_case(case: Case, ranks: int = 3, rel_gap: float | None = None,
               max_iterations: int = DEFAULT_MAX_ITERATIONS, duals: bool = True,
               rho_multiplier: float = RHO_MULTIPLIER, bundle_size: int = 1,
               hub_only: bool = False) -> Results:
    driver.check_available()
    _, per_cylinder = driver.cylinders(ranks, hub_only)    # bad settings fail before any work
    driver.check_bundles(len(case.scenario_ids), bundle_size, per_cylinder)
    gap = case.study.solver.mip_rel_gap if rel_gap is None else rel_gap
    start = time.perf_counter()
    bounds = None
    if case.study.risk.weighs_cvar:
        bounds = driver.value_at_risk_bounds(case)
    ph = driver.run_ph(case, ranks, gap, max_iterations, bounds, rho_multiplier, bundle_size,
                      hub_only)
    results = _evaluate(case, ph, duals)
    wider = None if results is None or not results.ok or bounds is None else \
        driver.wider_var_bounds(case, bounds, results.summary["objective_eur"])
    if wider is not None:
        bounds = wider
        log.warning("value_at_risk's upper bound may cut off the optimum; PH again with %.6g",
                    bounds[1])
        ph = driver.run_ph(case, ranks, gap, max_iterations, bounds, rho_multiplier,
                           bundle_size, hub_only)
        results = _evaluate(case, ph, duals)
    if results is None:
        log.warning("PH found no plan within its limits")
        results = Results({"status": "time_limit", "objective_eur": None, "mip_gap": None,
                           "study": case.study.name, "study_file": str(case.study.path or ""),
                           "inputs": str(case.study.inputs),
                           "inputs_sha256": case.inputs_sha256}, {})
    summary = results.summary
    summary.update(engine="mpisppy", ranks=ranks, bundle_size=bundle_size, hub_only=hub_only,
                   inner_bound_eur=ph.inner, outer_bound_eur=ph.outer,
                   ph_iterations=ph.iterations, ph_s=round(ph.wall_s, 3),
                   solve_s=round(ph.wall_s + (summary.get("solve_s") or 0.0), 3),
                   versions={**summary.get("versions", versions()), **driver.mpi_versions()},
                   total_s=round(time.perf_counter() - start, 3))
    if results.ok:
        summary["mip_gap"] = None if ph.outer is None else \
            abs(summary["objective_eur"] - ph.outer) / max(abs(summary["objective_eur"]), 1e-9)
        if summary["mip_gap"] is None or summary["mip_gap"] > gap * (1 + 1e-6):
            summary["status"] = "feasible"
            log.warning("PH stopped at gap %s (asked for %g): the best plan found is reported",
                        summary["mip_gap"], gap)
    results.solver_log = ph.log + results.solver_log
    return results


def _evaluate(case: Case, ph: driver.PH, duals: bool) -> Results | None:
    """The extensive form with PH's plan fixed (None when PH found no plan)."""
    if ph.plan is None:
        return None
    return solve_fixed(case, functools.partial(_hold, values=ph.plan), duals)


def _hold(model, values: dict[str, float | None]) -> None:
    """Hold PH's plan, in the engine's form, in a model of the study (some of its scenarios)."""
    Plan.from_engine(values, model).hold(model)
