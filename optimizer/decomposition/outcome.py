"""What the L-shaped loop (lshaped.py) found: the best plan, certified bounds and its rounds."""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..formulation.terms import MONEY

log = logging.getLogger(__name__)


@dataclass
class Decomposition:
    """What the loop found: the best plan, certified bounds (EUR) and how it got there."""

    status: str                  # optimal (gap met) | feasible (a limit first) | error
    plan: dict | None            # {variable name: {index: value}}
    lower_eur: float | None
    upper_eur: float | None
    iterations: int = 0
    lp_iterations: int = 0
    cuts: int = 0
    workers: int = 1
    seconds: float = 0.0
    history: list = field(default_factory=list)
    parts: list | None = None    # the best plan's tables, a plan_tables.Part per worker

    @property
    def gap(self) -> float | None:
        if self.lower_eur is None or self.upper_eur is None:
            return None
        return (self.upper_eur - self.lower_eur) / max(abs(self.upper_eur), 1e-9)

    def record(self, iteration: int, phase: str, lower: float, value: float, best: float,
               started: float) -> None:
        """A round's entry in the history (EUR), logged."""
        entry = {"iteration": iteration, "phase": phase,
                 "lower": lower / MONEY, "plan_value": value / MONEY,
                 "upper": best / MONEY if math.isfinite(best) else None,
                 "seconds": round(time.perf_counter() - started, 3)}
        self.history.append(entry)
        log.info("L-shaped %3d %s: lower %.6g, plan %.6g, best %s EUR (%.1f s)", iteration,
                 entry["phase"], entry["lower"], entry["plan_value"], entry["upper"],
                 entry["seconds"])


def as_plan(keys: list, values: np.ndarray) -> dict:
    """Plan values in the order of `keys` as {variable name: {index: value}}."""
    plan: dict = {}
    for (name, index), value in zip(keys, values):
        plan.setdefault(name, {})[index] = float(value)
    return plan
