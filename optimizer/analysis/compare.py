"""Strategies side by side: each solved on the same data, every plan evaluated alike.

1. Each strategy is solved as its own MIP: the study's data under the strategy's policy and
   risk, with its levers bounding the first stage, for the scenarios it plans for (all, the
   expected-value scenario, or a subset). Solves run in parallel processes.
2. Every plan x_k is then held and evaluated on the study's scenario set, operated under its
   strategy's own rules (the second-stage policy rows: country cap, EU shares, shortfall
   cap), with the study's α for CVaR. Plans under the same rules share one kept LP, swapped
   by bounds:

       E[cost](x_k) = first_stage_cost(x_k) + Σ_w p_w Q(x_k, ξ_w),   CVaR_α of the totals.

   A plan that cannot meet its policy in some scenario (one planned for the mean or for a
   subset of scenarios) is evaluated without the policy rows and flagged policy_met False.

The study's own optimum (strategy `optimal`) minimises the study's objective; when that is
expected cost, no strategy that only restricts the study (levers, a tighter policy, fewer
scenarios planned for) evaluates below it.
Shadow prices are the strategy's own: Σ over a policy key's rows of shadow_price_pv, the rise
in the objective were every row of that key tightened by one unit (duals.csv).
"""
from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from ..case import Case
from ..errors import InputError, Problem
from ..plan import Plan
from ..report.writer import write
from ..run import solve_case
from ..scenarios import expected_value_case, subset_case
from ..study import Study
from .held import HeldModel
from .metrics import material_metrics, plan_metrics
from .parallel import cores, solve_many
from .strategy import OPTIMAL, Strategy, apply_levers, check_levers

log = logging.getLogger(__name__)


def planning_case(case: Case, strategy: Strategy) -> Case:
    """The case a strategy's plan is optimised on."""
    planned = case.with_study(strategy.study(case.study))
    if strategy.plan_for == "mean":
        return expected_value_case(planned)
    if strategy.plan_for != "scenarios":
        return subset_case(planned, list(strategy.plan_for))
    return planned


def operating_study(case: Case, strategy: Strategy) -> Study:
    """The rules a strategy's plan is evaluated under: its own policy and shortfall cap, the
    study's risk measure and α (so that CVaRs compare)."""
    own = strategy.study(case.study)
    risk = case.study.risk.model_copy(update={"max_shortfall_share":
                                              own.risk.max_shortfall_share})
    return case.study.model_copy(update={"policy": own.policy, "risk": risk})


def _solve_strategy(task: tuple[Case, Strategy, Path | None]) -> dict:
    case, strategy, folder = task
    planned = planning_case(case, strategy)
    results = solve_case(planned, prepare=partial(apply_levers, case=planned,
                                                  levers=strategy.levers))
    if folder is not None:
        write(results, folder / strategy.name)
    duals = results.duals.groupby("policy")["shadow_price_pv"].sum()
    return {"strategy": strategy.name, "description": strategy.description,
            "solve_status": results.status, "own_objective_eur": results.summary["objective_eur"],
            **{f"shadow_price_pv[{k}]": float(v) for k, v in duals.items()},
            "plan": Plan.of(results, planned) if results.ok else None}


def compare(case: Case, strategies: Sequence[Strategy] = (), workers: int | None = None,
            folder: Path | None = None, progress: Callable[[], None] | None = None
            ) -> pd.DataFrame:
    """One row per strategy (the study's optimum first); plans written to folder/strategies."""
    strategies = [OPTIMAL, *[s for s in strategies if s.name != OPTIMAL.name]]
    names = [s.name for s in strategies]
    if len(set(names)) < len(names):
        raise InputError([Problem("strategies", None, "name", names,
                                  "strategies of different names")])
    for strategy in strategies:     # bad policy keys or forces fail here, before any solve
        check_levers(strategy.levers, case.with_study(strategy.study(case.study)), strategy.name)
    plans_dir = folder / "strategies" if folder is not None else None
    solved = solve_many(_solve_strategy, [(case, s, plans_dir) for s in strategies], workers,
                        progress)
    held: dict[str, HeldModel] = {}
    rows = []
    for strategy, row in zip(strategies, solved):
        plan = row.pop("plan")
        if plan is None:
            rows.append({**row, "status": "no plan"})
            continue
        rules = operating_study(case, strategy)
        key = rules.model_dump_json(include={"policy", "risk"})
        if key not in held:
            held[key] = HeldModel(case.with_study(rules), plan, threads=cores())
        model = held[key]
        model.hold(plan)
        evaluated = model.results(model.solve())
        rows.append({**row, **plan_metrics(evaluated, model.case),
                     "policy_met": evaluated.summary["policy_met"],
                     **material_metrics(evaluated, model.case)})
        log.info("strategy %s: expected cost %s", row["strategy"],
                 evaluated.summary.get("expected_cost_eur"))
    frame = pd.DataFrame(rows)
    prices = [c for c in frame.columns if c.startswith("shadow_price_pv[")]
    return frame[[c for c in frame.columns if c not in prices] + prices]
