"""Which decisions move within the solver's gap: ranges on the fractile stockpile by hand."""
from __future__ import annotations

import pytest

from optimizer.report.text import plain_summary
from test_hand_optima import fractile_case


def ranges(results) -> dict:
    return {(d["decision"], d["material"]): d for d in results.summary["within_gap"]["decisions"]}


def gap(g: float) -> dict:
    return {"solver": {"mip_rel_gap": g, "time_limit_s": 60, "threads": 1, "decision_ranges": True}}


def test_a_unique_optimum_is_firm_at_gap_zero(hand):
    """E cost = 10000 + 300 K + 900 E(g − K)+: slope −150 below K* = 40, +120 above."""
    stock = ranges(hand(fractile_case(), **gap(0.0)))["stock_t", "x"]
    assert (stock["low"], stock["value"], stock["high"]) == pytest.approx((40, 40, 40), abs=1e-6)
    assert stock["firm"]


def test_the_gap_opens_the_range_its_cost_allows(hand):
    """At a 5% gap plans up to 29200·1.05 could have been returned: K from 40 − 1460/150 to
    40 + 1460/120, wider than 5% of demand (100 t): loose, and said so. At 1% the range
    (38.05 to 42.43) is narrower than that: firm."""
    results = hand(fractile_case(), **gap(0.05))
    assert results.summary["within_gap"]["cap_eur"] == pytest.approx(30660)
    stock = ranges(results)["stock_t", "x"]
    assert stock["low"] == pytest.approx(40 - 1460 / 150, rel=1e-6)
    assert stock["high"] == pytest.approx(40 + 1460 / 120, rel=1e-6)
    assert not stock["firm"]
    assert "x stock 30 to 52 t" in plain_summary(results)
    narrow = ranges(hand(fractile_case(), **gap(0.01)))["stock_t", "x"]
    assert (narrow["low"], narrow["high"]) == pytest.approx((40 - 292 / 150, 40 + 292 / 120))
    assert narrow["firm"]


def test_a_flat_optimum_is_loose_even_at_gap_zero(hand):
    """With P(bad) = 1/3 the fractile h/(c − p) = 1/3 holds on all of 40 <= K <= 80."""
    tables = fractile_case()
    tables["scenarios"] = [{"scenario": "calm", "probability": 0.5},
                           {"scenario": "mid", "probability": 1 / 6},
                           {"scenario": "bad", "probability": 1 / 3}]
    stock = ranges(hand(tables, **gap(0.0)))["stock_t", "x"]
    assert (stock["low"], stock["high"]) == pytest.approx((40, 80), abs=1e-6)
    assert not stock["firm"]
