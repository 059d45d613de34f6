"""The master problem of the L-shaped method: the first stage and one θ_w per scenario.

Built by the same builder as the extensive form, over one scenario, keeping the rows whose
variables are all first stage (the plan and its cost components: max_units_built,
substitution_ramp, budget, land/energy/staff limits, ...) and replacing the objective:

    minimise  first_stage_cost + Σ_w p_w·θ_w                          (expected cost)
            [ + λ·(η + 1/(1−α)·Σ_w p_w·e_w),                            (CVaR studies)
              e_w ≥ first_stage_cost + θ_w − η,  e_w ≥ 0 ]
    θ_w ≥ Q_w(x̂) + g_w·(x − x̂)   for every cut (x̂, Q_w(x̂), g_w) found so far

in million EUR as the model counts. θ_w under-estimates Q_w (a convex function, cut from
below), so the master's optimum, or its MIP dual bound, is a lower bound on the study's
optimum. HiGHS holds the master; cuts are added as rows and the integers are relaxed for the
first phase and restored for the second.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.visitor import identify_variables

from ..case import Case
from ..formulation import build_model, first_stage_vars
from ..solve import _run, to_highs
from .subproblems import Cut, plan_keys

log = logging.getLogger(__name__)
INF = highspy.kHighsInf
# Above this many scenarios θ is one per group of scenarios (contiguous, equal in number),
# cut by the group's mean: a master of 1,000 scenarios times rounds of dense cuts would
# not fit. CVaR of the groups' means is at most that of the scenarios, so the master
# still bounds the study from below.
MAX_GROUPS = 100
KIND = highspy.HighsVarType


class NotDecomposable(ValueError):
    """A study whose scenario rows constrain the plan (policy rows per scenario): the
    second stage could be infeasible for a plan, which these cuts do not handle."""


@dataclass
class MasterSolution:
    status: str               # optimal | feasible (a MIP stopped at its limit) | error
    plan: np.ndarray | None   # first-stage values, in the order of `Master.keys`
    bound: float | None       # a lower bound on the master's optimum
    objective: float | None
    first_stage_cost: float | None


def _first_stage_rows(model, scenario: str, first: set) -> None:
    """Deactivate every row with a second-stage variable; refuse scenario rows over the
    plan alone (a policy row per scenario)."""
    for con in model.component_data_objects(pyo.Constraint, active=True):
        index = con.index()
        per_scenario = index == scenario or (isinstance(index, tuple) and index[-1:] == (scenario,))
        plan_only = all(id(v) in first for v in identify_variables(con.body))
        if per_scenario and (plan_only or con.parent_component().name in model.policy_rows):
            raise NotDecomposable(
                f"row {con.name} constrains the plan in each scenario (a policy row per "
                "scenario): the L-shaped method here has no feasibility cuts; solve the "
                "extensive form (solver.method: extensive)")
        if per_scenario or not plan_only:
            con.deactivate()


class Master:
    def __init__(self, case: Case):
        ids = case.scenario_ids
        # the case's own builder over one scenario (no Case rebuild: with_study draws a
        # sampled study's paths again); its CVaR rows hold scenario variables and go
        model = build_model(case, [ids[0]])
        self.keys = plan_keys(model)
        plan_vars = [v for c in first_stage_vars(model) for v in c.values()]
        costs = list(model.first_stage_component.values())
        _first_stage_rows(model, ids[0], {id(v) for v in plan_vars + costs})
        model.total_cost.deactivate()
        model.master_cost = pyo.Objective(expr=model.first_stage_cost)
        handover = to_highs(model)
        h = self.highs = handover.highs
        position = {id(v): j for j, v in enumerate(handover.columns)}
        for v in plan_vars:       # a plan variable in no first-stage row (a contract)
            if id(v) not in position:
                position[id(v)] = self._add_columns(0.0, v.lb, v.ub)[0]
        self.plan_cols = np.array([position[id(v)] for v in plan_vars], dtype=np.int32)
        self.integer_cols = np.array([position[id(v)] for v in plan_vars if v.is_integer()],
                                     dtype=np.int32)
        self._integrality(KIND.kInteger)
        self.cost_cols = np.array([position[id(v)] for v in costs], dtype=np.int32)
        lp = h.getLp()
        self.bounds = (np.asarray(lp.col_lower_)[self.plan_cols],
                       np.asarray(lp.col_upper_)[self.plan_cols])
        self.lower, self.upper = self.bounds
        self.probability = np.array([case.probability[w] for w in ids])
        groups = min(len(ids), MAX_GROUPS)
        self.group_of = np.arange(len(ids)) * groups // len(ids)
        self.group_probability = np.bincount(self.group_of, weights=self.probability,
                                             minlength=groups)
        risk = case.study.risk
        self.weight = risk.weight if risk.measure == "cvar" and risk.weight > 0 else 0.0
        self.theta_cols = self._add_columns(self.group_probability, -INF, INF)
        if self.weight:
            (eta,) = self._add_columns(self.weight, -INF, INF)
            excess = self._add_columns(self.weight * self.group_probability / (1.0 - risk.alpha),
                                       0.0, INF)
            for w in range(groups):       # e_g + η − θ_g − Σ_k first_stage_component_k ≥ 0
                cols = np.concatenate([[excess[w], eta, self.theta_cols[w]], self.cost_cols])
                vals = np.concatenate([[1.0, 1.0, -1.0], -np.ones(len(self.cost_cols))])
                self._add_rows([0.0], [0], cols, vals)
        self.cuts = 0

    def _add_columns(self, cost, lower, upper) -> np.ndarray:
        h = self.highs
        n = len(cost) if np.ndim(cost) else 1
        start = h.getNumCol()
        h.addCols(n, np.broadcast_to(np.asarray(cost, dtype=float), (n,)).copy(),
                  np.full(n, -INF if lower is None else lower, dtype=float),
                  np.full(n, INF if upper is None else upper, dtype=float), 0,
                  np.array([], dtype=np.int32), np.array([], dtype=np.int32), np.array([]))
        return np.arange(start, start + n, dtype=np.int32)

    def _add_rows(self, lower, starts, cols, vals) -> None:
        n = len(lower)
        self.highs.addRows(n, np.asarray(lower, dtype=float), np.full(n, INF), len(cols),
                           np.asarray(starts, dtype=np.int32), np.asarray(cols, dtype=np.int32),
                           np.asarray(vals, dtype=float))

    def _integrality(self, kind) -> None:
        n = len(self.integer_cols)
        if n:
            self.highs.changeColsIntegrality(n, self.integer_cols, np.array([kind] * n))

    def add_cuts(self, plan: np.ndarray, cuts: list[Cut]) -> None:
        """θ_g − g_g·x ≥ Q_g(x̂) − g_g·x̂ for each group at plan x̂ (cuts in scenario order),
        Q_g and g_g the probability-weighted means of its scenarios' values and gradients."""
        weight = self.probability / self.group_probability[self.group_of]
        values = np.zeros(len(self.theta_cols))
        np.add.at(values, self.group_of, weight * np.array([c.value for c in cuts]))
        gradients = np.zeros((len(self.theta_cols), len(plan)))
        for w, cut in enumerate(cuts):
            gradients[self.group_of[w]] += weight[w] * cut.gradient
        lower, starts, cols, vals = [], [], [], []
        for w, (value, gradient) in enumerate(zip(values, gradients)):
            used = np.flatnonzero(np.abs(gradient) > 1e-12)
            g = gradient[used]
            lower.append(value - float(g @ plan[used]))
            starts.append(len(cols))
            cols.extend([self.theta_cols[w], *self.plan_cols[used]])
            vals.extend([1.0, *(-g)])
        self._add_rows(lower, starts, cols, vals)
        self.cuts += len(values)

    def fix_integers(self, values: np.ndarray | None) -> None:
        """Hold the integers of the plan at `values` (over the whole plan; None: free)."""
        self.lower, self.upper = (b.copy() for b in self.bounds)
        if values is not None:
            integer = np.isin(self.plan_cols, self.integer_cols)
            self.lower[integer] = self.upper[integer] = np.clip(
                values[integer], self.bounds[0][integer], self.bounds[1][integer])
        self.within(None)

    def within(self, center: np.ndarray | None, radius: float = 1.0) -> None:
        """Bound the plan to a box around `center`, `radius` of each variable's range, an
        integer at least one unit either way (None: the plan's own bounds). The master's
        optimum in a box bounds nothing."""
        lower, upper = self.lower, self.upper
        if center is not None and radius < 1.0:
            reach = radius * (upper - lower)
            integer = np.isin(self.plan_cols, self.integer_cols)
            reach[integer] = np.maximum(reach[integer], 1.0)
            lower, upper = np.maximum(lower, center - reach), np.minimum(upper, center + reach)
        self.highs.changeColsBounds(len(self.plan_cols), self.plan_cols, lower, upper)

    def solve(self, relaxed: bool, gap: float, time_limit: float) -> MasterSolution:
        """The master's LP relaxation (`relaxed`) or MIP (to `gap`), interruptible."""
        h = self.highs
        self._integrality(KIND.kContinuous if relaxed else KIND.kInteger)
        for key, value in {"mip_rel_gap": gap, "time_limit": time_limit, "threads": 1}.items():
            h.setOptionValue(key, value)
        _run(h)
        info, status = h.getInfo(), h.getModelStatus()
        solved = info.primal_solution_status == 2
        if not solved:
            log.warning("master: %s", h.modelStatusToString(status))
            return MasterSolution("error", None, None, None, None)
        x = np.asarray(h.getSolution().col_value)
        mip = not relaxed and len(self.integer_cols) > 0
        bound = info.mip_dual_bound if mip else info.objective_function_value
        optimal = status == highspy.HighsModelStatus.kOptimal
        plan = x[self.plan_cols]
        if mip:
            plan[np.isin(self.plan_cols, self.integer_cols)] = np.round(
                plan[np.isin(self.plan_cols, self.integer_cols)])
        return MasterSolution("optimal" if optimal else "feasible", plan, bound,
                              info.objective_function_value, float(x[self.cost_cols].sum()))
