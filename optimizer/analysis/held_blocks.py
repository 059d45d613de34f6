"""Re-solving some blocks of a model of independent blocks, the others taken from a base plan.

A solve of `prioritize` closes levers; in a model whose materials share no row (blocks.py)
closing a lever changes the problem of its block alone. Against a reference solve (`base`:
its closed levers, its plan and its blocks' LP bases) a solve whose levers differ from the
base's only in some blocks re-solves those blocks and keeps every other block's columns as
the base has them: each block's optimum does not depend on the others.

Each block is solved as solve_model solves it (block_solve.BlockSolver): its LP relaxation
(a bound) and the LP with the integers rounded up (a plan); the block's MIP, started from
that plan or else the base's, only when the two are further apart than the block's share of
the study's gap. That share is the larger of an absolute one, the study's relative gap times
the whole cost over the number of blocks (a small block is not held to its own relative gap,
a far finer one than the whole's), and the study's relative gap of the block's own plan (the
MIP's own stopping rule, which it would meet at once on that plan and bound): either way the
blocks' gaps sum to at most what the whole model's solve allows.

A base solve (no base of its own) solves every block from scratch, as solve_model does. A
solve from a base re-solves each of its blocks' LP relaxations on a HiGHS instance the
process keeps per block (HeldBlocks.kept): only the column bounds that differ from what the
instance holds change, and the simplex starts from the base's optimal basis of that block,
which a change of bounds leaves dual feasible, so a few hundred iterations replace the
tens of thousands of a cold solve. Starting from the base's basis rather than from the
instance's last one makes the answer independent of which solves a process ran before.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import time

import highspy
import numpy as np

from ..block_solve import BlockSolver
from ..blocks import Blocks, Form, restored
from ..highs import loaded_highs, run_highs
from ..solve import SOLVED

log = logging.getLogger(__name__)
BASIS_STATUS = sorted(highspy.HighsBasisStatus.__members__.values(), key=int)
Bases = dict     # block -> (column statuses, row statuses) of its LP relaxation's optimum


class HeldBlocks:
    """A model of independent blocks kept in this process for solves that change column
    upper bounds (the module doc)."""

    def __init__(self, form: Form, blocks: Blocks, options: dict):
        self.form, self.blocks, self.options = form, blocks, options
        self.kept: dict[int, tuple[highspy.Highs, np.ndarray]] = {}

    def solve(self, upper: np.ndarray, todo: list[int], base_x: np.ndarray | None = None,
              base_bases: Bases | None = None) -> tuple[str, np.ndarray | None, Bases]:
        """(status, every column's value, the blocks' LP bases) with the column upper bounds
        `upper`: the blocks `todo` solved, the others' columns from `base_x`; when it is None,
        all blocks, each from scratch, with their bases (for the solves made from this one)."""
        blocks, options = self.blocks, self.options
        solver = BlockSolver(dataclasses.replace(self.form, upper=upper), blocks, options,
                             run_highs, loaded_highs, lambda b, stage: os.devnull)
        for b in todo:
            warm = base_x is not None and base_bases is not None and b in base_bases
            status = solver.relaxed(b, self._warm(b, upper, base_bases[b])) if warm \
                else solver.relax(b)
            if status != "optimal":
                return status, None, {}
        whole = float(blocks.cost @ base_x) if base_x is not None else solver.bound[todo].sum()
        allowed = options["mip_rel_gap"] * abs(whole + blocks.offset) / len(blocks.columns)
        solver.options = {**options, "mip_abs_gap": allowed}
        x = np.zeros(self.form.A.shape[1]) if base_x is None else base_x.copy()
        statuses = ["optimal"]
        for b in todo:
            cols = blocks.columns[b]
            own = options["mip_rel_gap"] * abs(solver.primal[b])
            if solver.primal[b] - solver.bound[b] > max(allowed, own):
                if solver.x[b] is None and base_x is not None:
                    solver.x[b] = base_x[cols]     # a start wherever it stays feasible
                start = time.perf_counter()
                statuses.append(solver.mip(b))
                log.debug("block %d (%d columns): MIP %s in %.2f s", b, len(cols),
                          statuses[-1], time.perf_counter() - start)
                if statuses[-1] not in SOLVED or solver.x[b] is None:
                    return statuses[-1], None, {}
            x[cols] = solver.x[b]
        bases = {} if base_x is not None else \
            {b: _statuses(solver.basis[b]) for b in todo if solver.basis[b] is not None}
        status = "feasible" if "feasible" in statuses else "optimal"
        return status, restored(self.form, blocks, x), bases

    def _warm(self, b: int, upper: np.ndarray, basis: tuple[np.ndarray, np.ndarray]
              ) -> highspy.Highs:
        """This process's instance of block b's LP relaxation with the column upper bounds
        `upper` and the basis `basis` to start from."""
        cols = self.blocks.columns[b]
        if b not in self.kept:
            h = loaded_highs(self.form.lp(cols, self.blocks.rows[b], self.blocks.cost, relax=True))
            for key, value in self.options.items():
                h.setOptionValue(key, value)
            h.setOptionValue("output_flag", False)
            self.kept[b] = (h, self.form.upper[cols].copy())
        h, held = self.kept[b]
        changed = np.flatnonzero(held != upper[cols]).astype(np.int32)
        if changed.size:
            h.changeColsBounds(len(changed), changed, self.form.lower[cols][changed],
                               upper[cols][changed])
            held[changed] = upper[cols][changed]
        h.setBasis(_basis(*basis))
        return h


def _statuses(basis: highspy.HighsBasis) -> tuple[np.ndarray, np.ndarray]:
    """A HiGHS basis as two small arrays (it travels to other processes with its solve)."""
    return (np.fromiter((int(s) for s in basis.col_status), np.int8),
            np.fromiter((int(s) for s in basis.row_status), np.int8))


def _basis(columns: np.ndarray, rows: np.ndarray) -> highspy.HighsBasis:
    basis = highspy.HighsBasis()
    basis.col_status = [BASIS_STATUS[s] for s in columns.tolist()]
    basis.row_status = [BASIS_STATUS[s] for s in rows.tolist()]
    basis.valid = True
    return basis
