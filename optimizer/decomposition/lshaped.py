"""The L-shaped loop: master (master.py) against the scenario LPs (subproblems.py).

Two phases, as usual for a MIP first stage:

1. LP phase: the master's LP relaxation (integers relaxed), stabilised by a trust region:
   the master is solved in a box around the best point so far (the centre), a share of
   each variable's range, and cut at its solution. A solution that lowers F enough moves
   the centre (and widens the box); after three that do not, the box shrinks. Plain
   Kelley cuts (the master unrestricted) took 87 rounds on 10 EU scenarios and stalled
   1% short. The first centre is the plan of the expected-value problem's LP relaxation
   (start.py): F there is 123 bn EUR on 100 EU scenarios, against 284 bn at the cheapest
   plan and 391 bn at the unrestricted master cut once there, the start before (which
   reached 98 bn in round 9, this one in round 4). Every few rounds, or when the
   box promises little, the unrestricted master gives the lower bound; the phase ends
   when the centre is within LP_GAP_SHARE of the gap asked for of it. Where the study
   splits into independent blocks (block_cuts.py) the cuts are per block and so is the
   trust region (its centre, box and steps), blocks joined by a first-stage row sharing
   one: F and the master are sums over them. The master drops the cuts that stay slack
   (cuts.py). 12 rounds on 100 EU scenarios, 15 on 30, 21 on 10, 18 on 1,000 (from the
   old start, to half the gap: 25, 29, 32, 39).
2. MIP phase: the LP phase's centre with its integers rounded up (the block solve's rule,
   block_solve.rounded_up) and fixed, its continuous part optimised by the same
   trust-region loop, which stops as soon as the best whole plan is within the gap of the
   lower bound: a whole plan, and the upper bound, from LP rounds only. On 100 EU
   scenarios the LP bound is 0.45% below the extensive form's optimum (89.46 against
   89.86 bn EUR), so the rounding has little room: a centre further from the LP optimum
   can round to integers no continuous part brings within the gap (from a centre at half
   the gap, 1.7% above the bound; the master MIPs below then took 33 s more), hence
   LP_GAP_SHARE 0.3; there the
   rounded plan is within the gap at once on 10, 30 and 100 scenarios (0.9%), after four
   rounds on 1,000 (0.84%). Otherwise, while (UB − LB)/UB is above the study's
   mip_rel_gap, the master MIP (to half the gap asked for, each solve at most
   MASTER_TIME_S) in a box around the best plan, each integer free to move one unit (local
   branching): its plan x̂ is evaluated on every scenario and cut; after STALL plans no
   better, unboxed, its dual bound a lower bound too. (Master MIPs straight after the LP
   phase, unboxed or in a box around its centre, gave plans 3-9% above the
   bound on 10 EU scenarios, one to four minutes a MIP: each jumped where no cut was.)

F(x̂) = first_stage_cost(x̂) + Σ_w p_w·Q_w(x̂) [+ λ·CVaR_α(first_stage_cost(x̂) + Q_w(x̂))] is
the cost of plan x̂ on every scenario: the upper bound UB is the least F over the MIP phase's
plans. The lower bound LB is the master's (its LP optimum, then its MIP dual bound): each
θ_w is below Q_w, so the master relaxes the study. Both bounds are on the study's objective
over the same scenarios: (UB − LB)/UB is a certified gap.
"""
from __future__ import annotations

import logging
import math
import time

import numpy as np
import pandas as pd

from .. import results as R
from ..analysis.parallel import allocate
from ..case import Case
from ..formulation.terms import MONEY
from .master import Master, MasterSolution
from .outcome import Decomposition, as_plan
from .start import expected_value_plan
from .subproblems import Workers

log = logging.getLogger(__name__)
LP_GAP_SHARE = 0.3        # the LP phase ends when the relaxation's gap is this share of the gap
MASTER_GAP_SHARE = 0.5    # the master MIP is solved to this share of the gap asked for
MASTER_TIME_S = 300.0     # ... each solve for at most this long
RADIUS = 0.05             # the trust region's first half-width, a share of each range
SERIOUS = 0.1             # a step moves the centre when F falls by this share of the promise
BOUND_EVERY = 5           # rounds between unrestricted solves (lower bounds) in the LP phase
STALL = 3                 # MIP phase: boxed MIPs that find no better plan before the unboxed


def plan_value(case: Case, first_stage: float, values: np.ndarray, weight: float) -> float:
    """F(x̂) in the model's money: first stage + expected recourse (+ weight·CVaR)."""
    probability = np.array([case.probability[w] for w in case.scenario_ids])
    value = first_stage + float(probability @ values)
    if weight:
        totals = pd.Series(first_stage + values, index=case.scenario_ids)
        value += weight * R.cvar(totals, case.probability, case.study.risk.alpha)
    return value


def decompose(case: Case, workers: int | None = None, gap: float | None = None,
              time_limit_s: float | None = None, tables: bool = False,
              duals: bool = False) -> Decomposition:
    """Run the L-shaped method on `case` with `workers` processes (default: one per core,
    at most one per scenario); `gap` and `time_limit_s` default to the study's. With
    `tables`, the workers also read the best plan's tables off their scenario LPs
    (Decomposition.parts, plan_tables.py), with the row duals why.csv reads when `duals`."""
    settings = case.study.solver
    gap = settings.mip_rel_gap if gap is None else gap
    limit = settings.time_limit_s if time_limit_s is None else time_limit_s
    started = time.perf_counter()
    workers, _ = allocate(len(case.scenario_ids), workers)
    found = Decomposition("feasible", None, None, None, workers=workers)
    with Workers(case, workers) as pool:
        master = Master(case, pool.block_of_plan)
        log.info("L-shaped: %d scenarios on %d worker(s), %d plan variables in %d block(s) "
                 "(%d trust regions), ready in %.1f s", len(case.scenario_ids),
                 workers, len(master.keys), master.n_blocks, master.part_of_block.max() + 1,
                 time.perf_counter() - started)
        loop = _Loop(case, master, pool, gap, started + limit, found)
        if loop.lp_phase():
            found.lp_iterations = loop.iteration
            loop.mip_phase()
        found.iterations = loop.iteration
        lower, best = loop.lower, loop.best
        found.seconds = time.perf_counter() - started
        if tables and found.plan is not None:
            plan = np.array([found.plan[name][index] for name, index in master.keys])
            found.parts = pool.tables(plan, duals)
    found.cuts = master.cuts
    found.lower_eur = lower / MONEY if math.isfinite(lower) else None
    found.upper_eur = best / MONEY if math.isfinite(best) else None
    log.info("L-shaped: %s after %d rounds (%d in the LP phase), %d cuts, %.1f s; "
             "bounds %s - %s EUR, gap %s", found.status, found.iterations, found.lp_iterations,
             found.cuts, found.seconds, found.lower_eur, found.upper_eur, found.gap)
    return found


class _Loop:
    """The two phases' state: bounds (model money), the best plan, rounds so far."""

    def __init__(self, case: Case, master: Master, pool: Workers, gap: float, deadline: float,
                 found: Decomposition):
        self.case, self.master, self.pool, self.gap = case, master, pool, gap
        self.deadline, self.found, self.started = deadline, found, time.perf_counter()
        self.lower, self.best, self.iteration = -math.inf, math.inf, 0
        # the trust region's parts: blocks, or blocks joined by a first-stage row
        self.part = master.part_of_block[master.block_of_plan]
        self.parts = int(master.part_of_block.max()) + 1
        self.evaluated = None

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def closed(self, share: float = 1.0) -> bool:
        return self.best - self.lower <= share * self.gap * abs(self.best)

    def cut(self, plan: np.ndarray, phase: str) -> np.ndarray | None:
        """Q_w(plan) on every scenario, a cut each (per block); F(plan) per part of the trust
        region (F_b when the master is a sum over blocks, else F in one part), whose sum is
        also the upper bound when the plan's integers are whole (None when a scenario's LP
        failed)."""
        cuts = self.pool.evaluate(plan)
        failed = [c for c in cuts if c.status != "optimal"]
        if failed:
            log.error("L-shaped: scenario %s's LP is %s at the plan", failed[0].scenario,
                      failed[0].status)
            self.found.status = "error"
            return None
        master = self.master
        master.add_cuts(plan, cuts)
        self.iteration += 1
        self.evaluated = plan.copy()
        first_stage = float(master.plan_cost @ plan) + master.cost_constant
        value = plan_value(self.case, first_stage, np.array([c.value for c in cuts]),
                           master.weight)
        integer = master.integer
        whole = np.all(np.abs(plan[integer] - np.round(plan[integer])) <= 1e-6)
        if whole and value < self.best:
            self.best, self.found.plan = value, as_plan(master.keys, plan)
        self.found.record(self.iteration, phase, self.lower, value, self.best, self.started)
        if self.parts == 1:
            return np.array([value])
        shares = np.array([c.blocks for c in cuts])
        return self.by_part(master.block_values(plan, master.probability @ shares))

    def by_part(self, per_block: np.ndarray) -> np.ndarray:
        return np.bincount(self.master.part_of_block, weights=per_block, minlength=self.parts)

    def bound(self, valid: bool = True) -> MasterSolution | None:
        """The unboxed master's LP optimum: a lower bound when `valid` (no integer fixed)."""
        self.master.within(None)
        solution = self.master.solve(True, self.gap, max(self.left(), 1.0))
        if valid and solution.bound is not None:
            self.lower = max(self.lower, solution.bound)
        return solution

    def lp_phase(self) -> bool:
        """The trust-region loop on the LP relaxation from the expected-value problem's plan
        (start.py; the cheapest plan when it has none); False when it failed."""
        center = expected_value_plan(self.case, self.master.lower)
        if center is None:
            center = self.master.lower.copy()
        values = self.cut(center, "lp")
        return values is not None and self.trust_region("lp", center, values)

    def trust_region(self, phase: str, center: np.ndarray | None = None,
                     values: np.ndarray | None = None) -> bool:
        """Cut the master LP in a box around the centre (`center`, F there per part `values`;
        else the unboxed master's plan) until the centre is within LP_GAP_SHARE of the gap
        of the unboxed master's optimum (in the MIP phase, whose integers are fixed, that
        optimum bounds nothing; there it also ends as soon as the best whole plan is within
        the gap of the lower bound); False when it failed. With the
        master a sum over blocks each block has its own centre, box and steps (F and the
        master's model of it are sums over blocks too); the centre is then the blocks'
        centres together, whose F is the sum of theirs, and is evaluated as a whole at the
        end of the rounded phase (its upper bound)."""
        master, valid, floor = self.master, phase == "lp", -math.inf
        if center is None:
            start = self.bound(valid)
            if start.plan is None:
                return False
            floor, center = start.bound, start.plan.copy()
            values = self.cut(center, phase)
        radius, nulls = np.full(self.parts, RADIUS), np.zeros(self.parts, int)
        while values is not None and self.left() > 0:
            if not valid and self.closed():
                self.center = center
                return True
            total = float(values.sum())
            if total - max(floor, self.lower if valid else -math.inf) <= \
                    LP_GAP_SHARE * self.gap * abs(total):
                self.center = center
                return self.settle(center, phase)
            master.within(center, radius[self.part])
            step = master.solve(True, self.gap, self.left())
            if step.plan is None:
                return False
            model = self.by_part(step.blocks) if self.parts > 1 else np.array([step.objective])
            promise = values - model
            tried = self.cut(step.plan, phase)
            if tried is None:
                return False
            serious = tried <= values - SERIOUS * promise
            radius[serious & (tried <= values - 0.5 * promise)] *= 2
            radius = np.minimum(radius, 1.0)
            moved = serious[self.part]
            center[moved] = step.plan[moved]
            values[serious], nulls[serious] = tried[serious], 0
            nulls[~serious] += 1
            radius[nulls == 3] /= 2
            nulls[nulls == 3] = 0
            if promise.sum() <= LP_GAP_SHARE * self.gap * abs(values.sum()) or \
                    self.iteration % BOUND_EVERY == 0:
                floor = max(floor, self.bound(valid).bound)
        self.center = center
        if values is not None and phase != "lp":
            self.settle(center, phase)
        return False

    def settle(self, center: np.ndarray, phase: str) -> bool:
        """The rounded phase's centre, made of the blocks' centres, evaluated as a whole (it
        was not, block by block it was): its F is an upper bound."""
        if phase == "lp" or (self.evaluated is not None and
                             np.array_equal(center, self.evaluated)):
            return True
        return self.cut(center, phase) is not None

    def mip_phase(self) -> None:
        """First the LP phase's centre with its integers rounded and fixed, its continuous
        part optimised by the trust-region loop (LP rounds only). Then, until the gap
        closes, master MIPs in a box around the best plan (each integer one unit either
        way), which halves when its plan does no better; after STALL such plans, unboxed:
        its dual bound is a lower bound too."""
        master = self.master
        master.fix_integers(master.rounded(self.center))
        finished = self.trust_region("rounded")
        master.fix_integers(None)
        center, value, radius, misses = self.center, self.best, RADIUS, 0
        while finished and self.left() > 0 and not self.closed():
            boxed = misses < STALL
            master.within(center if boxed else None, radius)
            solution = master.solve(False, self.gap * MASTER_GAP_SHARE,
                                    min(self.left(), MASTER_TIME_S))
            if solution.plan is None:
                return
            if not boxed:
                self.lower = max(self.lower, solution.bound)
                if self.closed():
                    break
            tried = self.cut(solution.plan, "mip")
            if tried is None:
                return
            tried = float(tried.sum())
            if tried < value:
                center, value = solution.plan, tried
            else:
                radius, misses = radius / 2, misses + 1
        if self.closed():
            self.found.status = "optimal"
        else:
            log.warning("L-shaped: stopped by its time limit")
