"""Independent blocks: a model whose materials share no row is solved one block at a time.

A risk-neutral study without a cross-material policy (no budget, land, energy or staff
limit, no aggregate CRMA share, no CVaR) is a sum of independent problems, one per chain of
materials linked by facilities or substitution: the rare-earth chain, cobalt, lithium,
gallium and so on. Only the cost definitions tie them together, and those are bookkeeping:
a free column `z` that appears in one equality row `a_z z + sum_j a_j x_j = b` and nowhere
else is eliminated, its objective coefficient folded into the columns of its row
(`c_j -= c_z a_j / a_z`, offset `+ c_z b / a_z`) and its value restored afterwards. The
connected components of what is left (rows and columns joined by a non-zero) are the blocks.

Each block is solved on its own, which is much cheaper than the whole (an LP's work grows
faster than its size, and a MIP's search is per block). The plan is certified as HiGHS
certifies the whole: the sum of the blocks' costs against the sum of their lower bounds
(block_solve.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

INF = highspy.kHighsInf
SMALL_SHARE = 0.01          # components under this share of the columns share one block


@dataclass
class Form:
    """A model in standard form: min cost x + offset, row_lower <= A x <= row_upper,
    lower <= x <= upper, x integer where `integer`."""

    cost: np.ndarray
    offset: float
    lower: np.ndarray
    upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    A: sp.csc_array
    integer: np.ndarray

    def lp(self, columns: np.ndarray | None = None, rows: np.ndarray | None = None,
           cost: np.ndarray | None = None, relax: bool = False) -> highspy.HighsLp:
        """The HighsLp of the whole form, or of the given columns and rows."""
        cost = self.cost if cost is None else cost
        A = self.A
        if columns is not None:
            A = A[rows][:, columns].tocsc()
            cost, lower, upper = cost[columns], self.lower[columns], self.upper[columns]
            row_lower, row_upper = self.row_lower[rows], self.row_upper[rows]
            integer = self.integer[columns]
        else:
            lower, upper, integer = self.lower, self.upper, self.integer
            row_lower, row_upper = self.row_lower, self.row_upper
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
        lp.row_lower_, lp.row_upper_ = row_lower, row_upper
        lp.offset_ = self.offset if columns is None else 0.0
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_ = A.indptr, A.indices
        lp.a_matrix_.value_ = A.data
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
        if integer.any() and not relax:
            lp.integrality_ = [highspy.HighsVarType.kInteger if i
                               else highspy.HighsVarType.kContinuous for i in integer]
        return lp


@dataclass
class Blocks:
    """The independent blocks of a form and how to put their solutions back together."""

    columns: list[np.ndarray]         # column positions of each block
    rows: list[np.ndarray]            # row positions of each block
    cost: np.ndarray                  # the objective with the definitions folded in
    offset: float
    defined: list[tuple[int, int]]    # (column, its defining row), restored after the solve


def split(form: Form, small_share: float = SMALL_SHARE) -> Blocks | None:
    """The form's independent blocks, or None when it is one block. Components under
    `small_share` of the columns share one block (0: every component a block of its own)."""
    A = form.A
    n_rows, n_cols = A.shape
    counts = np.diff(A.indptr)
    free = (form.lower == -INF) & (form.upper == INF) & (counts == 1) & ~form.integer
    equality = form.row_lower == form.row_upper
    candidates = [(j, int(A.indices[A.indptr[j]])) for j in np.flatnonzero(free)]
    candidates = [(j, r) for j, r in candidates if equality[r]]
    per_row = np.bincount([r for _, r in candidates], minlength=n_rows)
    defined = [(j, r) for j, r in candidates if per_row[r] == 1]
    dropped_cols = np.zeros(n_cols, bool)
    dropped_rows = np.zeros(n_rows, bool)
    for j, r in defined:
        dropped_cols[j] = dropped_rows[r] = True
    kept = A[~dropped_rows][:, ~dropped_cols]
    graph = sp.block_array([[None, kept], [kept.T, None]]).tocsr()
    count, label = connected_components(graph, directed=False)
    row_label, col_label = label[:kept.shape[0]], label[kept.shape[0]:]
    sizes = np.bincount(col_label, minlength=count)
    big = [k for k in np.argsort(-sizes) if sizes[k] >= small_share * n_cols]
    if len(big) < 2:
        return None
    group = np.full(count, len(big))              # the small components share the last block
    group[big] = np.arange(len(big))
    col_pos, row_pos = np.flatnonzero(~dropped_cols), np.flatnonzero(~dropped_rows)
    n_groups = len(big) + int((sizes[group == len(big)] > 0).any())
    columns = [col_pos[group[col_label] == g] for g in range(n_groups)]
    rows = [row_pos[group[row_label] == g] for g in range(n_groups)]
    blocks = Blocks(columns, rows, form.cost, form.offset, defined)
    cost, offset = folded(form, blocks, form.cost, form.offset)
    return replace(blocks, cost=cost, offset=offset)


def folded(form: Form, blocks: Blocks, costs: np.ndarray, constant: float = 0.0
           ) -> tuple[np.ndarray, float]:
    """(costs, constant) of a linear function of the form's columns with every defined
    column substituted from its defining row a_z z + Σ_j a_j x_j = b, so that it reads the
    blocks' columns only (split folds the objective so)."""
    costs = costs.copy()
    rows = form.A.tocsr() if any(costs[j] for j, _ in blocks.defined) else None
    for j, r in blocks.defined:
        if costs[j]:
            row = rows[[r]].tocoo()
            a_z = row.data[row.col == j][0]
            others = row.col != j
            np.subtract.at(costs, row.col[others], costs[j] * row.data[others] / a_z)
            constant += costs[j] * form.row_lower[r] / a_z
            costs[j] = 0.0
    return costs, constant


def restored(form: Form, blocks: Blocks, x: np.ndarray) -> np.ndarray:
    """x with every defined column set from its row and the blocks' columns."""
    x = x.copy()
    if not blocks.defined:
        return x
    defined = np.array([j for j, _ in blocks.defined])
    at = np.array([r for _, r in blocks.defined])
    rows = form.A.tocsr()[at]
    a_z = np.asarray(rows[np.arange(len(defined)), defined]).ravel()   # each in its own row
    x[defined] = (form.row_lower[at] - (rows @ x - a_z * x[defined])) / a_z
    return x
