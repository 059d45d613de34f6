"""A plan's results over many scenarios, from extensive forms of a few scenarios at a time.

With the plan fixed the scenarios no longer share a variable, so the extensive form of the
plan splits into independent chunks. Above `driver.SCENARIOS_PER_MODEL` scenarios (100: an
extensive form that fits comfortably in memory) they are solved that many at a time, each
chunk the study over those scenarios (probabilities renormalised), and the tables merged:

- per-scenario tables (flows, shortfall, the scenario rows of costs) are concatenated;
  builds, contracts and the first-stage rows of costs are the plan's, the same in every chunk;
- stockpile's days of cover take the smallest over the chunks (the peak consumption over
  all scenarios);
- kpis, expected cost, CVaR and the objective are recomputed over all scenarios with their
  own probabilities: objective = E[cost] (+ weight·CVaR_α when the study weighs CVaR; with
  the plan fixed, every scenario's cheapest second stage is also the one that minimises the
  CVaR term, so each chunk is solved for expected cost);
- duals: a chunk's shadow_price (per unit in that year, were that scenario to happen) is the
  study's, and its shadow_price_pv is scaled by the chunk's probability; in a study weighing
  CVaR both are then scaled by 1 + weight·t_w/(p_w(1 − α)), t_w the probability scenario w
  puts in the tail: a tonne more in a tail scenario costs in both terms of the objective.
"""
from __future__ import annotations

from typing import Callable

import pandas as pd

from .. import kpis
from .. import results as R
from ..case import Case
from ..materials import materials
from ..results import Results
from ..run import solve_case
from ..scenarios import expected_cost_study, subset_case
from .driver import SCENARIOS_PER_MODEL

TIMINGS = ("build_s", "transfer_s", "solve_s", "extract_s", "total_s")
PER_SCENARIO = ("flows", "shortfall")


def solve_fixed(case: Case, prepare: Callable, duals: bool = True,
                chunk: int = SCENARIOS_PER_MODEL) -> Results:
    """The results of the plan `prepare` fixes, over every scenario of `case`."""
    ids = case.scenario_ids
    if len(ids) <= chunk:
        return solve_case(case, duals=duals, prepare=prepare)
    parts = []
    for start in range(0, len(ids), chunk):
        part = subset_case(expected_cost_study(case), ids[start:start + chunk])
        results = solve_case(part, duals=duals, prepare=prepare)
        if not results.ok:
            return results
        parts.append((sum(case.probability[w] for w in part.scenario_ids), results))
    return _merge(case, parts)


def _merge(case: Case, parts: list[tuple[float, Results]]) -> Results:
    first = parts[0][1]
    tables = {name: first.tables[name] for name in ("builds", "contracts")}
    for name in PER_SCENARIO:
        tables[name] = pd.concat([r.tables[name] for _, r in parts], ignore_index=True)
    costs = [first.tables["costs"]]
    costs += [r.tables["costs"].query("scenario != '*'") for _, r in parts[1:]]
    tables["costs"] = pd.concat(costs, ignore_index=True)
    stock = pd.concat([r.tables["stockpile"] for _, r in parts])
    tables["stockpile"] = stock.groupby("material", sort=False, as_index=False).agg(
        {c: "first" if c != "days_of_demand" else "min" for c in stock.columns
         if c != "material"})[list(stock.columns)]
    tables["kpis"] = kpis.kpis(case, tables["flows"])
    tables["materials"] = materials(case, tables)    # costs come split by material per chunk
    probability, risk = case.probability, case.study.risk
    measures = R.cost_measures(tables["costs"], probability, risk.alpha)
    if "duals" in first.tables:
        tail = R.tail_mass(R.scenario_totals(tables["costs"]), probability, risk.alpha) \
            if risk.weighs_cvar else {}
        factor = {w: 1.0 + risk.weight * t / (probability[w] * (1.0 - risk.alpha))
                  for w, t in tail.items()}
        tables["duals"] = pd.concat([_scaled_duals(r.tables["duals"], mass, i == 0, factor)
                                     for i, (mass, r) in enumerate(parts)], ignore_index=True)
    summary = dict(first.summary, **measures, nodes=None,
                   objective_eur=R.held_objective(measures, risk),
                   probability=probability, risk=risk.model_dump(), evaluated_in_chunks=len(parts),
                   **{t: round(sum(r.summary.get(t) or 0.0 for _, r in parts), 3)
                      for t in TIMINGS})
    return Results(summary, tables, "\n".join(r.solver_log for _, r in parts))


def _scaled_duals(duals: pd.DataFrame, mass: float, keep_first_stage: bool,
                  factor: dict[str, float]) -> pd.DataFrame:
    first_stage = duals["scenario"].isin(["*", ""])
    out = duals[~first_stage | keep_first_stage].copy()
    second = ~out["scenario"].isin(["*", ""])
    out.loc[second, "shadow_price_pv"] *= mass
    tail = out.loc[second, "scenario"].map(factor).fillna(1.0)
    out.loc[second, ["shadow_price", "shadow_price_pv"]] = \
        out.loc[second, ["shadow_price", "shadow_price_pv"]].mul(tail, axis=0)
    return out
