"""Near-optimal ranges on a case whose ranges are worked out by hand."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

import optimizer
from optimizer.analysis.ranges import COLUMNS, firm, ranges, solve_count
from optimizer.cli import main
from optimizer.report.analyses import firm_and_loose
from conftest import one_material, write_dataset, write_study

EUR_PER_UNIT_EXTRA = 30_000.0


def two_sources_a_stock_and_a_mine():
    """One year, one scenario, material x: demand 100 t, shortage 1e6 EUR/t.

    Sources: aa 100,000 EUR/t, bb 110,000 EUR/t, 100 t each, spot at twice the price, nothing
    resold. Stock: holding 10,000 EUR/t, filled at the normal price and credited back at it.
    An EU mine: units of 10 t/yr at 1,030,000 EUR capex, so a unit costs 30,000 EUR more
    than the 10 t of aa it replaces. Optimum: contract 100 t of aa, 10,000,000 EUR; at a 1%
    slack 100,000 EUR may be spent beyond it, on one decision at a time:

    - stock: 100,000 / 10,000 = 10 t at most (min 0);
    - units of the mine: 3 (90,000 EUR; a fourth would be 120,000), so EU output 30 t, a
      share of 0.3 of the 100 t consumed;
    - bb: 10 t in place of aa at 10,000 EUR each, a share of 0.1;
    - aa: k units replace 10k t for 30,000k EUR, the rest of the budget buys bb in place of
      aa: 10k + (100,000 − 30,000k) / 10,000 = 10 + 7k t, most at k = 3: aa ≥ 69 t, a
      share of 0.69 (the LP relaxation would give 3⅓ units and 66⅔ t: integers matter).
    """
    tables = one_material(demand=100.0, shortage=1e6, holding=10_000.0)
    tables["sources"] = [
        {"source": f"x_{c}", "material": "x", "country": c, "price_eur_per_t": p,
         "capacity_t_per_yr": 100, "spot_premium": 2.0}
        for c, p in (("aa", 100_000), ("bb", 110_000))]
    tables["facilities"] = [{
        "facility": "mine_ee", "kind": "mining", "country": "ee", "output": "x",
        "capacity_t_per_yr": 10, "capex_eur_per_unit": 1_000_000 + EUR_PER_UNIT_EXTRA,
        "fixed_opex_eur_per_unit_yr": 0, "variable_cost_eur_per_t": 0, "lead_time_yr": 0,
        "max_units": 5, "existing_units": 0, "available_from": 2026}]
    return tables


@pytest.fixture
def study(tmp_path):
    write_dataset(tmp_path / "data", two_sources_a_stock_and_a_mine())
    return write_study(tmp_path, resale_share=0.0)


@pytest.fixture
def case(study):
    return optimizer.load_case(optimizer.load_study(study))


def test_ranges_match_the_hand_computation(case):
    table, summary = ranges(case, slack=0.01, workers=1, integers="mip")
    assert summary["objective_eur"] == pytest.approx(10_000_000.0)
    assert summary["budget_eur"] == pytest.approx(10_100_000.0)
    got = {r.decision: (r.chosen, r.min, r.max) for r in table.itertuples()}
    expected = {"stock x": (0.0, 0.0, 10.0), "units mine_ee": (0.0, 0.0, 3.0),
                "contracted x/aa": (1.0, 0.69, 1.0), "contracted x/bb": (0.0, 0.0, 0.1),
                "eu_output x": (0.0, 0.0, 0.3)}
    assert set(got) == set(expected)
    for name, values in expected.items():
        assert got[name] == pytest.approx(values, abs=1e-6), name
    assert list(table.columns) == COLUMNS
    assert table["proven"].all() and not table["firm"].any()
    assert summary["solves"] == solve_count(case) == 1 + 2 * len(expected)


def test_relaxed_ranges_match_the_hand_computation_over_the_lp_relaxation(case):
    """Fractional units: 100,000 / 30,000 = 3⅓ units of the mine, EU output 33⅓ t, aa down
    to 10 + 7·(10/3) = 33⅓ t replaced, a share of 2/3; the other ranges as with integers.
    Each relaxed range contains the integer one."""
    table, summary = ranges(case, slack=0.01, workers=1, integers="relaxed")
    exact, _ = ranges(case, slack=0.01, workers=1, integers="mip")
    got = {r.decision: (r.min, r.max) for r in table.itertuples()}
    expected = {"stock x": (0.0, 10.0), "units mine_ee": (0.0, 10 / 3),
                "contracted x/aa": (2 / 3, 1.0), "contracted x/bb": (0.0, 0.1),
                "eu_output x": (0.0, 1 / 3)}
    for name, values in expected.items():
        assert got[name] == pytest.approx(values, abs=1e-6), name
    assert summary["integers"] == "relaxed" and table["proven"].all()
    assert (table["min"] <= exact["min"] + 1e-9).all()
    assert (table["max"] >= exact["max"] - 1e-9).all()


def test_held_ranges_keep_the_chosen_units(case):
    """Units held at 0: the mine's range is a point and aa gives way to bb alone, 0.9 to 1."""
    table, _ = ranges(case, slack=0.01, workers=1, integers="held")
    got = {r.decision: (r.min, r.max) for r in table.itertuples()}
    expected = {"stock x": (0.0, 10.0), "units mine_ee": (0.0, 0.0),
                "contracted x/aa": (0.9, 1.0), "contracted x/bb": (0.0, 0.1),
                "eu_output x": (0.0, 0.0)}
    for name, values in expected.items():
        assert got[name] == pytest.approx(values, abs=1e-6), name


def test_without_slack_a_unique_optimum_makes_every_decision_firm(case):
    table, summary = ranges(case, slack=0.0, workers=1, integers="mip")
    assert table["firm"].all()
    assert (table["max"] - table["min"]).abs().max() < 1e-6
    assert summary["loose"] == 0


def test_a_wider_slack_never_narrows_a_range(case):
    narrow, _ = ranges(case, slack=0.005, workers=1, integers="mip")
    wide, _ = ranges(case, slack=0.01, workers=1, integers="mip")
    assert (wide["min"] <= narrow["min"] + 1e-9).all()
    assert (wide["max"] >= narrow["max"] - 1e-9).all()
    # half the budget: 50,000 EUR buys 5 t of stock, 1 unit, 5 t of bb
    assert narrow.set_index("decision").loc[["stock x", "units mine_ee", "contracted x/bb"],
                                            "max"].tolist() == pytest.approx([5.0, 1.0, 0.05])


def test_firm_is_measured_against_the_chosen_value_or_a_unit_floor():
    assert firm(100.0, 98.0, 102.0, "t")          # 4 t of 100: within 5%
    assert not firm(100.0, 90.0, 102.0, "t")
    assert firm(0.0, 0.0, 0.04, "t")              # below the 1 t floor
    assert not firm(0.0, 0.0, 1.0, "units")       # one unit more is a different plan
    assert firm(0.3, 0.295, 0.305, "share")
    assert not firm(0.0, 0.0, 0.01, "share")


def test_ranges_in_parallel_workers_match_one_process(case):
    one, _ = ranges(case, slack=0.01, workers=1, integers="mip")
    two, _ = ranges(case, slack=0.01, workers=2, integers="mip")
    assert two[["min", "max"]].to_numpy() == pytest.approx(one[["min", "max"]].to_numpy(),
                                                           abs=1e-6)


def test_cli_writes_ranges_and_a_figure_into_a_new_folder(study, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["ranges", str(study), "--slack", "0.01",
                                       "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "ranges.csv")
    assert list(table.columns) == COLUMNS
    assert json.loads((out / "ranges.json").read_text())["slack"] == 0.01
    assert (out / "figures" / "near_optimal_ranges.png").stat().st_size > 0
    # ranges from zero are the widest against their larger end; then aa, 0.69 to 1
    assert ("Firm (the same in every plan within the slack): none. Loosest: stock x, "
            "units mine_ee, contracted x/bb, eu_output x, contracted x/aa.") in result.output
    again = CliRunner().invoke(main, ["ranges", str(study), "--out", str(out)])
    assert again.exit_code != 0
    page = optimizer.report.write_report(out).read_text()
    assert "Near-optimal ranges" in page and "Firm (the same in every plan" in page


def test_the_sentence_names_firm_decisions_that_act_and_the_loosest_first():
    frame = pd.DataFrame({
        "decision": ["stock a", "units f", "units g", "contracted a/cn"],
        "chosen": [100.0, 0.0, 2.0, 0.5], "min": [99.0, 0.0, 2.0, 0.2],
        "max": [101.0, 0.0, 2.0, 0.6], "firm": [True, True, True, False]})
    assert firm_and_loose(frame) == ("Firm (the same in every plan within the slack): "
                                     "stock a, units g. Loosest: contracted a/cn.")
