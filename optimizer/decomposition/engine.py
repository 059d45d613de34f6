"""The L-shaped method as a solve path: `solver: {method: lshaped}` in a study.

`solve_lshaped(case)` returns the same Results as `run.solve_case(case)`: once the loop has
a plan within the gap, the workers solve each scenario's LP at that plan and read its tables
off their one-scenario templates (plan_tables.py), which is the extensive form held at the
plan, scenario by scenario, so that every table and summary key means what it means for the
extensive form (duals.csv stays empty: no policy row of a decomposable study has a price
there).
The summary adds engine (lshaped), lower_bound_eur and upper_bound_eur (the loop's certified
bounds on the optimal objective), lshaped_iterations, lshaped_lp_iterations, lshaped_cuts,
lshaped_s and workers. objective_eur is the plan's objective there and mip_gap its gap to
the lower bound; status is optimal when that gap is within the study's mip_rel_gap,
feasible when the loop stopped first, time_limit when it found no plan.

`method: auto` chooses the L-shaped method from AUTO_SCENARIOS scenarios on, where it is
the faster by far: on 100 EU paths 15 s end to end to a certified 0.91% against the
extensive form's 195-229 s (in blocks, to 0.32%; benchmarks/RESULTS.md, "eu-100 end to
end"), and from 400 the extensive form (about 28 MB a scenario on the EU data) would
outgrow half of a 23 GB machine. The extensive form's plan is the cheaper (0.49% on those
100 paths, both within the 1% gap): a planner who wants the tighter plan asks for
`method: extensive` or a smaller mip_rel_gap. Below 100 the extensive form in blocks takes
seconds. Only studies it can decompose: none
with a policy row per scenario (country caps, EU shares, stock days, a shortfall cap), whose
second stage a plan can make infeasible; such studies are solved by the extensive form
(master.NotDecomposable).
"""
from __future__ import annotations

import logging
import time

from ..case import Case
from ..results import Results
from ..run import versions
from .lshaped import decompose
from .plan_tables import plan_results

log = logging.getLogger(__name__)
AUTO_SCENARIOS = 100
PER_SCENARIO_POLICY = ("max_country_share", "min_eu_extraction_share",
                       "min_eu_processing_share", "min_recycling_share", "min_stock_days")


def decomposable(case: Case) -> bool:
    """No policy row per scenario: every plan has a second stage in every scenario."""
    policy = case.study.policy
    return all(getattr(policy, key) is None for key in PER_SCENARIO_POLICY) and \
        case.study.risk.max_shortfall_share is None


def choose_method(case: Case) -> str:
    """extensive or lshaped, from the study's solver.method (auto: by scenario count)."""
    method = case.study.solver.method
    if method == "lshaped" and not decomposable(case):
        log.warning("solver.method lshaped: the study has policy rows per scenario, which the "
                    "L-shaped method does not handle; solving the extensive form")
        return "extensive"
    if method == "auto":
        wide = len(case.scenario_ids) >= AUTO_SCENARIOS
        return "lshaped" if wide and decomposable(case) else "extensive"
    return method


def solve_lshaped(case: Case, duals: bool = True, ranges: bool = False,
                  workers: int | None = None) -> Results:
    """The study's plan by the L-shaped method, its Results read off the workers' scenario
    LPs at that plan (see the module doc). `workers` defaults to the study's
    solver.workers."""
    started = time.perf_counter()
    settings = case.study.solver
    found = decompose(case, workers or settings.workers, tables=True, duals=duals)
    if ranges:
        log.warning("solver.decision_ranges is not computed for the L-shaped method")
    engine = {"engine": "lshaped", "lower_bound_eur": found.lower_eur,
               "upper_bound_eur": found.upper_eur, "lshaped_iterations": found.iterations,
               "lshaped_lp_iterations": found.lp_iterations, "lshaped_cuts": found.cuts,
               "lshaped_s": round(found.seconds, 3), "workers": found.workers,
               "versions": versions()}
    if found.parts is None:
        results = Results({"status": "error" if found.status == "error" else "time_limit",
                           "objective_eur": None, "mip_gap": None, "study": case.study.name,
                           "study_file": str(case.study.path or ""),
                           "inputs": str(case.study.inputs),
                           "inputs_sha256": case.inputs_sha256, **engine}, {})
    else:
        results = plan_results(case, found.plan, found.parts, duals, engine)
    summary = results.summary
    summary["total_s"] = round(time.perf_counter() - started, 3)
    if results.ok:
        objective, lower = summary["objective_eur"], found.lower_eur
        summary["mip_gap"] = None if lower is None else \
            (objective - lower) / max(abs(objective), 1e-9)
        met = summary["mip_gap"] is not None and \
            summary["mip_gap"] <= settings.mip_rel_gap * (1 + 1e-6)
        summary["status"] = "optimal" if met else "feasible"
        if not met:
            log.warning("L-shaped: stopped at gap %s (asked for %g): the best plan found is "
                        "reported", summary["mip_gap"], settings.mip_rel_gap)
    return results
