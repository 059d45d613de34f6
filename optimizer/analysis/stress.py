"""Stress test: a plan's first stage held, its second stage solved in each of N samples.

One one-scenario model is built with mutable scenario data and the plan held; each sample
only changes its demand, availability and price Params (and which country-cap rows apply),
which held_lp.KeptLP pushes to HiGHS, and HiGHS re-solves the LP from the last basis. Per
sample i, with weight q_i (1/N for Monte Carlo samples, the probability for the study's own
scenarios):

    cost_i       = first_stage_cost(x) + Q(x, ξ_i)       [EUR, present value]
    shortfall_i  = Σ_{m,y} shortfall[m,y]                [t], and per material

Summary of each metric X over the samples: the weighted mean X̄ = Σ q_i X_i, quantiles, the
maximum and CVaR_α. For Monte Carlo samples the mean has the normal confidence interval

    X̄ ± z·s/√N,   s² = Σ (X_i − X̄)² / (N − 1),   z = Φ⁻¹((1 + level)/2),

and a probability P (of any shortfall, of a policy breach) the Wilson interval

    (P̂ + z²/2N ± z·√(P̂(1 − P̂)/N + z²/4N²)) / (1 + z²/N).

A lower bound below zero of a metric that cannot be negative is shown as zero.

The study's own scenarios are the exact distribution, not a sample: their interval is the
mean itself. Replaying them reproduces the plan's in-sample expected cost.
"""
from __future__ import annotations

import logging
import math
from statistics import NormalDist
from typing import Callable

import numpy as np
import pandas as pd

from .. import results as R
from ..case import Case
from ..plan import Plan
from ..scenarios import ScenarioData, case_scenario, with_scenarios
from .disruptions import Events, calm, sample
from .held import HeldModel
from .held_lp import KeptLP
from .parallel import allocate, cores, run_all

log = logging.getLogger(__name__)
Sample = tuple[str, float, ScenarioData]


def training_samples(case: Case) -> list[Sample]:
    """The study's own scenarios, with their probabilities."""
    return [(w, case.probability[w], case_scenario(case, w)) for w in case.scenario_ids]


def monte_carlo_samples(case: Case, events: Events, n: int, seed: int,
                        stratified: bool = False) -> list[Sample]:
    """`n` samples of the disruption rules, each of weight 1/n."""
    return [(f"s{i:05d}", 1.0 / n, data)
            for i, data in enumerate(sample(case, events, n, seed, stratified), 1)]


def run_samples(case: Case, plan: Plan, samples: list[Sample], threads: int = 1,
                progress: Callable[[], None] | None = None) -> pd.DataFrame:
    """One row per sample: status, policy_met, total cost, shortfall (total, per material)."""
    template = with_scenarios(case, {"sample": (1.0, calm(case))})
    held = HeldModel(template, plan, mutable=True, threads=threads)
    lp = KeptLP(held)
    shortfall = list(held.model.shortfall.items())
    variables = [v for _, v in shortfall]
    materials = sorted({m for (m, _, _), _ in shortfall})
    rows = []
    spares = held.spare_shares([data for _, _, data in samples])
    for (name, weight, data), spare in zip(samples, spares):
        lp.set_scenario(data, spare)
        evaluation = lp.solve()
        row = {"sample": name, "weight": weight, "status": evaluation.status,
               "policy_met": evaluation.policy_met, "total_cost_eur": evaluation.objective}
        if evaluation.ok:
            by_material = dict.fromkeys(materials, 0.0)
            worst = dict.fromkeys(materials, 0.0)
            for ((m, y, _), _), t in zip(shortfall, lp.values(variables)):
                by_material[m] += t
                demand = data.demand[m, y]
                worst[m] = max(worst[m], t / demand if demand > 0 else 0.0)
            row["shortfall_t"] = sum(by_material.values())
            row.update({f"shortfall_t[{m}]": by_material[m] for m in materials})
            row.update({f"worst_shortfall_share[{m}]": worst[m] for m in materials})
        rows.append(row)
        if progress:
            progress()
    return pd.DataFrame(rows)


def _chunk(job) -> pd.DataFrame:
    case, plan, samples, threads = job
    return run_samples(case, plan, samples, threads)


def evaluate_samples(case: Case, plan: Plan, samples: list[Sample], workers: int = 1
                     ) -> pd.DataFrame:
    """run_samples split over `workers` processes, each with its own kept model; rows in the
    order of `samples`."""
    workers, threads = allocate(len(samples), workers)
    if workers <= 1:
        return run_samples(case, plan, samples, threads)
    size = -(-len(samples) // workers)
    jobs = [(case, plan, samples[i:i + size], threads) for i in range(0, len(samples), size)]
    return pd.concat(run_all(_chunk, jobs, len(jobs)), ignore_index=True)


def stress(case: Case, plan: Plan, n: int = 200, seed: int = 1, events: Events | None = None,
           training: bool = False, level: float = 0.95, threads: int | None = None,
           progress: Callable[[], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per sample, the summary): `n` Monte Carlo samples, or the study's own
    scenarios when `training`."""
    samples = training_samples(case) if training else \
        monte_carlo_samples(case, events or Events(), n, seed)
    frame = run_samples(case, plan, samples, threads or cores(), progress)
    return frame, summarize(frame, exact=training, level=level, alpha=case.study.risk.alpha)


def _quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][min(np.searchsorted(cumulative, q - 1e-12), len(values) - 1)])


def summarize(samples: pd.DataFrame, exact: bool, level: float = 0.95,
              alpha: float = 0.95) -> pd.DataFrame:
    """Mean with its confidence interval, quantiles, max and CVaR_alpha of every metric."""
    ok = samples[samples["status"] == "optimal"]
    if ok.empty:
        return pd.DataFrame(columns=["metric", "mean", "ci_low", "ci_high"])
    z = NormalDist().inv_cdf((1 + level) / 2)
    weights = ok["weight"].to_numpy(dtype=float)
    probability = dict(zip(ok["sample"], weights / weights.sum()))
    n = len(ok)
    rows = []
    metrics = [c for c in ok.columns if c == "total_cost_eur" or c.startswith(("shortfall_t",
               "worst_shortfall_share"))]
    for metric in metrics:
        x = ok[metric].to_numpy(dtype=float)
        mean = float(np.average(x, weights=weights))
        half = 0.0 if exact or n < 2 else z * float(np.std(x, ddof=1)) / math.sqrt(n)
        low = max(mean - half, 0.0) if x.min() >= 0 else mean - half   # no negative tonnes
        rows.append({"metric": metric, "mean": mean, "ci_low": low, "ci_high": mean + half,
                     "p05": _quantile(x, weights, 0.05), "p50": _quantile(x, weights, 0.5),
                     "p95": _quantile(x, weights, 0.95), "max": float(x.max()),
                     f"cvar_{alpha:g}": R.cvar(pd.Series(x, index=ok["sample"]), probability,
                                               alpha)})
    events = {"p_any_shortfall": ok["shortfall_t"] > 1e-6,
              "p_policy_breach": ~samples["policy_met"].astype(bool)}
    for metric, hit in events.items():
        w = samples.loc[hit.index, "weight"].to_numpy(dtype=float)
        p = float((w * hit.to_numpy()).sum() / w.sum())
        low, high = (p, p) if exact else _wilson(p, len(hit), z)
        rows.append({"metric": metric, "mean": p, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def _wilson(p: float, n: int, z: float) -> tuple[float, float]:
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)
