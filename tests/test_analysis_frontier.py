"""The cost-risk frontier: efficient points, cost falling as the risk bound loosens."""
from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import TINY
from optimizer.analysis import frontier
from optimizer.cli import main
from test_analysis_value import case_of
from test_hand_optima import fractile_case

TOL = 1e-6


def assert_efficient(frame, risk_column):
    """Rows ordered by bound: cost never rises and risk never falls as the bound loosens,
    and no point is beaten on both cost and risk by another."""
    cost, risk = list(frame["expected_cost_eur"]), list(frame[risk_column])
    assert (frame["status"] == "optimal").all()
    assert all(b <= a * (1 + TOL) + TOL for a, b in zip(cost, cost[1:]))
    assert all(b >= a * (1 - TOL) - TOL for a, b in zip(risk, risk[1:]))
    assert all(r <= bound * (1 + TOL) + TOL for r, bound in zip(risk, frame["bound"]))
    for i in range(len(frame)):
        for j in range(len(frame)):
            better = cost[j] < cost[i] * (1 - TOL) and risk[j] < risk[i] * (1 - TOL) - TOL
            assert not better, f"point {j} dominates point {i}"


def test_cvar_frontier_runs_from_the_safest_to_the_cheapest_plan(tmp_path):
    """Fractile case, CVaR at α = 0.8 (the bad scenario alone). Stock K from 80 t (CVaR
    min: every scenario costs 34000) to 40 t (E min: E = 29200, bad scenario 16000 + 2000 +
    40·1000 = 58000). Between them the bad scenario costs 400·K + 2000 + 1000·(80 − K) =
    82000 − 600·K and E = 29200 + 120·(K − 40), so E = 29200 + (58000 − CVaR)/5: 5 points
    at CVaR 34000, 40000, ..., 58000 with E 34000, 32800, ..., 29200 and K 80, 70, ..., 40."""
    case = case_of(tmp_path, fractile_case(), risk={"measure": "expected", "alpha": 0.8})
    frame = frontier(case, "cvar", points=5, workers=1)
    assert_efficient(frame, "risk_cvar")
    assert list(frame["risk_cvar"]) == pytest.approx([34000, 40000, 46000, 52000, 58000],
                                                     rel=1e-6)
    assert list(frame["expected_cost_eur"]) == pytest.approx([34000, 32800, 31600, 30400, 29200],
                                                             rel=1e-6)
    assert list(frame["total_stock_t"]) == pytest.approx([80, 70, 60, 50, 40], rel=1e-6)


def test_shortfall_frontier_trades_stock_for_unmet_demand(tmp_path):
    """Expected shortfall: 0.2·(80 − K)⁺ + 0.3·(40 − K)⁺; from K = 80 (no shortfall, E =
    34000) to K = 40 (0.2·40 = 8 t expected, E = 29200)."""
    case = case_of(tmp_path, fractile_case())
    frame = frontier(case, "shortfall", points=3, material="x", workers=1)
    assert_efficient(frame, "risk_shortfall[x]")
    assert list(frame["risk_shortfall[x]"]) == pytest.approx([0, 4, 8], abs=1e-6)
    assert list(frame["expected_cost_eur"]) == pytest.approx([34000, 31600, 29200], rel=1e-6)


def test_a_riskless_study_has_a_one_point_frontier(tmp_path):
    """Without disruption CVaR equals the one scenario's cost: nothing to trade."""
    tables = fractile_case()
    tables["disruptions"] = []
    case = case_of(tmp_path, tables)
    frame = frontier(case, "cvar", points=4, workers=1)
    assert len(frame) == 1
    assert frame["expected_cost_eur"].iloc[0] == pytest.approx(10000)


def test_cli_frontier(tmp_path):
    out = tmp_path / "frontier"
    result = CliRunner().invoke(main, ["frontier", str(TINY), "--points", "3", "--workers", "1",
                                       "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "frontier.csv")
    assert (frame["status"] == "optimal").all()
    for folder in frame["folder"]:
        assert (out / folder / "builds.csv").is_file()
    bad = CliRunner().invoke(main, ["frontier", str(TINY), "--risk", "shortfall", "--material",
                                    "unobtainium", "--out", str(tmp_path / "bad"), "-q"])
    assert bad.exit_code == 2 and not (tmp_path / "bad").exists()
