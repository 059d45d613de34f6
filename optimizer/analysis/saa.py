"""Sample average approximation: plan on N sampled scenarios, with a confidence interval on
the optimal expected cost (Mak, Morton and Wood, 1999).

R independent samples of N disruption scenarios (disruptions.py, weight 1/N each) give R
SAA problems with optimal values v_1..v_R. Since E[v_N] ≤ v* for a minimisation,

    lower bound  L = mean(v_r) − z·s_v/√R

Each replication's plan x_r is then held and evaluated on one independent sample of N' ≫ N
scenarios (stress.run_samples); the best plan's mean cost U_N' is an unbiased estimate of its
true cost, an upper bound on v*:

    upper bound  U = U_N' + z·s_U/√N'

and U − L bounds the optimality gap of the chosen plan at (about) the stated confidence. A
planner trades accuracy for time through N, R and N'. The estimate is of expected cost: a
study weighing CVaR is planned risk-neutrally here.
"""
from __future__ import annotations

import logging
import math
from statistics import NormalDist

import numpy as np
import pandas as pd

from ..case import Case
from ..run import solve_case
from ..study import Risk
from .disruptions import Events
from .parallel import allocate, run_all
from .plan import plan_from_results
from .scenarios import with_scenarios
from .stress import monte_carlo_samples, run_samples

log = logging.getLogger(__name__)


def _replication(job):
    case, events, n, seed, threads = job
    sampled = with_scenarios(case, {name: (weight, data) for name, weight, data in
                                    monte_carlo_samples(case, events, n, seed)})
    sampled = sampled.with_solver(threads=threads)
    results = solve_case(sampled, duals=False)
    if not results.ok:
        raise RuntimeError(f"SAA replication with seed {seed}: {results.status}")
    return results.summary["objective_eur"], plan_from_results(results, sampled)


def saa(case: Case, events: Events | None = None, n: int = 20, replications: int = 4,
        evaluation: int = 500, seed: int = 1, level: float = 0.95,
        workers: int | None = None) -> tuple[pd.DataFrame, dict]:
    """(one row per replication, the bounds). Seeds seed..seed+R-1 plan, seed+R evaluates."""
    events = events or Events()
    case = case.with_study(case.study.model_copy(update={"risk": Risk()}))
    z = NormalDist().inv_cdf((1 + level) / 2)
    procs, threads = allocate(replications, workers)
    solved = run_all(_replication, [(case, events, n, seed + r, threads)
                                    for r in range(replications)], procs)
    values = np.array([v for v, _ in solved])
    held = monte_carlo_samples(case, events, evaluation, seed + replications)
    rows = []
    for r, (value, plan) in enumerate(solved):
        costs = run_samples(case, plan, held)["total_cost_eur"].to_numpy(dtype=float)
        rows.append({"replication": r + 1, "seed": seed + r, "saa_objective_eur": value,
                     "evaluated_cost_eur": costs.mean(),
                     "evaluated_ci_eur": z * costs.std(ddof=1) / math.sqrt(len(costs))})
    frame = pd.DataFrame(rows)
    best = frame.loc[frame["evaluated_cost_eur"].idxmin()]
    spread = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    lower = float(values.mean() - z * spread)
    upper = float(best["evaluated_cost_eur"] + best["evaluated_ci_eur"])
    bounds = {"samples": n, "replications": replications, "evaluation_samples": evaluation,
              "level": level, "lower_bound_eur": lower, "upper_bound_eur": upper,
              "gap_eur": upper - lower, "gap_share": (upper - lower) / abs(upper),
              "best_replication": int(best["replication"])}
    log.info("SAA: %.6g <= v* <= %.6g (gap %.2f%%)", lower, upper, 100 * bounds["gap_share"])
    return frame, bounds
