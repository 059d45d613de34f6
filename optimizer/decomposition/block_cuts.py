"""Cuts per block: a scenario's LP splits into the study's independent blocks (blocks.py).

A risk-neutral one-scenario LP without a cross-material row is, once the free cost-definition
columns are folded into the objective (blocks.split), a sum of independent LPs, one per chain
of materials b. With the plan x held,

    Q_w(x) = Σ_b Q_wb(x_b),   Q_wb(x_b) = Σ_{j ∈ b} c̃_j·x*_j

where c̃ is the folded objective and x* the LP's optimum (optimal for each block, the LP being
separable; the folding's constant goes to block 0). The reduced costs of the held columns of
block b are a subgradient of Q_wb (the subdifferential of a separable function is the product
of its parts'), so each block gets its own cut and the master its own θ per block: the
multi-cut effect along the block dimension.

The blocks are found once, on the template's calm scenario (the same in every worker), and
labelled by their plan columns: `plan_blocks` gives each plan variable its block. A
scenario's LP is folded again and its connected components (a datum that is zero there may
drop a non-zero, so they can be finer than the template's, never coarser) each go to the
block of their plan columns (block 0 when they hold none: a constant).
"""
from __future__ import annotations

import numpy as np

from ..blocks import Form, split


class BlocksCrossed(ValueError):
    """A scenario's LP joins plan variables that the template's blocks keep apart."""


def plan_blocks(form: Form, plan_columns: np.ndarray) -> np.ndarray:
    """The block of each plan variable (its column in `form`, -1 when in no row: block 0)."""
    blocks = split(form)
    label = np.zeros(form.A.shape[1], dtype=np.int64)
    if blocks is not None:
        for b, columns in enumerate(blocks.columns):
            label[columns] = b
    return np.where(plan_columns >= 0, label[np.maximum(plan_columns, 0)], 0)


class ObjectiveSplit:
    """One scenario LP's objective per block: `values(x)`, a value per block summing to the
    LP's objective at an optimum x. `block_of_plan` labels the plan variables (plan_blocks);
    `plan_columns` are their columns in `form` (-1: not in this LP)."""

    def __init__(self, form: Form, block_of_plan: np.ndarray, plan_columns: np.ndarray):
        self.count = int(block_of_plan.max()) + 1 if len(block_of_plan) else 1
        blocks = split(form, small_share=0.0) if self.count > 1 else None   # unmerged
        n = form.A.shape[1]
        self.label = np.zeros(n, dtype=np.int64)
        self.cost, self.offset = form.cost, form.offset
        if blocks is None:          # one piece: all of it is its plan's block
            mine = np.unique(block_of_plan[plan_columns >= 0])
            if len(mine) > 1:
                raise BlocksCrossed("a scenario's LP is one block where the template's is not")
            self.label[:] = mine[0] if len(mine) else 0
            return
        self.cost, self.offset = blocks.cost, form.offset + blocks.offset
        count = len(blocks.columns)
        piece = np.full(n, -1, dtype=np.int64)       # each column's component
        for k, cols in enumerate(blocks.columns):
            piece[cols] = k
        columns = np.concatenate(blocks.columns)
        held = plan_columns >= 0
        owner = np.zeros(count, dtype=np.int64)
        for k, b in set(zip(piece[plan_columns[held]], block_of_plan[held])):
            if owner[k] and owner[k] != b + 1:
                raise BlocksCrossed(f"a scenario's LP joins the plan's blocks {owner[k] - 1}, {b}")
            owner[k] = b + 1
        self.label[columns] = np.maximum(owner[piece[columns]] - 1, 0)

    def values(self, x: np.ndarray) -> np.ndarray:
        """The objective's share of each block at x (the constant in block 0)."""
        out = np.bincount(self.label, weights=self.cost * x, minlength=self.count)
        out[0] += self.offset
        return out
