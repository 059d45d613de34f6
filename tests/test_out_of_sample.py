"""Out of sample by default: a solve with the study key `out_of_sample` evaluates its plan on
an independent sample and its intervals hold the plan's true figures, known in closed form."""
from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

import optimizer
from optimizer.analysis.out_of_sample import cvar_interval
from optimizer.cli import main
from conftest import TINY, write_dataset, write_study
from test_hand_optima import fractile_case

# The fractile case plans against calm/mid/bad (gap 0, 40, 80 t): stock K = 40 t, each
# scenario costing 10000 + 300 K + 900 (g − K)+ (test_saa). Out of sample the source is cut
# with probability 0.6 to a share U(0, 1): g = 0 with 0.4, g ~ U(0, 100) with 0.6, so
#   E cost      = 22000 + 900·0.6·60²/200                       = 31720
#   P(g > 40)   = 0.6·0.6                                        = 0.36
#   CVaR_0.95   : the worst 5% have g ~ U(91.67, 100), mean 95.83: 22000 + 900·55.83 = 72250
EVENTS = {"events": [{"country": "aa", "yearly_probability": 0.6, "duration_yr": [1, 1],
                      "available_share": [0.0, 1.0], "price_multiplier": [1.0, 1.0]}]}


def fractile_study(tmp_path, samples=400, seed=7):
    write_dataset(tmp_path / "data", fractile_case())
    (tmp_path / "events.yaml").write_text(yaml.safe_dump(EVENTS))
    return write_study(tmp_path, out_of_sample={"samples": samples, "seed": seed,
                                                "events": "events.yaml", "workers": 1})


def test_the_intervals_hold_the_plans_true_figures(tmp_path):
    results = optimizer.solve(fractile_study(tmp_path))
    block = results.summary["out_of_sample"]
    assert block["samples"] == 400 and block["solved"] == 400
    assert block["in_sample"] == pytest.approx({"expected_cost_eur": 29200, "cvar_eur": 58000,
                                                "p_shortfall": 0.2})
    true = {"expected_cost_eur": 31720, "p_shortfall": 0.36,
            "cvar_eur": 22000 + 900 * (100 - 5 / 0.6 / 2 - 40)}
    for key, value in true.items():
        lo, mean, hi = block[key]
        assert lo <= value <= hi, key
        assert lo < mean < hi
    assert block["expected_cost_eur"][2] - block["expected_cost_eur"][0] < 0.1 * 31720


def test_the_sample_is_seeded_and_off_without_the_key(tmp_path):
    first = optimizer.solve(fractile_study(tmp_path / "a", samples=50, seed=3))
    again = optimizer.solve(fractile_study(tmp_path / "b", samples=50, seed=3))
    other = optimizer.solve(fractile_study(tmp_path / "c", samples=50, seed=4))
    keys = ("expected_cost_eur", "cvar_eur", "p_shortfall")
    assert [first.summary["out_of_sample"][k] for k in keys] == \
        [again.summary["out_of_sample"][k] for k in keys]
    assert first.summary["out_of_sample"]["expected_cost_eur"] != \
        other.summary["out_of_sample"]["expected_cost_eur"]
    assert "out_of_sample" not in optimizer.solve(TINY).summary


def test_the_cvar_interval_narrows_with_the_sample():
    """Costs 0..99 (each once) and 0..999: CVaR_0.9 is the mean of the top tenth, 94.5 and
    949.5 (scaled), and the interval's relative width shrinks like 1/√N."""
    import numpy as np

    small = cvar_interval(np.arange(100.0), 0.9, 1.96)
    large = cvar_interval(np.arange(1000.0) / 10, 0.9, 1.96)
    assert small[1] == pytest.approx(94.5) and large[1] == pytest.approx(94.95)
    assert large[2] - large[0] < 0.5 * (small[2] - small[0])


def test_cli_solve_shows_both_figures(tmp_path):
    study = fractile_study(tmp_path, samples=40)
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["solve", str(study), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Out of sample (40 scenarios" in result.output
    assert "probability of any shortfall" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["out_of_sample"]) >= {"samples", "seed", "expected_cost_eur", "cvar_eur",
                                             "p_shortfall", "in_sample"}
    report = CliRunner().invoke(main, ["report", str(out)])
    assert report.exit_code == 0, report.output
    assert "Out of sample" in (out / "report.html").read_text()


def test_a_bad_events_file_is_refused_before_the_solve(tmp_path):
    study = fractile_study(tmp_path)
    (tmp_path / "events.yaml").write_text("events:\n  - {country: aa, yearly_probability: 2}\n")
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["solve", str(study), "--out", str(out)])
    assert result.exit_code == 2 and "events.yaml" in result.output
    assert not out.exists()
