"""Near-optimal extremes of a model of independent blocks, solved on the blocks they touch.

A model whose materials share no row (blocks.py) costs the sum of its blocks' costs,
C(x) = Σ_k C_k(x_k) + offset, with the free cost-definition columns folded into the
blocks' columns (Blocks.cost). With C* = Σ_k C*_k + offset the reference plan's cost and
C*_k its block k's share (the folded cost over block k's columns at the reference plan),
the plans within slack s are those with Σ_k C_k(x_k) ≤ Σ_k C*_k + s·|C*|. A decision over
the columns of the blocks K alone is extreme where every other block stays at its reference
plan (the cheapest it can be, up to the reference's own gap) and leaves K the whole slack:

    extreme of d over { x_K : Σ_{k∈K} C_k(x_k) ≤ Σ_{k∈K} C*_k + s·|C*| }

an LP or MIP over K's columns and rows only, much smaller than the whole. A decision over a
defined column has that column substituted from its row first, so it too reads columns of
blocks. Decisions touching the same blocks share one kept model (solve_extremes.extremes_in:
held, relaxed or MIP, as over the whole model).
"""
from __future__ import annotations

import logging
import time
from itertools import groupby
from operator import itemgetter

import highspy
import numpy as np

from .blocks import folded, split
from .case import Case
from .formulation.decisions import Decision, decision_expression
from .highs import loaded_highs, standard_form
from .solve_extremes import Reference, decision_costs, extremes as whole_extremes, extremes_in, \
    loaded_model

log = logging.getLogger(__name__)


def extremes(case: Case, reference: Reference, slack: float, jobs: list[tuple[Decision, str]],
             gap: float, time_limit_s: float, integers: str = "mip", part: tuple[int, int] = (0, 1)
             ) -> dict[int, tuple[float, float, str]]:
    """{job index: solve_extremes.extremes' answer} for part k of n (`part`) of `jobs`, block
    by block where the model splits (module doc), over the whole model where it does not.
    The n parts together hold every job once, whichever process computes them (`shares`)."""
    k, n = part
    model = loaded_model(case, reference)
    built = standard_form(model)
    form, _, columns = built
    blocks = split(form) if case.study.solver.blocks else None
    if blocks is None:
        mine = range(len(jobs) * k // n, len(jobs) * (k + 1) // n)
        return dict(zip(mine, whole_extremes(case, reference, slack, [jobs[i] for i in mine],
                                             gap, time_limit_s, integers, built=(model, built))))
    x = np.array([v.value or 0.0 for v in columns])
    start = np.array([round(value) if v.is_integer() else value
                      for v, value in zip(columns, x)])
    label = np.full(len(columns), -1)
    for b, cols in enumerate(blocks.columns):
        label[cols] = b
    share = np.array([blocks.cost[cols] @ x[cols] for cols in blocks.columns])
    allowance = slack * abs(reference.objective_eur) / model.eur_per_objective_unit
    position = {id(v): j for j, v in enumerate(columns)}
    groups: dict[tuple[int, ...], list] = {}
    for i, (decision, sense) in enumerate(jobs):
        costs, constant = folded(form, blocks, *decision_costs(
            decision_expression(model, case, decision), position, len(columns), sense))
        touched = tuple(sorted(set(label[np.flatnonzero(costs)].tolist())))
        groups.setdefault(touched, []).append((i, (costs, constant), decision, sense))
    size = {touched: sum(len(blocks.columns[b]) for b in touched) for touched in groups}
    # a block's extremes side by side, so that a part's extremes on one block share a model
    order = sorted(groups, key=lambda touched: -size[touched])
    items = [(touched, item) for touched in order for item in groups[touched]]
    weights = [float(size[touched]) ** 2 for touched, _ in items]
    found: dict[int, tuple[float, float, str]] = {}
    for touched, mine in groupby([items[p] for p in shares(weights, n)[k]], key=itemgetter(0)):
        found.update(_on_blocks(case, form, blocks, touched, [item for _, item in mine], start,
                                float(share[list(touched)].sum() + allowance), gap,
                                time_limit_s, integers))
    return found


def shares(weights: list[float], parts: int) -> list[list[int]]:
    """Positions 0..len(weights)−1 shared out into `parts` of nearly equal total weight, an
    estimate of time (a parallel run waits for its slowest part): heaviest first, each to the
    part with the least weight so far, on a tie the part that took the one before. Equal
    weights go 0, 1, 1, 0, 0, 1...: a decision's min and max (side by side) to different
    parts, and not every min to the same one. Each part's positions in increasing order.

    An extreme's weight is the square of its blocks' columns: on the EU default the 32,869
    columns of the rare-earth block took 8 s an extreme, the 15,952 of cobalt's 1.1 s and
    blocks of 6-9,000 columns 0.05-0.4 s (by primal simplex, one thread, at a load of 3). Within a block they
    range from none to 40 s: spreading a block's extremes over every part evens that out."""
    load = [0.0] * parts
    out: list[list[int]] = [[] for _ in range(parts)]
    last = 0
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
        least = min(load)
        k = last if load[last] == least else load.index(least)
        out[k].append(i)
        load[k] += weights[i]
        last = k
    return [sorted(part) for part in out]


def _on_blocks(case: Case, form, blocks, touched: tuple[int, ...], items: list,
               start: np.ndarray, budget: float, gap: float, time_limit_s: float,
               integers: str) -> dict[int, tuple[float, float, str]]:
    """{job index: extreme} of `items` [(index, (costs, constant), decision, sense)], all
    over the blocks `touched`, on one kept model of those blocks within `budget`."""
    if not touched:            # a constant: the same in every plan
        return {i: (constant / decision.divisor, constant / decision.divisor, "optimal")
                for i, (_, constant), decision, _ in items}
    began = time.perf_counter()
    cols = np.concatenate([blocks.columns[b] for b in touched])
    rows = np.concatenate([blocks.rows[b] for b in touched])
    log.debug("%d extremes on blocks %s: %d columns, %d rows", len(items), touched, len(cols),
              len(rows))
    h = loaded_highs(form.lp(cols, rows, blocks.cost))
    cost = blocks.cost[cols]
    used = np.flatnonzero(cost)
    h.addRow(-highspy.kHighsInf, budget, len(used), used.astype(np.int32), cost[used])
    objectives = [((costs[cols], constant), decision, sense)
                  for _, (costs, constant), decision, sense in items]
    results = extremes_in(h, form.integer[cols].tolist(), start[cols], objectives,
                          case.study.solver, gap, time_limit_s, integers)
    log.debug("blocks %s: %d extremes in %.1f s", touched, len(items),
              time.perf_counter() - began)
    return {i: result for (i, *_), result in zip(items, results)}
