"""The cost-risk Pareto frontier by the epsilon-constraint method.

Risk R(x) is either CVaR_α of scenario cost (Rockafellar–Uryasev, α = risk.alpha of the
study) or the expected shortfall Σ_w p_w Σ_{m,y} shortfall[m,y,w] in tonnes (of one
material, or of all). With E(x) the expected cost:

    1. x_E = argmin E(x)                    the cheapest plan; its risk R_max = R(x_E)
    2. x_R = argmin R(x) + ρ'·E(x)          the safest plan;   its risk R_min = R(x_R)
    3. for ε_k = R_min + k/(n−1)·(R_max − R_min), k = 0..n−1:
           x_k = argmin E(x) + ρ·R(x)  subject to  R(x) ≤ ε_k

The small augmentation terms ρ = 10⁻⁶·|E(x_E)|/max(|R_max|, 1) and ρ' = 10⁻¹²/ρ make
every point efficient rather than weakly efficient (AUGMECON): among plans of equal expected cost
the less risky one is taken. As ε_k grows the feasible set grows, so E(x_k) never rises:
the points run from the safest to the cheapest plan. Points run in parallel processes.
"""
from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Callable, Literal

import pandas as pd
import pyomo.environ as pyo

from ..case import Case
from ..errors import InputError, Problem
from ..report.writer import write
from ..run import solve_case
from .metrics import KEY, plan_metrics
from .parallel import allocate, run_all

log = logging.getLogger(__name__)
Risk = Literal["cvar", "shortfall"]
AUGMENT = 1e-6


def risk_expression(model: pyo.ConcreteModel, risk: Risk, material: str | None = None):
    """R(x) in the model: its CVaR, or its expected shortfall [t]."""
    if risk == "cvar":
        return model.cvar
    return sum(model.probability[w] * v for (m, _, w), v in model.shortfall.items()
               if material is None or m == material)


def reshape(model: pyo.ConcreteModel, risk: Risk, material: str | None, cost_weight: float,
            risk_weight: float, bound: float | None) -> None:
    """Objective cost_weight·E + risk_weight·R, and R ≤ bound when given (a `prepare`)."""
    expr = risk_expression(model, risk, material)
    if risk == "shortfall":   # weights are set in EUR; the model counts million EUR
        risk_weight = risk_weight / model.eur_per_objective_unit
    model.total_cost.deactivate()
    model.frontier_objective = pyo.Objective(
        expr=cost_weight * model.expected_cost + risk_weight * expr, sense=pyo.minimize)
    if bound is not None and risk == "cvar":   # the model counts million EUR
        bound = bound / model.eur_per_objective_unit
    if bound is not None:    # a hair of slack, so that an end point's own risk stays feasible
        model.risk_bound = pyo.Constraint(expr=expr <= bound * (1 + 1e-9) + 1e-9)


def risk_value(results, risk: Risk, material: str | None = None) -> float:
    """R of a solved plan, from its output tables."""
    if risk == "cvar":
        return results.summary["cvar_eur"]
    short, probability = results.shortfall, results.summary["probability"]
    if material is not None:
        short = short[short["material"] == material]
    return float((short["shortfall_t"] * short["scenario"].map(probability)).sum())


def _solve(task) -> dict:
    case, point, shape, folder = task
    results = solve_case(case, duals=False, prepare=partial(reshape, **shape))
    row = {"point": point, "bound": shape["bound"],
           "risk": risk_value(results, shape["risk"], shape["material"]) if results.ok else None,
           **plan_metrics(results, case)}
    if folder is not None:
        write(results, folder / point)
        row["folder"] = f"points/{point}"
    return row


def frontier(case: Case, risk: Risk = "cvar", points: int = 5, material: str | None = None,
             workers: int | None = None, folder: Path | None = None,
             progress: Callable[[], None] | None = None) -> pd.DataFrame:
    """`points` efficient plans from the safest to the cheapest (rows ordered by bound)."""
    if risk == "cvar":   # the model has a CVaR only when the study asks for one; weight 0
        measure = case.study.risk.model_copy(update={"measure": "cvar", "weight": 0.0})
        case = case.with_study(case.study.model_copy(update={"risk": measure}))
    if material is not None and material not in case.materials.index:
        raise InputError([Problem("--material", None, None, material, "a material of the study")])
    workers, threads = allocate(points, workers)
    case = case.with_solver(threads=threads)
    shape = {"risk": risk, "material": material}
    cheapest = _solve((case, "cheapest", {**shape, "cost_weight": 1.0, "risk_weight": 0.0,
                                          "bound": None}, None))
    if cheapest["risk"] is None:
        raise RuntimeError(f"the study has no plan ({cheapest['status']})")
    r_max = cheapest["risk"]
    rho = AUGMENT * abs(cheapest["expected_cost_eur"]) / max(abs(r_max), 1.0)
    safest = _solve((case, "safest", {**shape, "cost_weight": AUGMENT ** 2 / rho,
                                      "risk_weight": 1.0, "bound": None}, None))
    if safest["risk"] is None:
        raise RuntimeError(f"no least-risk plan found ({safest['status']})")
    r_min = safest["risk"]
    if points == 1 or r_max - r_min <= 1e-9 * max(abs(r_max), 1.0):
        bounds = [r_max]
    else:
        bounds = [r_min + k / (points - 1) * (r_max - r_min) for k in range(points)]
    log.info("frontier of %s from %.6g to %.6g in %d points", risk, r_min, r_max, len(bounds))
    point_dir = folder / "points" if folder is not None else None
    tasks = [(case, f"k{k:02d}", {**shape, "cost_weight": 1.0, "risk_weight": rho,
                                  "bound": bound}, point_dir)
             for k, bound in enumerate(bounds)]
    frame = pd.DataFrame(run_all(_solve, tasks, workers, progress))
    extra = ["folder"] if folder is not None else []
    metrics = [k for k in KEY if k != "objective_eur"]   # the augmented objective says little
    return frame[["point", "bound", "risk", *metrics, *extra]].rename(
        columns={"risk": f"risk_{risk}" + (f"[{material}]" if material else "")})
