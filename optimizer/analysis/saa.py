"""Sample average approximation: a plan chosen on sampled scenarios, with confidence bounds
on its optimality gap and on the optimal expected cost (the multiple-replication procedure of
Mak, Morton and Wood, 1999).

With f(x) = E_ξ[cost(x, ξ)], v* = min_x f(x), and f_N(x; ξ) = (1/N) Σ_i cost(x, ξ_i) on a
sample ξ = (ξ_1..ξ_N) of the event model (disruptions.py):

1. Candidate. x̂ solves the SAA problem on its own sample of N_0 scenarios (seed S), which
   estimates none of the bounds below.
2. Gap. For each of R replications r (seeds S+1..S+R) with its own sample ξ^r of N,

       G_r = f_N(x̂; ξ^r) − v_N^r,     v_N^r = min_x f_N(x; ξ^r)  (the MIP's dual bound),

   both on the same sample. E[G_r] ≥ f(x̂) − v* since E[v_N] ≤ v*: the one-sided upper bound

       gap ≤ Ḡ + t_{R−1, level} · s_G / √R              (Student t on R − 1 degrees of freedom)

   bounds the optimality gap of x̂ at the stated level. The dual bound instead of the
   incumbent makes G_r larger when the MIP stops at a gap: the bound stays conservative.
3. Cost. On an independent sample of N' (seed S+R+1), held at x̂ (LP re-solves on a kept
   model, stress.run_samples), the mean Ū estimates f(x̂) ≥ v*:

       upper = Ū + z_level · s_U / √N'                    (one-sided, level)
       lower = v̄_N − t_{R−1, level} · s_v / √R            (one-sided, level; E[v_N] ≤ v*)

   so that v* ∈ [lower, upper] with probability at least 2·level − 1 (90% for 95%).

Sampling (the study key `sample`'s options): `stratified` draws every SAA sample by Latin
hypercube on the event starts (events.draw_paths); each path is still distributed as the
model says, so E[f_N(x)] = f(x) for every x, E[v_N] ≤ v* and the bounds above hold, with less
variance and less bias of v_N than independent paths (Freimer, Linderoth and Thomas, 2012).
`draw` (M > N) reduces only the candidate's sample: M paths kept to N by fast forward
selection with summed probabilities (optimizer/reduction.py). A reduced sample is not an
unbiased one, so the replications are never reduced: the gap bound stays a bound, on a
candidate that may be better.

A planner trades accuracy for time through N, R and N'. The estimate is of expected cost: a
study weighing CVaR is planned risk-neutrally here.
"""
from __future__ import annotations

import logging
import math
import time

import numpy as np
import pandas as pd
from scipy import stats

from ..case import Case
from ..plan import Plan
from ..reduction import forward_selection, scenario_features
from ..run import solve_case
from ..scenarios import expected_cost_study, with_scenarios
from .disruptions import Events
from .parallel import allocate, run_all
from .stress import Sample, evaluate_samples, monte_carlo_samples

log = logging.getLogger(__name__)


def drawn_samples(case: Case, events: Events, n: int, seed: int, stratified: bool = False,
                  draw: int | None = None) -> list[Sample]:
    """`n` samples, or `draw` samples reduced to `n` by fast forward selection with their
    summed weights (optimizer/reduction.py)."""
    if draw is None or draw == n:
        return monte_carlo_samples(case, events, n, seed, stratified)
    drawn = monte_carlo_samples(case, events, draw, seed, stratified)
    features = scenario_features(with_scenarios(case, {w: (p, d) for w, p, d in drawn}))
    kept = forward_selection(features, pd.Series({w: p for w, p, _ in drawn}), n)
    data = {w: d for w, _, d in drawn}
    return [(w, float(p), data[w]) for w, p in kept.items()]


def _solve_sample(job) -> tuple[float, float, dict | None, float]:
    """(SAA objective, its dual bound, the plan when asked, solve seconds) on one seeded
    sample, drawn as `sampler` says (drawn_samples' keywords)."""
    case, events, n, seed, threads, want_plan, sampler = job
    sampled = with_scenarios(case, {name: (weight, data) for name, weight, data in
                                    drawn_samples(case, events, n, seed, **sampler)})
    start = time.perf_counter()
    results = solve_case(sampled.with_solver(threads=threads), duals=False)
    elapsed = time.perf_counter() - start
    if not results.ok:
        raise RuntimeError(f"SAA problem with seed {seed}: {results.status}")
    value = results.summary["objective_eur"]
    bound = value - (results.summary["mip_gap"] or 0.0) * abs(value)
    return value, bound, Plan.of(results, sampled) if want_plan else None, elapsed


def _mean_costs(frame: pd.DataFrame) -> float:
    if not (frame["status"] == "optimal").all():
        raise RuntimeError("the candidate plan has no second stage in some sample")
    return float(frame["total_cost_eur"].mean())


def saa(case: Case, events: Events | None = None, n: int = 20, replications: int = 10,
        evaluation: int = 500, seed: int = 1, level: float = 0.95, workers: int | None = None,
        candidate_samples: int | None = None, stratified: bool = False,
        draw: int | None = None) -> tuple[pd.DataFrame, dict]:
    """(one row per replication, the bounds): see the module's docstring for the procedure.
    `stratified` draws every SAA sample by Latin hypercube on the starts; `draw` reduces the
    candidate's sample from `draw` paths (the replications are never reduced, so that
    E[v_N] ≤ v* and the gap bound stay valid)."""
    if replications < 2:
        raise ValueError("the gap's confidence bound needs at least 2 replications")
    events = events or Events()
    case = expected_cost_study(case)
    seeds = [seed + r for r in range(1, replications + 1)]
    procs, threads = allocate(replications + 1, workers)
    plain = {"stratified": stratified}
    jobs = [(case, events, candidate_samples or n, seed, threads, True, plain | {"draw": draw})] \
        + [(case, events, n, s, threads, False, plain) for s in seeds]
    solved = run_all(_solve_sample, jobs, procs)
    plan = solved[0][2]
    samples = {s: monte_carlo_samples(case, events, n, s, stratified) for s in seeds}
    held = monte_carlo_samples(case, events, evaluation, seed + replications + 1)
    everything = [sample for s in seeds for sample in samples[s]] + held
    costs = evaluate_samples(case, plan, everything, procs)
    rows = []
    for r, s in enumerate(seeds):
        value, bound, _, _ = solved[r + 1]
        at_candidate = _mean_costs(costs.iloc[r * n:(r + 1) * n])
        rows.append({"replication": r + 1, "seed": s, "saa_objective_eur": value,
                     "saa_bound_eur": bound, "candidate_cost_eur": at_candidate,
                     "gap_eur": at_candidate - bound})
    frame = pd.DataFrame(rows)
    evaluated = costs.iloc[replications * n:]
    _mean_costs(evaluated)
    bounds = _bounds(frame, evaluated["total_cost_eur"].to_numpy(dtype=float), level)
    bounds.update(samples=n, candidate_samples=candidate_samples or n,
                  replications=replications, evaluation_samples=evaluation, seed=seed,
                  candidate_saa_objective_eur=solved[0][0], stratified=stratified, draw=draw,
                  candidate_solve_s=round(solved[0][3], 3))
    log.info("SAA: %.6g <= v* <= %.6g; gap of the candidate <= %.6g (%.2f%%)",
             bounds["lower_bound_eur"], bounds["upper_bound_eur"], bounds["gap_bound_eur"],
             100 * bounds["gap_share"])
    return frame, bounds


def _bounds(frame: pd.DataFrame, evaluated: np.ndarray, level: float) -> dict:
    """The one-sided bounds of the module's docstring from the replications and the
    candidate's costs on the evaluation sample."""
    r = len(frame)
    t = float(stats.t.ppf(level, r - 1))
    z = float(stats.norm.ppf(level))
    gaps = frame["gap_eur"].to_numpy(dtype=float)
    values = frame["saa_bound_eur"].to_numpy(dtype=float)
    gap_bound = float(gaps.mean() + t * gaps.std(ddof=1) / math.sqrt(r))
    mean = float(evaluated.mean())
    upper = mean + z * float(evaluated.std(ddof=1)) / math.sqrt(len(evaluated))
    lower = float(values.mean() - t * values.std(ddof=1) / math.sqrt(r))
    half = float(stats.norm.ppf((1 + level) / 2)) * float(evaluated.std(ddof=1)) / \
        math.sqrt(len(evaluated))
    return {"level": level, "t_quantile": t, "gap_mean_eur": float(gaps.mean()),
            "candidate_cost_half_width_eur": half,
            "gap_bound_eur": gap_bound, "gap_share": gap_bound / abs(upper),
            "candidate_cost_eur": mean, "upper_bound_eur": upper, "lower_bound_eur": lower,
            "interval_level": round(2 * level - 1, 9)}
