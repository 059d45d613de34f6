"""The value of the stochastic solution (VSS) and the expected value of perfect information.

With F(x, w) the total cost (first stage + second stage, present value) of plan x in scenario
w, and ρ the study's objective over the scenario distribution, ρ(C) = E[C] (risk measure
expected) or E[C] + λ·CVaR_α[C] (cvar, weight λ):

    RP   = min_x ρ(F(x, ·))                    the stochastic plan x*: the study's optimum
    EV   = min_x F(x, ξ̄)                       the plan x̄ for the mean scenario ξ̄ alone
    EEV  = ρ(F(x̄, ·))                          x̄ held, evaluated on every scenario
    WS   = ρ(min_x F(x, w) over w)             wait and see: each scenario solved alone
    VSS  = EEV − RP ≥ 0                        what planning for uncertainty saves
    EVPI = RP − WS ≥ 0                         what knowing the future in advance would save

VSS ≥ 0 because x̄ is one of the plans RP minimises over; EVPI ≥ 0 because in every scenario
min_x F(x, w) ≤ F(x*, w) and ρ is monotone. With a MIP gap g each solve is within g of its
optimum, so either may come out negative by up to about g·RP.
"""
from __future__ import annotations

import logging
from typing import Callable

import pandas as pd

from .. import results as R
from ..case import Case
from ..plan import Plan
from ..results import Results
from ..run import solve_case
from ..scenarios import (case_scenario, expected_cost_study, expected_value_case,
                         with_scenarios)
from .held import HeldModel
from .parallel import cores, solve_many

log = logging.getLogger(__name__)


def risk_adjusted(totals: pd.Series, probability: dict, case: Case) -> float:
    """ρ of a distribution of scenario totals under the study's risk measure."""
    risk = case.study.risk
    expected = float(sum(probability[w] * c for w, c in totals.items()))
    if risk.weighs_cvar:
        return expected + risk.weight * R.cvar(totals, probability, risk.alpha)
    return expected


def _solve(task: tuple[Case]) -> Results:
    return solve_case(task[0], duals=False)


def stochastic_value(case: Case, workers: int | None = None,
                     progress: Callable[[], None] | None = None) -> pd.DataFrame:
    """RP, EV, EEV, WS, VSS and EVPI of a study (rows: quantity, eur, status)."""
    alone = expected_cost_study(case)
    singles = [with_scenarios(alone, {w: (1.0, case_scenario(case, w))})
               for w in case.scenario_ids]
    tasks = [case, expected_value_case(alone), *singles]
    rp, ev, *ws = solve_many(_solve, [(t,) for t in tasks], workers, progress)
    probability = case.probability
    rows = [("RP", _rho(rp, case), rp.status, "the stochastic plan: the study's optimum"),
            ("EV", ev.summary["objective_eur"], ev.status, "the plan for the mean scenario, "
             "on the mean scenario")]
    eev, eev_status = float("nan"), ev.status
    if ev.ok:
        held = HeldModel(case, Plan.of(ev, tasks[1]), threads=cores())
        evaluation = held.solve()
        eev_status = evaluation.status if evaluation.policy_met else "policy not met"
        if evaluation.ok:
            costs = held.results(evaluation).costs
            eev = risk_adjusted(R.scenario_totals(costs), probability, case)
    rows.append(("EEV", eev, eev_status, "the mean-scenario plan held, on every scenario"))
    totals = pd.Series({w: r.summary["objective_eur"] for w, r in zip(case.scenario_ids, ws)})
    ws_ok = all(r.ok for r in ws)
    ws_value = risk_adjusted(totals, probability, case) if ws_ok else float("nan")
    rows.append(("WS", ws_value, "optimal" if ws_ok else "incomplete",
                 "each scenario solved alone, then weighted"))
    rows += [(f"WS[{w}]", r.summary["objective_eur"], r.status, f"scenario {w} solved alone")
             for w, r in zip(case.scenario_ids, ws)]
    rp_value = rows[0][1]
    rows += [("VSS", eev - rp_value, "", "EEV − RP: what planning for uncertainty saves"),
             ("EVPI", rp_value - ws_value, "", "RP − WS: what perfect foresight would save")]
    log.info("VSS %.6g, EVPI %.6g", eev - rp_value, rp_value - ws_value)
    return pd.DataFrame(rows, columns=["quantity", "eur", "status", "meaning"])


def _rho(results: Results, case: Case) -> float:
    if not results.ok:
        return float("nan")
    return risk_adjusted(R.scenario_totals(results.costs), results.summary["probability"], case)
