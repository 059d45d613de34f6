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
             gap: float, time_limit_s: float, integers: str = "mip"
             ) -> list[tuple[float, float, str]]:
    """solve_extremes.extremes' answer, block by block where the model splits (module doc);
    over the whole model where it does not."""
    model = loaded_model(case, reference)
    built = standard_form(model)
    form, _, columns = built
    blocks = split(form) if case.study.solver.blocks else None
    if blocks is None:
        return whole_extremes(case, reference, slack, jobs, gap, time_limit_s, integers,
                              built=(model, built))
    x = np.array([v.value or 0.0 for v in columns])
    start = np.array([round(value) if v.is_integer() else value
                      for v, value in zip(columns, x)])
    label = np.full(len(columns), -1)
    for b, cols in enumerate(blocks.columns):
        label[cols] = b
    share = np.array([blocks.cost[cols] @ x[cols] for cols in blocks.columns])
    allowance = slack * abs(reference.objective_eur) / model.eur_per_objective_unit
    position = {id(v): j for j, v in enumerate(columns)}
    found: list = [None] * len(jobs)
    groups: dict[tuple[int, ...], list] = {}
    for i, (decision, sense) in enumerate(jobs):
        costs, constant = folded(form, blocks, *decision_costs(
            decision_expression(model, case, decision), position, len(columns), sense))
        touched = tuple(sorted(set(label[np.flatnonzero(costs)].tolist())))
        if not touched:            # a constant: the same in every plan
            found[i] = (constant / decision.divisor, constant / decision.divisor, "optimal")
            continue
        groups.setdefault(touched, []).append((i, (costs, constant), decision, sense))
    for touched, items in groups.items():
        cols = np.concatenate([blocks.columns[b] for b in touched])
        rows = np.concatenate([blocks.rows[b] for b in touched])
        log.debug("%d extremes on blocks %s: %d columns, %d rows", len(items), touched,
                  len(cols), len(rows))
        h = loaded_highs(form.lp(cols, rows, blocks.cost))
        cost = blocks.cost[cols]
        used = np.flatnonzero(cost)
        h.addRow(-highspy.kHighsInf, float(share[list(touched)].sum() + allowance), len(used),
                 used.astype(np.int32), cost[used])
        objectives = [((costs[cols], constant), decision, sense)
                      for _, (costs, constant), decision, sense in items]
        results = extremes_in(h, form.integer[cols].tolist(), start[cols], objectives,
                              case.study.solver, gap, time_limit_s, integers)
        for (i, *_), result in zip(items, results):
            found[i] = result
    return found

