"""The solve layer of near-optimal ranges: the extremes of key decisions within a cost budget.

`solve_reference` solves the study once: its plan (every variable's value), its cost, its
key decisions (formulation.decisions, shares of this plan's consumption) and their values.
`extremes` then, in one model handed to HiGHS once, adds the near-optimality row

    objective(x) ≤ objective* + slack·|objective*|      (in the model's money: million EUR)

and for each (decision, sense) swaps the objective for the decision's expression, minimised
or maximised, each run started from the reference plan (a MIP start, which the row keeps
feasible). Integers stay integers: every extreme is a MIP, solved to a relative `gap`
within a time limit; the best plan found and the proven bound are both returned. Two LPs
come first, each by primal simplex from a basis of the study's own objective: the LP with
the units held at the chosen plan (its optimum is a plan within slack, which HiGHS' own
heuristics may take long to find: a stock thousands of tonnes larger, say) and the LP
relaxation (its optimum bounds the MIP's). Where the two agree within `gap` the extreme is
proven without the MIP; otherwise the MIP runs from the held LP's plan.

objective* is the reference solve's incumbent, within its own MIP gap of the optimum, so the
plans counted are those within slack of that plan's cost: every plan within slack of the
true optimum among them.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn import generate_standard_repn

from .case import Case
from .formulation import build_model
from . import results
from .formulation.decisions import Decision, decision_expression, key_decisions
from .highs import MS, STATUS, to_highs
from .solve import SOLVED, solve_model

log = logging.getLogger(__name__)
SENSES = {"min": highspy.ObjSense.kMinimize, "max": highspy.ObjSense.kMaximize}
DUAL_SIMPLEX, PRIMAL_SIMPLEX = 1, 4     # HiGHS option simplex_strategy (1: its default)


@dataclass
class Reference:
    """The study solved once: status, cost [EUR], gap, plan and chosen decision values."""

    status: str
    objective_eur: float | None
    mip_gap: float | None
    values: np.ndarray          # every variable's value, in the model's variable order
    decisions: list[Decision]   # the key decisions, their shares scaled by this plan
    chosen: list[float]         # per decision, expression / divisor


def _variables(model: pyo.ConcreteModel) -> list:
    return list(model.component_data_objects(pyo.Var, descend_into=True))


def expected_consumption(case: Case, model: pyo.ConcreteModel) -> dict[str, float]:
    """Σ_w p_w Σ_y consumption[m,y,w] of the plan loaded in `model`, per material [t]."""
    by_scenario = results.consumption(case, results.flows(case, model))
    weight = by_scenario.index.get_level_values("scenario").map(dict(model.probability.items()))
    return (by_scenario * weight).groupby(level="material").sum().to_dict()


def solve_reference(case: Case) -> Reference:
    """Solve the study as it is; return its plan, its key decisions and their values."""
    model = build_model(case)
    outcome = solve_model(model, case.study.solver)
    if not outcome.has_plan:
        return Reference(outcome.status, None, None, np.zeros(0), [], [])
    values = np.array([v.value or 0.0 for v in _variables(model)])
    decisions = key_decisions(case, expected_consumption(case, model))
    chosen = [pyo.value(decision_expression(model, case, d)) / d.divisor for d in decisions]
    return Reference(outcome.status, outcome.objective, outcome.mip_gap, values, decisions,
                     chosen)


def decision_costs(expr, position: dict[int, int], columns: int, sense: str):
    """(cost vector, constant): `expr` over HiGHS' columns. A variable in no row and not in
    the objective never reached HiGHS; it is free within its bounds, so it adds the bound
    that favours `sense`."""
    repn = generate_standard_repn(expr, compute_values=True)
    costs, constant = np.zeros(columns), float(repn.constant)
    for var, coef in zip(repn.linear_vars, repn.linear_coefs):
        j = position.get(id(var))
        if j is not None:
            costs[j] += coef
            continue
        upward = (coef > 0) == (sense == "max")
        bound = var.ub if upward else var.lb
        if bound is None:
            raise ValueError(f"{var.name} is unbounded and in no row: its range is unbounded")
        constant += coef * bound
    return costs, constant


def loaded_model(case: Case, reference: Reference) -> pyo.ConcreteModel:
    """The study's model with the reference plan loaded in its variables."""
    model = build_model(case)
    for var, x in zip(_variables(model), reference.values):
        var.set_value(x, skip_validation=True)
    return model


def extremes(case: Case, reference: Reference, slack: float, jobs: list[tuple[Decision, str]],
             gap: float, time_limit_s: float, integers: str = "mip", built: tuple | None = None
             ) -> list[tuple[float, float, str]]:
    """[(value, bound, status)] of each (decision, 'min'|'max') over the plans within `slack`.

    value is expression / divisor in the best plan found (NaN without one), a value some plan
    within slack takes; bound is the solver's proof: no such plan goes beyond it. status is
    that of the MIP: optimal (value within `gap` of bound), feasible (time limit). Solver
    threads and seed come from the case's study. With `integers` "relaxed" or "held" every
    extreme is one LP instead (INTEGERS), value and bound its optimum. `built`: (the loaded
    model, its standard form) when the caller has them already.
    """
    model, form = built or (loaded_model(case, reference), None)
    handover = to_highs(model, form)
    h, columns = handover.highs, handover.columns
    lp = h.getLp()
    cost = np.asarray(lp.col_cost_)
    budget = (reference.objective_eur + slack * abs(reference.objective_eur)) \
        / model.eur_per_objective_unit - lp.offset_
    used = np.flatnonzero(cost)
    h.addRow(-highspy.kHighsInf, budget, len(used), used.astype(np.int32), cost[used])
    start = np.array([round(v.value or 0.0) if v.is_integer() else (v.value or 0.0)
                      for v in columns])
    position = {id(v): j for j, v in enumerate(columns)}
    objectives = [(decision_costs(decision_expression(model, case, d), position, len(columns),
                              sense), d, sense) for d, sense in jobs]
    return extremes_in(h, [v.is_integer() for v in columns], start, objectives,
                       case.study.solver, gap, time_limit_s, integers)


def extremes_in(h: highspy.Highs, integer: list[bool], start: np.ndarray, objectives: list,
                settings, gap: float, time_limit_s: float, integers: str
                ) -> list[tuple[float, float, str]]:
    """extremes' answer for `objectives` [((costs, constant), decision, sense)] over the
    model `h` holds, its budget row already added; `start` the reference plan."""
    for key, value in {"threads": int(settings.threads), "mip_rel_gap": float(gap),
                       "random_seed": int(settings.seed)}.items():
        h.setOptionValue(key, value)
    h.changeObjectiveOffset(0.0)
    if integers != "mip":
        forms = Forms(h, integer, start, float(time_limit_s), bases=())
        forms.set(integers)
        _run(h, float(time_limit_s))     # the study's own objective: a basis to start from
        return _lp_extremes(h, h.getModelStatus() == MS.kOptimal, objectives,
                            float(time_limit_s))
    forms = Forms(h, integer, start, float(time_limit_s))
    everything = np.arange(h.getNumCol(), dtype=np.int32)
    found = []
    for (costs, constant), decision, sense in objectives:
        h.changeColsCost(len(everything), everything, costs)
        h.changeObjectiveSense(SENSES[sense])
        value, bound, status = forms.extreme(sense, costs, gap)
        if status != "optimal":
            log.warning("%s %s: %s, %g found, bound %g", sense, decision.label, status,
                        (value + constant) / decision.divisor,
                        (bound + constant) / decision.divisor)
        found.append(((value + constant) / decision.divisor,
                      (bound + constant) / decision.divisor, status))
    return found


def _lp_extremes(h: highspy.Highs, ready: bool, objectives: list, seconds: float
                 ) -> list[tuple[float, float, str]]:
    """Each objective's optimum in the LP form `h` holds, each run by primal simplex from the
    optimal basis of the study's own objective (a new cost vector leaves it primal feasible).
    Not from the last extreme's: on the EU default the max of NdFeB magnets' stock ran past
    60 s from its min's basis, and took 17 s from the study's (benchmarks/RESULTS.md)."""
    everything = np.arange(h.getNumCol(), dtype=np.int32)
    h.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX if ready else DUAL_SIMPLEX)
    reference = h.getBasis() if ready else None
    found = []
    for (costs, constant), decision, sense in objectives:
        h.changeColsCost(len(everything), everything, costs)
        h.changeObjectiveSense(SENSES[sense])
        if reference is not None:
            h.setBasis(reference)
        began = time.perf_counter()
        _run(h, seconds)
        status = STATUS.get(h.getModelStatus(), "error")
        value = h.getInfo().objective_function_value if status == "optimal" else float("nan")
        log.debug("%s %s: %s, %.1f s, %d iterations", sense, decision.label, status,
                  time.perf_counter() - began, h.getInfo().simplex_iteration_count)
        if status != "optimal":
            log.warning("%s %s: LP %s", sense, decision.label, status)
        found.append(((value + constant) / decision.divisor,
                      (value + constant) / decision.divisor, status))
    return found


def _run(h: highspy.Highs, seconds: float, start: np.ndarray | None = None) -> None:
    """Run (from `start`, given after every model change or HiGHS drops it),
    for at most `seconds` more: HiGHS' time_limit counts the instance's total run time."""
    if start is not None:
        warm = highspy.HighsSolution()
        warm.col_value = start.tolist()
        warm.value_valid = True
        h.setSolution(warm)
    h.setOptionValue("time_limit", h.getRunTime() + seconds)
    highspy.Highs.resetGlobalScheduler(True)
    h.run()


class Forms:
    """The model in three forms: the MIP; `held`, the LP with the integer columns held at
    the chosen plan, whose optima are plans within slack; `relaxed`, the LP relaxation, whose
    optima bound the MIP's. Each LP runs by primal simplex from the optimal basis of the
    study's own objective in that form, which the budget row leaves primal feasible."""

    def __init__(self, h: highspy.Highs, integer: list[bool], start: np.ndarray,
                 seconds: float, bases: tuple[str, ...] = ("held", "relaxed")):
        self.h, self.start, self.seconds = h, start, seconds
        self.index = np.flatnonzero(integer).astype(np.int32)
        lp = h.getLp()
        self.lower = np.asarray(lp.col_lower_)[self.index]
        self.upper = np.asarray(lp.col_upper_)[self.index]
        self.values = start[self.index]
        self.bases = {}
        if len(self.index) and bases:
            for form in bases:
                if self._lp(form) is not None:
                    self.bases[form] = h.getBasis()
            self.set("mip")

    def set(self, form: str) -> None:
        n = len(self.index)
        kind = highspy.HighsVarType.kInteger if form == "mip" else \
            highspy.HighsVarType.kContinuous
        self.h.changeColsIntegrality(n, self.index, np.array([kind] * n))
        held = form == "held"
        self.h.changeColsBounds(n, self.index, self.values if held else self.lower,
                                self.values if held else self.upper)

    def _lp(self, form: str) -> np.ndarray | None:
        """The current objective's optimum in an LP form (None if it does not solve)."""
        self.set(form)
        if form in self.bases:
            self.h.setBasis(self.bases[form])
            self.h.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)
        _run(self.h, self.seconds)
        self.h.setOptionValue("simplex_strategy", DUAL_SIMPLEX)
        if self.h.getModelStatus() != MS.kOptimal:
            log.debug("%s LP: %s", form, self.h.modelStatusToString(self.h.getModelStatus()))
            return None
        return np.asarray(self.h.getSolution().col_value)

    def extreme(self, sense: str, costs: np.ndarray, gap: float) -> tuple[float, float, str]:
        """(value, bound, status) of the current objective: the best plan found and what no
        plan goes beyond. The MIP runs, from the held LP's plan, only when the held and the
        relaxed LPs do not already agree within `gap`."""
        better = max if sense == "max" else min
        tighter = min if sense == "max" else max
        if not len(self.index):                     # an LP: one run settles it
            _run(self.h, self.seconds, self.start)
            status = STATUS.get(self.h.getModelStatus(), "error")
            value = self.h.getInfo().objective_function_value if status == "optimal" \
                else float("nan")
            return value, value, status
        held = self._lp("held")
        plan = held if held is not None else self.start
        value = float(costs @ plan)
        relaxed = self._lp("relaxed")
        bound = float(costs @ relaxed) if relaxed is not None else \
            (float("inf") if sense == "max" else float("-inf"))
        self.set("mip")
        if _close(value, bound, gap):
            return value, bound, "optimal"
        _run(self.h, self.seconds, plan)
        info, status = self.h.getInfo(), STATUS.get(self.h.getModelStatus(), "error")
        if info.primal_solution_status == 2:
            value = better(value, info.objective_function_value)
        if status in SOLVED or status == "time_limit":
            bound = tighter(bound, info.mip_dual_bound)
        return value, bound, "optimal" if _close(value, bound, gap) else "feasible"


def _close(value: float, bound: float, gap: float) -> bool:
    if not (math.isfinite(value) and math.isfinite(bound)):
        return False
    return abs(bound - value) <= gap * max(abs(value), abs(bound)) + 1e-6
