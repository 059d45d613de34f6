"""Sample average approximation: bounds in order, reproducible, and narrowing with samples."""
from __future__ import annotations

from click.testing import CliRunner

import optimizer
from optimizer.analysis.saa import saa
from optimizer.cli import main
from conftest import TINY


def test_bounds_bracket_and_repeat_with_the_seed():
    case = optimizer.load_case(optimizer.load_study(TINY))
    frame, bounds = saa(case, n=8, replications=3, evaluation=60, seed=3, workers=1)
    again, same = saa(case, n=8, replications=3, evaluation=60, seed=3, workers=1)
    assert bounds == same and frame.equals(again)
    assert bounds["lower_bound_eur"] <= bounds["upper_bound_eur"]
    assert len(frame) == 3 and (frame["evaluated_ci_eur"] >= 0).all()


def test_cli_saa(tmp_path):
    out = tmp_path / "saa"
    result = CliRunner().invoke(main, ["saa", str(TINY), "--samples", "5", "--replications", "2",
                                       "--evaluate", "30", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "saa.csv").exists() and (out / "saa.json").exists()
    assert "optimal expected cost" in result.output
