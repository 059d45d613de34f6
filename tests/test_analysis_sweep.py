"""Sweeps: parameters applied as said, cost monotone in a loosening cap, the tornado ranked."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

import optimizer
from conftest import TINY
from optimizer.analysis import sweep, tornado
from optimizer.analysis.params import apply, parse_param, parse_values
from optimizer.cli import main
from optimizer.errors import InputError
from test_analysis_value import case_of
from test_hand_optima import cap_case, fractile_case

CAPS = [0.5, 0.65, 0.8, 1.0]


@pytest.fixture(scope="module")
def tiny_case():
    return optimizer.load_case(optimizer.load_study(TINY))


def test_a_scaled_column_changes_only_the_filtered_rows(tiny_case):
    param = parse_param("sources.price_eur_per_t[country=cn]", tiny_case)
    scaled = apply(tiny_case, [(param, 1.5)]).sources["price_eur_per_t"]
    before = tiny_case.sources["price_eur_per_t"]
    cn = tiny_case.sources["country"] == "cn"
    assert (scaled[cn] == 1.5 * before[cn]).all()
    assert (scaled[~cn] == before[~cn]).all()
    key = parse_param("policy.limits.land_ha", tiny_case)
    assert apply(tiny_case, [(key, 50)]).study.policy.limits.land_ha == 50


@pytest.mark.parametrize("path", ["policy.max_share", "sources.country",
                                  "sources.price_eur_per_t[x=1]",
                                  "sources.price_eur_per_t[country=zz]", "risk.weight[a=b]"])
def test_bad_parameters_are_input_errors(tiny_case, path):
    with pytest.raises(InputError):
        param = parse_param(path, tiny_case)
        apply(tiny_case, [(param, 0.5)])


def test_values_are_yaml_scalars_spaced_or_comma_separated():
    assert parse_values(["0.5,0.65", "1", "null"]) == [0.5, 0.65, 1, None]


def test_hand_sweep_of_the_country_cap(tmp_path):
    """cap_case: 100 t from aa at 100 or bb at 150 EUR/t. A cap c on aa costs
    100·(c·100) + 150·(1 − c)·100 = 15000 − 5000·c."""
    case = case_of(tmp_path, cap_case(), policy={"max_country_share": 0.5})
    frame = sweep(case, {"policy.max_country_share": CAPS}, workers=1)
    assert list(frame["expected_cost_eur"]) == pytest.approx([15000 - 5000 * c for c in CAPS])
    assert list(frame["max_country_share"]) == pytest.approx(CAPS)


def test_tiny_cost_never_rises_as_the_cap_loosens(tiny_case):
    frame = sweep(tiny_case, {"policy.max_country_share": CAPS}, workers=1)
    cost = list(frame["expected_cost_eur"])
    assert (frame["status"] == "optimal").all()
    assert all(b <= a * (1 + 1e-4) for a, b in zip(cost, cost[1:]))
    assert (frame["max_country_share"] <= frame["policy.max_country_share"] + 1e-6).all()


def test_grid_is_every_combination(tmp_path):
    """Cap c and a factor f on bb's price: cost 100·100·c + 150·f·100·(1 − c)."""
    case = case_of(tmp_path, cap_case(), policy={"max_country_share": 0.5})
    frame = sweep(case, {"policy.max_country_share": [0.5, 0.8],
                         "sources.price_eur_per_t[country=bb]": [1.0, 2.0]}, workers=1)
    assert len(frame) == 4
    for row in frame.itertuples():
        c, f = row[2], row[3]
        assert row.expected_cost_eur == pytest.approx(10000 * c + 15000 * f * (1 - c))


def test_tornado_ranks_by_the_cost_swing(tmp_path):
    """Cap 0.5: cost 100·50·pa + 150·50·pb with pa, pb the price factors. aa's price ±50%:
    swing 5000; bb's ±10%: swing 1500; the cap from 0.5 to 0.7 (20 t moved from bb to aa):
    swing 1000."""
    case = case_of(tmp_path, cap_case(), policy={"max_country_share": 0.5})
    ranking, points = tornado(case, {"policy.max_country_share": (0.5, 0.7),
                                     "sources.price_eur_per_t[country=aa]": (0.5, 1.5),
                                     "sources.price_eur_per_t[country=bb]": (0.9, 1.1)},
                              workers=1)
    assert list(ranking["param"]) == ["sources.price_eur_per_t[country=aa]",
                                      "sources.price_eur_per_t[country=bb]",
                                      "policy.max_country_share"]
    assert list(ranking["swing_eur"]) == pytest.approx([5000, 1500, 1000])
    assert ranking["base_eur"].iloc[0] == pytest.approx(12500)
    assert len(points) == 7
    assert list(ranking["rank_cost"]) == [1, 2, 3]


def test_cli_sweep_in_two_processes_writes_every_point(tmp_path):
    out = tmp_path / "sweep"
    result = CliRunner().invoke(main, [
        "sweep", str(TINY), "--param", "policy.max_country_share", "--values", "0.65", "1.0",
        "--param", "sources.price_eur_per_t[country=cn]", "--values", "1.0,1.2",
        "--workers", "2", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "sweep.csv")
    assert len(frame) == 4 and (frame["status"] == "optimal").all()
    for folder in frame["folder"]:
        summary = json.loads((out / folder / "summary.json").read_text())
        assert summary["status"] == "optimal"


def test_cli_tornado_and_bad_input(tmp_path):
    out = tmp_path / "tornado"
    runner = CliRunner()
    result = runner.invoke(main, ["sweep", str(TINY), "--tornado", "--param",
                                  "facilities.capex_eur_per_unit", "--values", "0.5", "1.5",
                                  "--out", str(out), "--workers", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "tornado.csv")["param"].tolist() == ["facilities.capex_eur_per_unit"]
    bad = runner.invoke(main, ["sweep", str(TINY), "--param", "policy.nope", "--values", "1",
                               "--out", str(tmp_path / "bad"), "-q"])
    assert bad.exit_code == 2
    assert not (tmp_path / "bad").exists()



def test_scaling_a_scenario_probability_keeps_expected_cost_equal_to_the_objective(tmp_path):
    """The fractile case (test_hand_optima: cost 10000 + 300 K + 900 (g − K)+ for stock K
    and supply gap g) with the bad scenario's probability 0.2 doubled, then 1.5 times: the
    Case renormalises (0.5, 0.3, 0.4) and (0.5, 0.3, 0.3) by their sums. Objective, expected
    cost and every table read the same probabilities, so in this risk-neutral study the two
    agree in each point. At 1.5, P(g > 40) = 0.3/1.1 < 1/3 < P(g > 0): K* = 40 and the cost
    is 22000 + 900·40·0.3/1.1."""
    case = case_of(tmp_path, fractile_case())
    path = "scenarios.probability[scenario=bad]"
    frame = sweep(case, {path: [1, 2, 1.5]}, workers=1)
    assert (frame["status"] == "optimal").all()
    for row in frame.itertuples():
        assert row.expected_cost_eur == pytest.approx(row.objective_eur, rel=1e-9)
    assert frame["expected_cost_eur"].tolist()[::2] == pytest.approx(
        [29200, 22000 + 900 * 40 * 0.3 / 1.1], rel=1e-9)
    doubled = apply(case, [(parse_param(path, case), 2)])
    assert doubled.probability == pytest.approx({"calm": 0.5 / 1.2, "mid": 0.3 / 1.2,
                                                 "bad": 0.4 / 1.2})
