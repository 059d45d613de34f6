"""Sample average approximation: the multiple-replication procedure's interval covers a known
optimum at its stated rate; bounds in order; reproducible; the CLI."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

import optimizer
from optimizer.analysis.disruptions import EventRule, Events
from optimizer.analysis.saa import saa
from optimizer.cli import main
from conftest import TINY, one_material
from test_analysis_value import case_of

# The newsvendor stockpile (test_hand_optima.fractile_case with a continuous disruption):
# one year, demand 100 t, one source of 100 t at 100 EUR/t (spot at the same price), stock
# filled at 100 plus 300 holding, drawn in a disruption or valued at 100 at the end,
# shortage 1000 EUR/t. With stock K and a supply gap g (0 <= K, g <= 100) a scenario costs
#     cost(K, g) = 10000 + 300 K + 900 (g − K)+.
# The source is cut with probability P = 0.6, to a share U(0, 1), so g = 0 with 1 − P and
# g ~ U(0, 100) with P. E cost = 10000 + 300 K + 900 P (100 − K)² / 200, least at the
# critical fractile P (1 − K*/100) = 300/900: K* = 100 (1 − 1/(3P)).
P = 0.6
EVENTS = Events(events=(EventRule(country="aa", yearly_probability=P, duration_yr=(1, 1),
                                  available_share=(0.0, 1.0), price_multiplier=(1.0, 1.0)),))


def newsvendor_cost(k: float) -> float:
    return 10000 + 300 * k + 900 * P * (100 - k) ** 2 / 200


K_STAR = 100 * (1 - 1 / (3 * P))
V_STAR = newsvendor_cost(K_STAR)      # 31666.67 EUR


@pytest.fixture(scope="module")
def newsvendor(tmp_path_factory):
    return case_of(tmp_path_factory.mktemp("newsvendor"), one_material())


def test_the_interval_covers_the_known_optimum_in_at_least_90_percent_of_replications(
        newsvendor):
    """40 seeded runs of the procedure (N = 20, R = 5, N' = 200), each bound one-sided at
    95%: [lower, upper] holds v* with probability at least 90%."""
    covered, gaps = 0, []
    for k in range(40):
        _, bounds = saa(newsvendor, EVENTS, n=20, replications=5, evaluation=200,
                        seed=1000 * k + 1, workers=1)
        covered += bounds["lower_bound_eur"] <= V_STAR <= bounds["upper_bound_eur"]
        gaps.append(bounds["gap_bound_eur"])
    assert covered >= 36
    assert min(gaps) >= 0.0


def test_the_candidate_is_judged_on_samples_it_was_not_chosen_on(newsvendor):
    """Each replication's gap is the candidate's cost on that replication's sample less the
    sample's optimum, which the candidate, chosen on another sample, cannot beat; its cost
    on the evaluation sample is at least the lower bound on v*."""
    frame, bounds = saa(newsvendor, EVENTS, n=20, replications=6, evaluation=400, seed=5,
                        workers=1)
    assert 5 not in set(frame["seed"])
    assert (frame["candidate_cost_eur"] >= frame["saa_bound_eur"] - 1e-6).all()
    assert (frame["gap_eur"] == frame["candidate_cost_eur"] - frame["saa_bound_eur"]).all()
    assert bounds["candidate_cost_eur"] >= bounds["lower_bound_eur"]
    assert bounds["gap_bound_eur"] >= frame["gap_eur"].mean()


def test_more_samples_narrow_the_gap_bound(newsvendor):
    small = saa(newsvendor, EVENTS, n=10, replications=5, evaluation=100, seed=7, workers=1)[1]
    large = saa(newsvendor, EVENTS, n=80, replications=5, evaluation=100, seed=7, workers=1)[1]
    assert large["gap_bound_eur"] < small["gap_bound_eur"]


def test_bounds_bracket_and_repeat_with_the_seed():
    case = optimizer.load_case(optimizer.load_study(TINY))
    frame, bounds = saa(case, n=8, replications=3, evaluation=60, seed=3, workers=1)
    again, same = saa(case, n=8, replications=3, evaluation=60, seed=3, workers=1)
    timing = "candidate_solve_s"    # wall-clock seconds: the one figure no seed repeats
    assert {k: v for k, v in bounds.items() if k != timing} == \
        {k: v for k, v in same.items() if k != timing} and frame.equals(again)
    assert bounds["lower_bound_eur"] <= bounds["upper_bound_eur"]
    assert len(frame) == 3 and list(frame["seed"]) == [4, 5, 6]


def test_cli_saa(tmp_path):
    out = tmp_path / "saa"
    result = CliRunner().invoke(main, ["saa", str(TINY), "--samples", "5", "--replications", "2",
                                       "--evaluate", "30", "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "saa.csv").exists()
    bounds = json.loads((out / "saa.json").read_text())
    assert bounds["replications"] == 2 and bounds["interval_level"] == pytest.approx(0.9)
    assert "optimal expected cost" in result.output and "optimality gap" in result.output


def test_cli_saa_with_a_reduced_candidate_and_stratified_samples(tmp_path):
    """--draw reduces the candidate's sample only: the replications keep their N equally
    likely stratified paths, so each gap is still a candidate cost less its own optimum."""
    out = tmp_path / "saa"
    result = CliRunner().invoke(main, ["saa", str(TINY), "--samples", "4", "--replications", "2",
                                       "--evaluate", "20", "--stratified", "--draw", "12",
                                       "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    bounds = json.loads((out / "saa.json").read_text())
    assert bounds["stratified"] is True and bounds["draw"] == 12
    frame = pd.read_csv(out / "saa.csv")
    assert (frame["candidate_cost_eur"] >= frame["saa_bound_eur"] - 1e-6).all()
    refused = CliRunner().invoke(main, ["saa", str(TINY), "--samples", "4", "--draw", "3",
                                        "--out", str(tmp_path / "no")])
    assert refused.exit_code == 2 and not (tmp_path / "no").exists()
