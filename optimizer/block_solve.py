"""Solving a model block by block (blocks.py finds the blocks), certified as one.

First every block's LP relaxation gives a lower bound, and the same LP with its integers
rounded up a plan (units only ever enlarge a capacity; where a row over integers alone, such
as a facility's most units, breaks, those nearest their floor are rounded down). While the
whole is not within the study's relative gap (the test HiGHS applies to the whole model: the
sum of the blocks' costs against the sum of their bounds), the block furthest from its bound
goes to the HiGHS MIP, started from its plan.

The LP with every integer fixed at the plan, whose duals price the rows (fixed_lp.py), comes
with it: a rounded plan's LP is that LP, and a block the MIP settled has it solved once more.
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import highspy
import numpy as np

from .blocks import Blocks, Form, restored
from .highs import status_of


@dataclass
class BlockResult:
    status: str                      # optimal, feasible, infeasible, unbounded, time_limit
    x: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    objective: float = math.nan
    bound: float = -math.inf
    nodes: int = 0


class BlockSolver:
    """Solves the blocks of a form: LP bounds and rounded plans first, then MIPs while the
    sum of the blocks' gaps asks for them. `run(h)` runs a HiGHS instance (highs.run_highs, which
    keeps Ctrl-C working); `load(lp)` makes a silent one holding the HighsLp `lp`."""

    def __init__(self, form: Form, blocks: Blocks, options: dict, run: Callable,
                 load: Callable, logfile: Callable[[int, str], str]):
        self.form, self.blocks, self.options = form, blocks, options
        self.run, self.load, self.logfile = run, load, logfile
        self.n = len(blocks.columns)
        self.primal = np.full(self.n, math.inf)
        self.bound = np.full(self.n, -math.inf)
        self.x = [None] * self.n
        self.row_dual = [None] * self.n
        self.basis: list[highspy.HighsBasis | None] = [None] * self.n
        self.mip_done = np.zeros(self.n, bool)
        self.nodes = 0
        self.deadline = options.get("time_limit", math.inf)
        self.used = 0.0

    def _highs(self, b: int, stage: str, relax: bool) -> highspy.Highs:
        blocks = self.blocks
        h = self.load(self.form.lp(blocks.columns[b], blocks.rows[b], blocks.cost, relax=relax))
        for key, value in self.options.items():
            h.setOptionValue(key, value)
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("log_file", self.logfile(b, stage))
        return h

    def _go(self, h: highspy.Highs) -> str:
        """Run h within what is left of the time limit; its status name."""
        left = self.deadline - self.used
        if left <= 0:
            return "time_limit"
        h.setOptionValue("time_limit", h.getRunTime() + left)
        before = h.getRunTime()
        self.run(h)
        self.used += h.getRunTime() - before
        return status_of(h)

    def relax(self, b: int) -> str:
        """The block's LP relaxation (its lower bound) and, for a block with integers, the LP
        with them rounded up (a plan)."""
        return self.relaxed(b, self._highs(b, "lp", relax=True))

    def relaxed(self, b: int, h: highspy.Highs) -> str:
        """relax on `h`, a HiGHS instance holding block b's LP relaxation (and whatever
        basis it is to start from); h holds the relaxation again afterwards, its optimal
        basis kept in self.basis[b]."""
        cols = self.blocks.columns[b]
        integer = self.form.integer[cols]
        status = self._go(h)
        if status != "optimal":
            return status
        solution = h.getSolution()
        self.basis[b] = h.getBasis()
        self.bound[b] = h.getInfo().objective_function_value
        x = np.asarray(solution.col_value)
        if not integer.any():
            self.primal[b], self.x[b] = self.bound[b], x
            self.row_dual[b] = np.asarray(solution.row_dual)
            self.mip_done[b] = True
            return status
        which = np.flatnonzero(integer).astype(np.int32)
        rounded = self.rounded(b, x, which)
        h.changeColsBounds(len(which), which, rounded, rounded)
        if self._go(h) == "optimal":
            self.primal[b] = h.getInfo().objective_function_value
            self.x[b] = np.asarray(h.getSolution().col_value)
            self.row_dual[b] = np.asarray(h.getSolution().row_dual)
        h.changeColsBounds(len(which), which, self.form.lower[cols][which],
                           self.form.upper[cols][which])
        return "optimal"

    def rounded(self, b: int, x: np.ndarray, which: np.ndarray) -> np.ndarray:
        """The block's integers `which` rounded up, repaired (rounded_up)."""
        integer = np.zeros(len(x), bool)
        integer[which] = True
        A = self.form.A[self.blocks.rows[b]][:, self.blocks.columns[b]].tocsr()
        return rounded_up(A, self.form.row_upper[self.blocks.rows[b]], x, integer)[which]

    def mip(self, b: int) -> str:
        """The block's MIP, started from its rounded plan when there is one."""
        h = self._highs(b, "mip", relax=False)
        if self.x[b] is not None:
            start = highspy.HighsSolution()
            start.col_value = self.x[b].tolist()
            start.value_valid = True
            h.setSolution(start)
        status = self._go(h)
        self.mip_done[b] = True
        info = h.getInfo()
        if status in ("optimal", "feasible") and info.objective_function_value < self.primal[b]:
            self.primal[b] = info.objective_function_value
            self.x[b] = np.asarray(h.getSolution().col_value)
            self.row_dual[b] = None          # the rounded plan's duals no longer apply
        if math.isfinite(info.mip_dual_bound):
            self.bound[b] = max(self.bound[b], info.mip_dual_bound)
        self.nodes += max(info.mip_node_count, 0)
        return status

    def fixed_lp(self, b: int) -> str:
        """The block's LP with its integers fixed at its plan: the duals of that plan."""
        which = np.flatnonzero(self.form.integer[self.blocks.columns[b]]).astype(np.int32)
        at = np.round(self.x[b][which])
        h = self._highs(b, "lp, integers fixed", relax=True)
        h.changeColsBounds(len(which), which, at, at)
        status = self._go(h)
        if status == "optimal":
            self.row_dual[b] = np.asarray(h.getSolution().row_dual)
        return status

    def gap(self) -> float:
        """The whole's relative gap, as HiGHS measures it: (cost - bound) / |cost|, each the
        sum over the blocks (inf while a block has no plan)."""
        if not np.isfinite(self.primal).all():
            return math.inf
        cost = self.primal.sum() + self.blocks.offset
        return float((cost - self.bound.sum() - self.blocks.offset) / max(abs(cost), 1e-9))

    def solve(self, duals: bool = False) -> BlockResult:
        """Every block solved; with `duals`, BlockResult.row_dual holds the duals of the LP
        with the integers fixed at the plan."""
        for b in range(self.n):
            status = self.relax(b)
            if status in ("infeasible", "unbounded", "error"):
                return BlockResult(status, nodes=self.nodes)
            if status == "time_limit":
                return BlockResult("time_limit", nodes=self.nodes)
        rel_gap = self.options.get("mip_rel_gap", 1e-4)
        stopped = False
        # blocks without a plan first, then the furthest from its bound, until the whole is
        # within the gap
        for b in np.argsort(-(self.primal - self.bound), kind="stable"):
            if self.gap() <= rel_gap:
                break
            if self.mip_done[b]:
                continue
            status = self.mip(int(b))
            if status in ("infeasible", "unbounded", "error"):
                return BlockResult(status, nodes=self.nodes)
            if status in ("feasible", "time_limit"):
                stopped = True
                break
        if not np.isfinite(self.primal).all():
            return BlockResult("time_limit", nodes=self.nodes)
        if duals:
            for b in range(self.n):
                if self.row_dual[b] is None and self.fixed_lp(b) != "optimal":
                    break
        return BlockResult("feasible" if stopped else "optimal", self.values(), self.duals(),
                           float(self.primal.sum() + self.blocks.offset),
                           float(self.bound.sum() + self.blocks.offset), self.nodes)

    def values(self) -> np.ndarray:
        """Every column's value: the blocks' solutions and the defined columns from their row."""
        x = np.zeros(self.form.A.shape[1])
        for b in range(self.n):
            x[self.blocks.columns[b]] = self.x[b]
        return restored(self.form, self.blocks, x)

    def duals(self) -> np.ndarray | None:
        """Row duals of the LP with the integers fixed at the plan, when every block has
        them; a defining row's dual is its column's cost over its coefficient (the column is
        basic)."""
        if any(d is None for d in self.row_dual):
            return None
        y = np.zeros(self.form.A.shape[0])
        for b in range(self.n):
            y[self.blocks.rows[b]] = self.row_dual[b]
        Ar = self.form.A.tocsr()
        for j, r in self.blocks.defined:
            y[r] = self.form.cost[j] / Ar[[r], [j]][0]
        return y


def rounded_up(A, row_upper: np.ndarray, x: np.ndarray, integer: np.ndarray) -> np.ndarray:
    """x with its integers (mask `integer`) rounded up; then, in each row of A (CSR) over
    integers alone that this breaks (at most so many units of a facility over the years),
    those nearest their floor are rounded down until the row holds again."""
    value = np.where(integer, np.ceil(x - 1e-6), x)
    row_of = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    mixed = np.bincount(row_of[~integer[A.indices] | (A.data <= 0)], minlength=A.shape[0])
    broken = (mixed == 0) & np.isfinite(row_upper) & (A @ value > row_upper + 1e-6)
    for r in np.flatnonzero(broken):
        cols = A.indices[A.indptr[r]:A.indptr[r + 1]]
        coef = A.data[A.indptr[r]:A.indptr[r + 1]]
        lifted = sorted((x[j] - np.floor(x[j] + 1e-6), j) for j in cols if value[j] > x[j] + 1e-6)
        while coef @ value[cols] > row_upper[r] + 1e-6 and lifted:
            _, j = lifted.pop(0)
            value[j] -= 1
    return value


def solve_in_blocks(form: Form, blocks: Blocks, options: dict, run: Callable,
                    load: Callable, duals: bool = False) -> tuple[BlockResult, str]:
    """Solve the blocks (options: the HiGHS options of a whole-model solve) and return the
    result, with the fixed-integer LP's row duals when `duals`, and the blocks' HiGHS logs,
    one after the other."""
    with tempfile.TemporaryDirectory() as tmp:
        files: list[tuple[str, Path]] = []

        def logfile(b: int, stage: str) -> str:
            path = Path(tmp) / f"{len(files)}.log"
            files.append((f"block {b + 1} of {len(blocks.columns)} "
                          f"({len(blocks.columns[b])} columns, {len(blocks.rows[b])} rows), "
                          f"{stage}", path))
            return str(path)

        result = BlockSolver(form, blocks, options, run, load, logfile).solve(duals)
        text = "".join(f"==== {title}\n{path.read_text() if path.exists() else ''}\n"
                       for title, path in files)
    return result, text
