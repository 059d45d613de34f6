"""The master's cut rows (optimizer/decomposition/cuts.py): a cut slack in STALE LP solves in
a row goes, one that binds stays, and the master's optimum and basis survive the deletion."""
from __future__ import annotations

import highspy
import numpy as np

from optimizer.decomposition.cuts import STALE, CutRows
from optimizer.highs import new_highs

INF = highspy.kHighsInf
POINTS = [0.0, 1.0, 2.5, 4.0]       # tangents of f(x) = (x − 2)² at these points


def tangent_master() -> tuple[highspy.Highs, CutRows]:
    """min θ over x ≥ 0 with a row x ≤ 4 ahead of the cuts θ ≥ f(x_k) + f'(x_k)·(x − x_k):
    θ ≥ 4 − 4x, 3 − 2x, x − 2.25, 4x − 12. By hand, the optimum is where 3 − 2x and
    x − 2.25 cross, x = 1.75, θ = −0.5; the tangents at 0 and 4 are slack there."""
    h = new_highs()
    h.addCols(2, np.array([0.0, 1.0]), np.array([0.0, -INF]), np.array([INF, INF]), 0,
              np.array([], dtype=np.int32), np.array([], dtype=np.int32), np.array([]))
    h.addRows(1, np.array([-INF]), np.array([4.0]), 1, np.array([0], dtype=np.int32),
              np.array([0], dtype=np.int32), np.array([1.0]))
    rows = CutRows(h, h.getNumRow())
    for point in POINTS:     # θ − f'(x_k)·x ≥ f(x_k) − f'(x_k)·x_k
        slope = 2 * (point - 2)
        h.addRows(1, np.array([(point - 2) ** 2 - slope * point]), np.array([INF]), 2,
                  np.array([0], dtype=np.int32), np.array([0, 1], dtype=np.int32),
                  np.array([-slope, 1.0]))
    rows.added(len(POINTS))
    return h, rows


def solved(h: highspy.Highs, rows: CutRows) -> tuple[float, float]:
    h.run()
    rows.seen()
    x, theta = h.getSolution().col_value
    return x, theta


def test_cuts_slack_in_stale_solves_go_and_the_optimum_stays():
    h, rows = tangent_master()
    for _ in range(STALE - 1):
        assert np.allclose(solved(h, rows), (1.75, -0.5))
    rows.prune()                          # slack one solve too few: all kept
    assert h.getNumRow() == 1 + len(POINTS) and rows.dropped == 0
    solved(h, rows)
    rows.prune()                          # the tangents at 0 and 4 go, x ≤ 4 is no cut
    assert rows.dropped == 2 and rows.kept == 2 and h.getNumRow() == 3
    assert np.allclose(solved(h, rows), (1.75, -0.5))
    assert h.getInfo().simplex_iteration_count == 0      # the rest's basis kept


def test_a_cut_that_binds_again_starts_counting_afresh():
    h, rows = tangent_master()
    for _ in range(STALE - 1):
        solved(h, rows)
    h.changeColBounds(0, 3.5, INF)        # x ≥ 3.5: θ = 4x − 12 = 2 at x = 3.5
    assert np.allclose(solved(h, rows), (3.5, 2.0))
    rows.prune()                          # the tangent at 0 only: slack in STALE solves
    assert rows.dropped == 1 and rows.kept == 3
    assert np.allclose(solved(h, rows), (3.5, 2.0))
