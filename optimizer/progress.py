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
