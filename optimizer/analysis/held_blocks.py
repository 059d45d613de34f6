"""Re-solving some blocks of a model of independent blocks, the others taken from a base plan.

A solve of `prioritize` closes levers; in a model whose materials share no row (blocks.py)
closing a lever changes the problem of its block alone. Against a reference solve (`base`:
its closed levers and its plan) a solve whose levers differ from the base's only in some
blocks re-solves those blocks and keeps every other block's columns as the base has them:
each block's optimum does not depend on the others.

Each block is solved as solve_model solves it (block_solve.BlockSolver): its LP relaxation
(a bound) and the LP with the integers rounded up (a plan); the block's MIP, started from
that plan or else the base's, only when the two are further apart than the block's share of
the study's gap. That share is absolute: the study's relative gap times the whole cost over
the number of blocks, so that the blocks' gaps sum to at most what the whole model's solve
allows (a small block is not held to its own relative gap, a far finer one than the whole's).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import time

import numpy as np

from ..block_solve import BlockSolver
from ..blocks import Blocks, Form, restored
from ..solve import SOLVED, _loaded, _run

log = logging.getLogger(__name__)


def solve_blocks(form: Form, blocks: Blocks, options: dict, upper: np.ndarray, todo: list[int],
                 base_x: np.ndarray | None) -> tuple[str, np.ndarray | None]:
    """(status, every column's value) with the column upper bounds `upper`: the blocks
    `todo` solved, the others' columns from `base_x` (all blocks when it is None)."""
    solver = BlockSolver(dataclasses.replace(form, upper=upper), blocks, options, _run,
                         _loaded, lambda b, stage: os.devnull)
    for b in todo:
        status = solver.relax(b)
        if status != "optimal":
            return status, None
    whole = float(blocks.cost @ base_x) if base_x is not None else solver.bound[todo].sum()
    allowed = options["mip_rel_gap"] * abs(whole + blocks.offset) / len(blocks.columns)
    solver.options = {**options, "mip_abs_gap": allowed}
    x = np.zeros(form.A.shape[1]) if base_x is None else base_x.copy()
    statuses = ["optimal"]
    for b in todo:
        cols = blocks.columns[b]
        if solver.primal[b] - solver.bound[b] > allowed:
            if solver.x[b] is None and base_x is not None:
                solver.x[b] = base_x[cols]     # a start wherever it stays feasible
            start = time.perf_counter()
            statuses.append(solver.mip(b))
            log.debug("block %d (%d columns): MIP %s in %.2f s", b, len(cols), statuses[-1],
                      time.perf_counter() - start)
            if statuses[-1] not in SOLVED or solver.x[b] is None:
                return statuses[-1], None
        x[cols] = solver.x[b]
    return ("feasible" if "feasible" in statuses else "optimal"), restored(form, blocks, x)
