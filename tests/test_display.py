"""Tables on screen in a planner's units (optimizer.display), and one command's printed table."""
from __future__ import annotations

import re

import pandas as pd
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.display import money, number, plural, share, show, show_compare


def test_numbers_read_as_a_planner_writes_them():
    assert money(73_335_168_254.019165) == "EUR 73.34 bn"
    assert money(1_500_000.0) == "EUR 1.50 m"
    assert money(-0.0001) == "EUR 0"
    assert number(-0.0) == "0" and number(-0.04, 1) == "0.0" and number(23_500.4) == "23,500"
    assert share(0.125) == "12.5%" and share(-1e-9) == "0.0%"
    assert [plural(n, w) for n, w in ((1, "facility"), (2, "facility"), (1, "scenario"),
                                      (3, "scenario"), (2, "day"))] == [
        "1 facility", "2 facilities", "1 scenario", "3 scenarios", "2 days"]


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "strategy": ["optimal", "no_stockpile"],
        "description": ["the study", "no stock"],
        "expected_cost_eur": [73_335_168_254.019165, 75_612_000_000.0],
        "capex_eur": [310_000_000.0, 0.0],
        "max_country_share": [0.65, 1.02],
        "expected_shortfall_t": [-0.0, 23_512.3],
        "units_built": [1, 2],
        "expected_shortfall_t[ndpr_oxide]": [0.0, 3_000.0],
        "expected_shortfall_t[magnesium]": [-0.0, 20_512.3]})


def test_a_table_has_units_in_its_column_names_and_one_money_unit():
    text = show(frame(), width=400)
    head = text.splitlines()[0]
    assert "expected cost [EUR bn]" in head and "capex [EUR bn]" in head    # one money unit
    assert "max country share [%]" in head and "expected shortfall [t]" in head
    assert "73.34" in text and "0.31" in text and "102.0%" in text and "23,512" in text
    assert "-0" not in text and "e+" not in text and "73335" not in text


def test_compare_keeps_strategies_as_columns_of_short_tables():
    text = show_compare(frame(), width=400)
    lines = text.splitlines()
    assert len(lines) < 12                                   # not 50 transposed rows
    assert lines[0] == "optimal: the study"
    block = lines[lines.index("expected shortfall [t], by strategy:") + 1:]
    assert block[0].split() == ["optimal", "no_stockpile"]
    assert block[2].split() == ["magnesium", "0", "20,512"]


def test_compare_prints_planner_units(tmp_path):
    """`crmplan compare` on the tiny study: money in EUR bn, shares in %, no raw euros."""
    result = CliRunner().invoke(main, ["compare", "models/tiny.yaml", "no_stockpile",
                                       "--out", str(tmp_path / "cmp"), "-q"])
    assert result.exit_code == 0, result.output
    assert "expected cost [EUR bn]" in result.output and "[%]" in result.output
    assert not re.search(r"\d{7,}", result.output)         # no raw 11-digit euros
    assert "e+" not in result.output and "-0.0" not in result.output
    exact = pd.read_csv(tmp_path / "cmp" / "compare.csv")   # the CSV stays exact
    assert exact["expected_cost_eur"].iloc[0] > 1e9


def test_rows_that_differ_in_unit_follow_their_row():
    """A stress summary names each row's metric, a ranges table each row's unit: money in
    EUR bn, shares in %, tonnes as tonnes, years without separators, blanks for None."""
    stress = pd.DataFrame({"metric": ["total_cost_eur", "shortfall_t", "p_any_shortfall"],
                           "mean": [1.972e9, 40.68, 0.05], "p95": [2.276e9, 813.6, None]})
    lines = show(stress, width=200).splitlines()
    assert lines[1].split() == ["total", "cost", "[EUR", "bn]", "1.97", "2.28"]
    assert lines[2].split() == ["shortfall", "[t]", "41", "814"]
    assert lines[3].split() == ["p", "any", "shortfall", "[%]", "5.0%"]
    ranges = pd.DataFrame({"decision": ["stock x", "contracted x/cn"], "chosen": [472.6, 0.2228],
                           "unit": ["t", "share"], "firm": [False, True], "year": [2031, 2032],
                           "within": [None, True]})
    lines = show(ranges, width=200).splitlines()
    assert lines[1].split() == ["stock", "x", "473", "t", "no", "2031"]
    assert lines[2].split() == ["contracted", "x/cn", "22.3%", "share", "yes", "2032", "yes"]
