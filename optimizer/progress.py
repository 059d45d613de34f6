"""Progress of long work (sweep points, strategies, stress samples) as plain log lines.

    step = Progress(len(points), "sweep")
    run_all(task, points, workers, progress=step)     # logs "sweep: 3/12 done, 8 s, ~24 s left"

Lines go to the `optimizer.progress` logger at INFO (shown by default, hidden by --quiet),
at most one every `every` seconds, and always the last one.
"""
from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)
SOLVE_EVERY_S = 10.0    # between two lines of a solve's progress


class Progress:
    """A callable to call once per finished item."""

    def __init__(self, total: int, label: str, every: float = 2.0):
        self.total, self.label, self.every = total, label, every
        self.done = 0
        self.start = self.last = time.monotonic()

    def __call__(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.last < self.every and self.done < self.total:
            return
        self.last = now
        elapsed = now - self.start
        left = elapsed / self.done * (self.total - self.done)
        tail = f", ~{left:.0f} s left" if self.done < self.total else ""
        log.info("%s: %d/%d done, %.0f s%s", self.label, self.done, self.total, elapsed, tail)


class SolverProgress:
    """HiGHS's progress in one long solve, as log lines at most every `every` seconds (none
    for a solve shorter than that): subscribe it to HiGHS's interrupt callbacks.

        HiGHS: 40 s, root LP, 182,311 simplex iterations
        HiGHS: 95 s, gap 3.41%, 12 nodes

    The gap is HiGHS's own (primal - dual bound over primal); INFO level, so --quiet hides it.
    """

    def __init__(self, every: float | None = None, label: str = "HiGHS"):
        self.every, self.label = SOLVE_EVERY_S if every is None else every, label
        self.start = self.last = time.monotonic()

    def __call__(self, event) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        out = event.data_out
        # an LP's simplex callback carries no running time (-1): count from the start
        seconds = out.running_time if out.running_time >= 0 else now - self.start
        log.info("%s: %s", self.label, self.line(seconds, out.mip_gap,
                                                 out.mip_node_count,
                                                 out.simplex_iteration_count))

    @staticmethod
    def line(seconds: float, gap: float, nodes: int, iterations: int) -> str:
        """'95 s, gap 3.41%, 12 nodes', or the simplex iterations while no plan bounds it."""
        if gap is not None and 0 <= gap < 1e20:
            return f"{seconds:,.0f} s, gap {gap:.2%}, {nodes:,} node{'s' * (nodes != 1)}"
        if iterations and iterations > 0:
            return f"{seconds:,.0f} s, root LP, {iterations:,} simplex iterations"
        return f"{seconds:,.0f} s, solving"
