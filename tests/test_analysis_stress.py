"""Stress tests: the kept model reproduces in-sample costs; samples are seeded and as drawn."""
from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import optimizer
from conftest import TINY
from optimizer.analysis import stress
from optimizer.analysis.disruptions import EventRule, Events, sample
from optimizer.analysis.held import HeldModel
from optimizer.analysis.stress import run_samples, summarize, training_samples
from optimizer.cli import main
from optimizer.plan import Plan
from test_analysis_value import case_of
from test_hand_optima import cap_case, fractile_case


@pytest.fixture(scope="module")
def tiny():
    case = optimizer.load_case(optimizer.load_study(TINY))
    results = optimizer.solve_case(case)
    return case, results, Plan.of(results, case)


def test_replaying_the_training_scenarios_reproduces_the_in_sample_cost(tiny):
    case, results, plan = tiny
    samples, summary = stress(case, plan, training=True)
    assert list(samples["sample"]) == case.scenario_ids
    mean = summary.set_index("metric").at["total_cost_eur", "mean"]
    assert mean == pytest.approx(results.summary["expected_cost_eur"], rel=1e-9)


def test_the_replay_lifts_the_country_cap_in_disrupted_years(tmp_path):
    """cap_case with a 50% cap: aa sells at 100, bb at 150 EUR/t, spot 1.3x. The plan
    contracts 50 t from each. In bb_cut bb delivers half (25 t) and, x being disrupted, the
    cap is lifted: 25 t more from aa at spot 130: 5000 + 3750 + 3250 = 12000 (calm 12500).
    Were the cap kept, the 25 t would come from bb's spot at 195: 13625."""
    tables = cap_case()
    tables["scenarios"] = [{"scenario": "calm", "probability": 0.5},
                           {"scenario": "bb_cut", "probability": 0.5}]
    tables["disruptions"] = [{"scenario": "bb_cut", "material": "x", "country": "bb",
                              "year_from": 2026, "year_to": 2026, "available_share": 0.5}]
    case = case_of(tmp_path, tables, policy={"max_country_share": 0.5})
    plan = Plan.of(optimizer.solve_case(case), case)
    # one kept model: the same rows switched off, on, off again...
    samples = run_samples(case, plan, training_samples(case) * 3)
    assert samples["policy_met"].all()
    assert list(samples["total_cost_eur"]) == pytest.approx([12500, 12000] * 3)


def test_the_kept_template_gives_each_scenario_its_own_cost(tmp_path):
    """Fractile case, K = 40 held: calm 16000 + 10000 − 4000, mid 16000 + 6000, bad 16000 +
    2000 + 40·1000 (test_hand_optima); the template sees them in any order."""
    case = case_of(tmp_path, fractile_case())
    plan = Plan.of(optimizer.solve_case(case), case)
    samples, summary = stress(case, plan, training=True)
    cost = samples.set_index("sample")["total_cost_eur"]
    assert cost.to_dict() == pytest.approx({"calm": 22000, "mid": 22000, "bad": 58000})
    short = samples.set_index("sample")["shortfall_t[x]"]
    assert short.to_dict() == pytest.approx({"calm": 0, "mid": 0, "bad": 40})
    row = summary.set_index("metric").loc["total_cost_eur"]
    assert row["mean"] == row["ci_low"] == row["ci_high"] == pytest.approx(29200)
    assert summary.set_index("metric").at["p_any_shortfall", "mean"] == pytest.approx(0.2)


def test_samples_are_reproducible_and_seeded(tiny):
    case, _, plan = tiny
    events = Events(events=(EventRule(country="cn", yearly_probability=0.3),))
    first, _ = stress(case, plan, n=20, seed=3, events=events)
    again, _ = stress(case, plan, n=20, seed=3, events=events)
    other, _ = stress(case, plan, n=20, seed=4, events=events)
    pd.testing.assert_frame_equal(first, again)
    assert not first["total_cost_eur"].equals(other["total_cost_eur"])


def test_the_generator_draws_what_the_rules_say(tiny):
    case, _, plan = tiny
    cn = case.sources.index[case.sources["country"] == "cn"]
    never = sample(case, Events(events=(EventRule(yearly_probability=0.0),)), 3, seed=1)
    assert all(set(s.availability.values()) == {1.0} and not s.disrupted for s in never)
    always = Events(events=(EventRule(country="cn", yearly_probability=1.0, duration_yr=(1, 1),
                                      available_share=(0.0, 0.0), price_multiplier=(2, 2)),))
    for s in sample(case, always, 2, seed=1):
        assert all(s.availability[src, y] == 0.0 for src in cn for y in case.years)
        assert all(a == 1.0 for (src, _), a in s.availability.items() if src not in cn)
        sold = {"ndpr_oxide", "ndfeb_magnet"}     # what cn sells
        assert all(s.price_multiplier[m, y] == (2.0 if m in sold else 1.0)
                   for m, y in s.price_multiplier)
        assert s.disrupted == {(m, y) for m in sold for y in case.years}
    calm = HeldModel(case, plan)
    calm_cost = calm.results(calm.solve()).costs
    calm_total = calm_cost[calm_cost["scenario"].isin(["*", "calm"])]["eur"].sum()
    quiet, _ = stress(case, plan, n=3, events=Events(events=(EventRule(yearly_probability=0.0),)))
    assert quiet["total_cost_eur"].tolist() == pytest.approx([calm_total] * 3, rel=1e-9)


def test_monte_carlo_intervals_cover_the_sample_mean():
    frame = pd.DataFrame({"sample": list("abcd"), "weight": 0.25, "status": "optimal",
                          "policy_met": True, "total_cost_eur": [1.0, 2.0, 3.0, 6.0],
                          "shortfall_t": [0.0, 0.0, 1.0, 3.0]})
    summary = summarize(frame, exact=False, level=0.95, alpha=0.75).set_index("metric")
    cost = summary.loc["total_cost_eur"]
    assert cost["mean"] == pytest.approx(3.0)
    half = 1.959964 * pd.Series([1.0, 2.0, 3.0, 6.0]).std() / 2
    assert (cost["ci_low"], cost["ci_high"]) == pytest.approx((3.0 - half, 3.0 + half), rel=1e-6)
    assert cost["cvar_0.75"] == pytest.approx(6.0)
    p = summary.loc["p_any_shortfall"]
    assert p["mean"] == pytest.approx(0.5) and p["ci_low"] < 0.5 < p["ci_high"]


def test_cli_stress_on_a_run_folder(tmp_path):
    run = tmp_path / "run"
    runner = CliRunner()
    assert runner.invoke(main, ["solve", str(TINY), "--out", str(run), "-q"]).exit_code == 0
    out = tmp_path / "stress"
    result = runner.invoke(main, ["stress", str(run), "--samples", "30", "--seed", "2",
                                  "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out / "stress.csv")) == 30
    assert "total_cost_eur" in set(pd.read_csv(out / "stress_summary.csv")["metric"])
