"""A solved plan checked out of sample: its first stage held, its second stage solved in N
scenarios drawn from an event model it never saw (stress.run_samples on a kept model).

With the study key `out_of_sample: {samples: N, seed: S, events: FILE, level: L}` every
solve adds, next to the in-sample figures, `summary["out_of_sample"]`:

    expected_cost_eur  [lo, mean, hi]   mean cost X̄ ± z·s/√N,  z = Φ⁻¹((1 + L)/2)
    cvar_eur           [lo, cvar, hi]   CVaR_α of the sample costs ± z·σ_c/√N, where
                                        σ_c² = Var(VaR + (X − VaR)+/(1 − α)), the asymptotic
                                        variance of the Rockafellar-Uryasev estimator
    p_shortfall        [lo, p, hi]      share of samples with any shortfall (Wilson interval)

and `in_sample`, the same figures on the study's own scenarios (exact: a distribution, not a
sample). A lower bound below zero of a figure that cannot be negative is shown as zero.
"""
from __future__ import annotations

import logging
import math
import time
from statistics import NormalDist
from typing import Callable

import numpy as np
import pandas as pd

from .. import results as R
from ..case import Case
from ..plan import Plan
from ..results import Results
from .disruptions import Events, load_events
from .parallel import cores
from .stress import evaluate_samples, monte_carlo_samples, summarize

log = logging.getLogger(__name__)
ANY = 1e-6    # tonnes: less is no shortfall
# Samples a worker process must have to pay for itself: starting the pool, building and
# compiling a held model per worker took 4-8 s on the shared 2-core machine, against about
# 50 ms per sample (benchmarks/RESULTS.md): 200 samples ran in 10 s on 1 worker, 13 s on 2.
SAMPLES_PER_WORKER = 400


def cvar_interval(costs: np.ndarray, alpha: float, z: float) -> list[float]:
    """[lo, CVaR_α, hi] of equally weighted sample costs."""
    names = [f"s{i}" for i in range(len(costs))]
    totals = pd.Series(costs, index=names)
    value = R.cvar(totals, dict.fromkeys(names, 1.0 / len(costs)), alpha)
    var = float(np.quantile(costs, alpha, method="inverted_cdf"))
    terms = var + np.maximum(costs - var, 0.0) / (1.0 - alpha)
    half = z * float(np.std(terms, ddof=1)) / math.sqrt(len(costs)) if len(costs) > 1 else 0.0
    return [max(value - half, 0.0) if costs.min() >= 0 else value - half, value, value + half]


def in_sample(results: Results) -> dict:
    """Expected cost, CVaR and the probability of any shortfall on the study's scenarios."""
    s = results.summary
    short = results.shortfall.groupby("scenario")["shortfall_t"].sum()
    p = sum(weight for w, weight in s["probability"].items() if short.get(w, 0.0) > ANY)
    return {"expected_cost_eur": s["expected_cost_eur"], "cvar_eur": s["cvar_eur"],
            "p_shortfall": float(p)}


def workers_for(settings) -> int:
    """Worker processes for the study's `out_of_sample` settings: as given, else one per
    SAMPLES_PER_WORKER samples, at most the cores."""
    return settings.workers or min(cores(), -(-settings.samples // SAMPLES_PER_WORKER))


def out_of_sample(case: Case, results: Results, events: Events) -> dict:
    """The summary's out_of_sample block for the plan of `results` (solved on `case`)."""
    settings = case.study.out_of_sample
    start = time.perf_counter()
    plan = Plan.of(results, case)
    samples = monte_carlo_samples(case, events, settings.samples, settings.seed)
    workers = workers_for(settings)
    frame = evaluate_samples(case, plan, samples, workers)
    alpha = case.study.risk.alpha
    table = summarize(frame, exact=False, level=settings.level, alpha=alpha).set_index("metric")
    z = NormalDist().inv_cdf((1 + settings.level) / 2)
    ok = frame[frame["status"] == "optimal"]
    costs = ok["total_cost_eur"].to_numpy(dtype=float)

    def triple(metric: str) -> list[float]:
        return [float(table.at[metric, k]) for k in ("ci_low", "mean", "ci_high")]

    block = {"samples": settings.samples, "seed": settings.seed,
             "events": str(settings.events) if settings.events else None,
             "level": settings.level, "alpha": alpha,
             "solved": len(ok), "policy_met_share": float(frame["policy_met"].mean()),
             "expected_cost_eur": triple("total_cost_eur"),
             "cvar_eur": cvar_interval(costs, alpha, z),
             "p_shortfall": triple("p_any_shortfall"),
             "in_sample": in_sample(results), "workers": workers,
             "evaluation_s": round(time.perf_counter() - start, 3)}
    low, mean, high = block["expected_cost_eur"]
    log.info("out of sample (%d samples): expected cost %.6g [%.6g, %.6g] in %.1f s",
             len(ok), mean, low, high, block["evaluation_s"])
    return block


def out_of_sample_check(case: Case) -> Callable[[Results], Results]:
    """What a solve of `case` does to its results: add summary["out_of_sample"] when the
    study asks for it and there is a plan. The events file is read now, so that a bad one is
    refused before the solve."""
    if case.study.out_of_sample is None:
        return lambda results: results
    events = load_events(case.study.out_of_sample.events, case)

    def check(results: Results) -> Results:
        if results.ok:
            results.summary["out_of_sample"] = out_of_sample(case, results, events)
        return results

    return check
