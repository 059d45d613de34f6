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

Where the scenario LPs split into independent blocks (block_cuts.py), θ_w is Σ_b θ_wb, one
per block, each cut by its block's share of Q_w and gradient: θ_wb ≥ Q_wb(x̂) + g_wb·(x_b −
x̂_b). Each θ_wb under-estimates Q_wb, so Σ_b θ_wb still under-estimates Q_w and the bound
above holds; a cut per block is tighter than their sum (the multi-cut effect).
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
from ..blocks import Blocks, Form, folded
from ..block_solve import rounded_up
from ..highs import run_highs, standard_form, to_highs
from .cuts import CutRows
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
    blocks: np.ndarray | None  # the master's model of F per block (first stage + Σ_g p_g·θ_gb)


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


def _first_stage_costs(form: Form, plan_cols: np.ndarray, cost_cols: np.ndarray,
                       block_of_plan: np.ndarray, n_blocks: int) -> tuple[np.ndarray, float,
                                                                          np.ndarray]:
    """first_stage_cost as c·x + constant over the plan (each cost component folded from its
    definition row), and the part of each block: blocks joined by a first-stage row (a
    substitution's adoption over two materials, a budget) share a part."""
    A = form.A.tocsc()
    defined = [(int(k), int(A.indices[A.indptr[k]])) for k in cost_cols]
    cost, constant = folded(form, Blocks([], [], form.cost, 0.0, defined), form.cost)
    inside = plan_cols < A.shape[1]
    plan_cost = np.zeros(len(plan_cols))
    plan_cost[inside] = cost[plan_cols[inside]]
    label = np.full(A.shape[1], -1)
    label[plan_cols[inside]] = block_of_plan[inside]
    rows = A.tocsr()
    part = np.arange(n_blocks)
    for r in sorted(set(range(A.shape[0])) - {r for _, r in defined}):
        joined = {int(part[b]) for b in label[rows.indices[rows.indptr[r]:rows.indptr[r + 1]]]
                  if b >= 0}
        if len(joined) > 1:
            part[np.isin(part, list(joined))] = min(joined)
    return plan_cost, constant + form.offset, np.unique(part, return_inverse=True)[1]


class Master:
    """The master in HiGHS. `block_of_plan` (block_cuts.plan_blocks) splits θ by block: one
    θ_gb per scenario group g and block b, θ_g = Σ_b θ_gb, each cut on its own."""

    def __init__(self, case: Case, block_of_plan: np.ndarray | None = None):
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
        form = standard_form(model)
        self.form = form[0]
        handover = to_highs(model, form)
        h = self.highs = handover.highs
        position = {id(v): j for j, v in enumerate(handover.columns)}
        for v in plan_vars:       # a plan variable in no first-stage row (a contract)
            if id(v) not in position:
                position[id(v)] = self._add_columns(0.0, v.lb, v.ub)[0]
        self.plan_cols = np.array([position[id(v)] for v in plan_vars], dtype=np.int32)
        self.integer_cols = np.array([position[id(v)] for v in plan_vars if v.is_integer()],
                                     dtype=np.int32)
        self.integer = np.isin(self.plan_cols, self.integer_cols)   # plan variables' mask
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
        self.block_of_plan = np.zeros(len(self.keys), dtype=np.int64) \
            if block_of_plan is None else np.asarray(block_of_plan)
        self.n_blocks = int(self.block_of_plan.max()) + 1 if len(self.keys) else 1
        self.plan_cost, self.cost_constant, self.part_of_block = _first_stage_costs(
            form[0], self.plan_cols, self.cost_cols, self.block_of_plan, self.n_blocks)
        # the master is a sum over parts (blocks or blocks joined by first-stage rows) unless
        # CVaR joins them all
        if self.weight:
            self.part_of_block[:] = 0
        self.theta_cols = self._add_columns(np.repeat(self.group_probability, self.n_blocks),
                                            -INF, INF).reshape(groups, self.n_blocks)
        if self.weight:
            (eta,) = self._add_columns(self.weight, -INF, INF)
            excess = self._add_columns(self.weight * self.group_probability / (1.0 - risk.alpha),
                                       0.0, INF)
            for w in range(groups):    # e_g + η − Σ_b θ_gb − Σ_k first_stage_component_k ≥ 0
                cols = np.concatenate([[excess[w], eta], self.theta_cols[w], self.cost_cols])
                vals = np.concatenate([[1.0, 1.0], -np.ones(self.n_blocks),
                                       -np.ones(len(self.cost_cols))])
                self._add_rows([0.0], [0], cols, vals)
        self.cuts = 0
        self.cut_rows = CutRows(h, h.getNumRow())

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
        """θ_gb − g_gb·x_b ≥ Q_gb(x̂) − g_gb·x̂_b for each group g and block b at plan x̂
        (cuts in scenario order), Q_gb and g_gb the probability-weighted means of its
        scenarios' shares of block b (Cut.blocks) and their gradients over b's plan."""
        weight = self.probability / self.group_probability[self.group_of]
        groups = self.theta_cols.shape[0]
        values = np.zeros((groups, self.n_blocks))
        shares = np.array([c.blocks if self.n_blocks > 1 else [c.value] for c in cuts])
        np.add.at(values, self.group_of, weight[:, None] * shares)
        gradients = np.zeros((groups, len(plan)))
        np.add.at(gradients, self.group_of, weight[:, None] * np.array([c.gradient for c in cuts]))
        lower, starts, cols, vals = [], [], [], []
        for b in range(self.n_blocks):
            mine = np.flatnonzero(self.block_of_plan == b)
            for g in range(groups):
                used = mine[np.abs(gradients[g, mine]) > 1e-12]
                slope = gradients[g, used]
                lower.append(values[g, b] - float(slope @ plan[used]))
                starts.append(len(cols))
                cols.extend([self.theta_cols[g, b], *self.plan_cols[used]])
                vals.extend([1.0, *(-slope)])
        self.cut_rows.prune()
        self._add_rows(lower, starts, cols, vals)
        self.cut_rows.added(len(lower))
        self.cuts += len(lower)

    def block_values(self, plan: np.ndarray, recourse: np.ndarray) -> np.ndarray:
        """Per block: the first-stage cost of plan's part plus `recourse` (an expected
        recourse per block, or the master's θ), the constant in block 0."""
        out = np.bincount(self.block_of_plan, weights=self.plan_cost * plan,
                          minlength=self.n_blocks) + recourse
        out[0] += self.cost_constant
        return out

    def rounded(self, plan: np.ndarray) -> np.ndarray:
        """The plan with its integers rounded up, repaired where a row over integers alone
        breaks (block_solve.rounded_up, the block solve's rule)."""
        n = self.form.A.shape[1]
        inside = self.plan_cols < n
        x, integer = np.zeros(n), np.zeros(n, bool)
        x[self.plan_cols[inside]] = plan[inside]
        integer[self.integer_cols[self.integer_cols < n]] = True
        whole = rounded_up(self.form.A.tocsr(), self.form.row_upper, x, integer)
        out = np.round(plan)
        out[inside] = whole[self.plan_cols[inside]]
        return out

    def fix_integers(self, values: np.ndarray | None) -> None:
        """Hold the integers of the plan at `values` (over the whole plan; None: free)."""
        self.lower, self.upper = (b.copy() for b in self.bounds)
        if values is not None:
            integer = self.integer
            self.lower[integer] = self.upper[integer] = np.clip(
                values[integer], self.bounds[0][integer], self.bounds[1][integer])
        self.within(None)

    def within(self, center: np.ndarray | None, radius=1.0) -> None:
        """Bound the plan to a box around `center`, `radius` of each variable's range (one
        for all or one per plan variable), an
        integer at least one unit either way (None: the plan's own bounds). The master's
        optimum in a box bounds nothing."""
        lower, upper = self.lower, self.upper
        if center is not None and np.any(np.asarray(radius) < 1.0):
            reach = radius * (upper - lower)
            reach[self.integer] = np.maximum(reach[self.integer], 1.0)
            lower, upper = np.maximum(lower, center - reach), np.minimum(upper, center + reach)
        self.highs.changeColsBounds(len(self.plan_cols), self.plan_cols, lower, upper)

    def solve(self, relaxed: bool, gap: float, time_limit: float) -> MasterSolution:
        """The master's LP relaxation (`relaxed`) or MIP (to `gap`), interruptible."""
        h = self.highs
        self._integrality(KIND.kContinuous if relaxed else KIND.kInteger)
        for key, value in {"mip_rel_gap": gap, "time_limit": time_limit, "threads": 1}.items():
            h.setOptionValue(key, value)
        run_highs(h)
        info, status = h.getInfo(), h.getModelStatus()
        solved = info.primal_solution_status == 2
        if not solved:
            log.warning("master: %s", h.modelStatusToString(status))
            return MasterSolution("error", None, None, None, None)
        x = np.asarray(h.getSolution().col_value)
        mip = not relaxed and len(self.integer_cols) > 0
        if not mip:
            self.cut_rows.seen()
        bound = info.mip_dual_bound if mip else info.objective_function_value
        optimal = status == highspy.HighsModelStatus.kOptimal
        plan = x[self.plan_cols]
        if mip:
            plan[self.integer] = np.round(plan[self.integer])
        model = self.block_values(plan, self.group_probability @ x[self.theta_cols])
        return MasterSolution("optimal" if optimal else "feasible", plan, bound,
                              info.objective_function_value, model)
