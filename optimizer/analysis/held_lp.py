"""A held model's LP in HiGHS, re-solved per scenario with only the numbers that differ.

A HeldModel with mutable scenario data is an LP whose every number is affine in the scenario
Params θ (demand_t, available_share, spare_share, price_multiplier, refill_due): each
coefficient, bound and cost is a constant times at most one Param, or a sum of such. The
model is compiled once, every number k as

    value_k(θ) = a_k + Σ_p B_kp θ_p          (B sparse; a Param-free number has B_k = 0)

and a scenario is then θ (the scenario data Params' values from HeldModel.scenario_values,
without setting the Pyomo Params; the others, refill_due, read off their Params), value =
a + B θ in one sparse product, and the entries that changed pushed to HiGHS in bulk (costs,
row and column bounds) or one by one (matrix coefficients). HiGHS keeps its basis across such changes, so each LP starts from the
last scenario's optimal basis. Pyomo's persistent interface re-evaluates every Param
expression of the model through its expression tree on each re-solve, which took three
quarters of a sample's time (benchmarks/RESULTS.md).

What HeldModel.set_scenario changes besides Params is read back too: column bounds set
directly (stock_draw opened or closed in a crisis) and which second-stage policy rows are
active (an inactive row is given infinite bounds, not deleted, so that the basis stays).
A number that is not affine in the Params (a product of two Params) is refused at compile
time rather than evaluated wrongly (affine.py).
"""
from __future__ import annotations

import logging

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn import generate_standard_repn
from scipy import sparse

from ..blocks import Form
from ..highs import STATUS, new_highs
from ..scenarios import ScenarioData
from .affine import AffineNumbers, NotAffine
from .held import Evaluation, HeldModel

log = logging.getLogger(__name__)
INF = highspy.kHighsInf


class KeptLP:
    """`held`'s LP (its first stage held, mutable scenario data) in a HiGHS of its own; call
    `set_scenario(data)` and then `solve()` for each scenario."""

    def __init__(self, held: HeldModel):
        self.held = held
        model = held.model
        numbers = AffineNumbers()
        self.columns: list = []
        self._column: dict[int, int] = {}
        rows, cols, entries = [], [], []      # matrix coordinates and their numbers
        self.rows = list(model.component_data_objects(pyo.Constraint, active=True))
        row_lower, row_upper = [], []
        for i, con in enumerate(self.rows):
            repn = generate_standard_repn(con.body, quadratic=False, compute_values=False)
            if repn.nonlinear_expr is not None:
                raise NotAffine(f"{con.name} is not linear")
            for coef, var in zip(repn.linear_coefs, repn.linear_vars):
                rows.append(i)
                cols.append(self._index(var))
                entries.append(numbers.add(coef))
            row_lower.append(numbers.add(None if con.lower is None else con.lower - repn.constant,
                                         missing=-INF))
            row_upper.append(numbers.add(None if con.upper is None else con.upper - repn.constant))
        (objective,) = model.component_data_objects(pyo.Objective, active=True)
        if objective.sense != pyo.minimize:
            raise NotAffine("a held model minimises")
        repn = generate_standard_repn(objective.expr, quadratic=False, compute_values=False)
        cost = {self._index(var): numbers.add(coef)
                for coef, var in zip(repn.linear_coefs, repn.linear_vars)}
        offset = numbers.add(repn.constant)
        self._compile_bounds(numbers)
        self._evaluate = numbers.evaluator()
        self._params = numbers.params
        self._theta = np.array([p.value for p in numbers.params], dtype=float)
        self._scenario_positions = None     # of held.scenario_params in θ
        self._read_params = list(enumerate(numbers.params))   # Params read at each solve
        self._entries = np.array(entries, dtype=int)
        self._matrix = (np.array(rows, dtype=int), np.array(cols, dtype=int))
        self._row_numbers = (np.array(row_lower, dtype=int), np.array(row_upper, dtype=int))
        self._cost = np.zeros(len(self.columns))
        self._cost_columns = np.array(list(cost), dtype=int)
        self._cost_numbers = np.array(list(cost.values()), dtype=int)
        self._offset = offset
        # rows HeldModel.set_scenario (de)activates: the per-scenario policy rows
        toggled = {id(row) for row in held.second_stage_rows}
        self._toggled = [i for i, con in enumerate(self.rows) if id(con) in toggled]
        self.highs = new_highs()
        self._pass()

    def _index(self, var) -> int:
        j = self._column.setdefault(id(var), len(self.columns))
        if j == len(self.columns):
            self.columns.append(var)
        return j

    def _compile_bounds(self, numbers: AffineNumbers) -> None:
        """Each column's bounds as numbers: the variable's own (an expression of Params,
        e.g. shortfall ≤ demand_t, or a number), within its domain's."""
        self._column_numbers = tuple(
            np.array([numbers.add(getattr(var, side), missing) for var in self.columns],
                     dtype=int) for side, missing in (("lower", -INF), ("upper", INF)))
        domain = [var.domain.bounds() for var in self.columns]
        self._domain = (np.array([-INF if lo is None else lo for lo, _ in domain], dtype=float),
                        np.array([INF if hi is None else hi for _, hi in domain], dtype=float))
        # columns whose bounds set_scenario sets directly: read again for each scenario
        self._reread = [(j, self.columns[j]) for j in
                        (self._column.get(id(var)) for var in self.held.scenario_bounded)
                        if j is not None]

    def _column_bounds(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds now: the tighter of the domain's and the variable's own."""
        lower = np.maximum(values[self._column_numbers[0]], self._domain[0])
        upper = np.minimum(values[self._column_numbers[1]], self._domain[1])
        for j, var in self._reread:
            lo, hi = var.bounds
            lower[j] = -INF if lo is None else lo
            upper[j] = INF if hi is None else hi
        return lower, upper

    def _pass(self) -> None:
        values = self._evaluate(self._theta)
        self._coefficients = values[self._entries]
        self.highs.passModel(self._form(values).lp())
        self.highs.setOptionValue("threads", int(self.held.threads))
        self.highs.setOptionValue("time_limit", float(self.held.case.study.solver.time_limit_s))

    def _row_bounds(self, values: np.ndarray, relaxed: bool) -> tuple[np.ndarray, np.ndarray]:
        lower, upper = values[self._row_numbers[0]], values[self._row_numbers[1]]
        for i in self._toggled:
            if relaxed or not self.rows[i].active:
                lower[i], upper[i] = -INF, INF
        return lower, upper

    def _update(self, relaxed: bool = False) -> None:
        """Push to HiGHS what θ, the held model's other Params, column bounds and rows now
        say."""
        h = self.highs
        for i, param in self._read_params:
            self._theta[i] = param.value
        values = self._evaluate(self._theta)
        coefficients = values[self._entries]
        rows, cols = self._matrix
        for k in np.flatnonzero(coefficients != self._coefficients):
            h.changeCoeff(int(rows[k]), int(cols[k]), float(coefficients[k]))
        self._coefficients = coefficients
        self._cost[self._cost_columns] = values[self._cost_numbers]
        everything = np.arange(len(self.columns), dtype=np.int32)
        h.changeColsCost(len(everything), everything, self._cost)
        h.changeObjectiveOffset(float(values[self._offset]))
        lower, upper = self._column_bounds(values)
        h.changeColsBounds(len(everything), everything, lower, upper)
        lower, upper = self._row_bounds(values, relaxed)
        each_row = np.arange(len(self.rows), dtype=np.int32)
        h.changeRowsBounds(len(each_row), each_row, lower, upper)

    def _run(self) -> Evaluation:
        h = self.highs
        h.run()
        status = STATUS.get(h.getModelStatus(), "error")
        if status != "optimal":
            log.info("held plan: %s (%s)", status, h.modelStatusToString(h.getModelStatus()))
            return Evaluation(status, None, True)
        objective = h.getInfo().objective_function_value * self.held.model.eur_per_objective_unit
        return Evaluation("optimal", float(objective), True)

    def set_scenario(self, data: ScenarioData, spare: dict | None = None) -> None:
        """The held model's set_scenario, with the scenario data Params' values put in θ
        (the Pyomo Params keep theirs: setting thousands of them took longer than the LP);
        `spare` as HeldModel.scenario_values takes it."""
        self.held.set_scenario(data, params=False)
        if self._scenario_positions is None:
            where = {id(p): i for i, p in enumerate(self._params)}
            self._scenario_positions = np.array([where.get(id(p), -1)
                                                 for p in self.held.scenario_params])
            given = set(self._scenario_positions.tolist())
            self._read_params = [(i, p) for i, p in enumerate(self._params) if i not in given]
        values = np.array(self.held.scenario_values(data, spare), dtype=float)
        used = self._scenario_positions >= 0
        self._theta[self._scenario_positions[used]] = values[used]

    def solve(self) -> Evaluation:
        """Solve for the held model's current scenario data; when the scenario's policy rows
        make it infeasible, again without them (policy_met False), as HeldModel.solve."""
        self._update()
        outcome = self._run()
        if outcome.status != "infeasible" or not len(self._toggled):
            return outcome
        self._update(relaxed=True)
        relaxed = self._run()
        relaxed.policy_met = False
        return relaxed

    def form(self) -> Form:
        """The LP at the current scenario data in standard form (what `solve` would pass),
        for a HiGHS of its own (decomposition/subproblems.py keeps one per scenario)."""
        for i, param in self._read_params:
            self._theta[i] = param.value
        return self._form(self._evaluate(self._theta))

    def _form(self, values: np.ndarray) -> Form:
        """The LP in standard form at the numbers `values` (the evaluator's at some θ)."""
        cost = np.zeros(len(self.columns))
        cost[self._cost_columns] = values[self._cost_numbers]
        rows, cols = self._matrix
        A = sparse.csc_array((values[self._entries], (rows, cols)),
                             shape=(len(self.rows), len(self.columns)))
        A.eliminate_zeros()
        return Form(cost, float(values[self._offset]), *self._column_bounds(values),
                    *self._row_bounds(values, relaxed=False), A,
                    np.zeros(len(self.columns), bool))

    def values(self, variables: list) -> list[float]:
        """Values of some variables in the last solve (0 for one in no row or cost)."""
        col_value = self.highs.getSolution().col_value
        return [col_value[self._column[id(v)]] if id(v) in self._column else 0.0
                for v in variables]
