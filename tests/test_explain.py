"""Why each decision: the scenario, years and deficit named are those that size it."""
from __future__ import annotations

import pytest

from optimizer.explain import sentences

from conftest import one_material


def deficit_case():
    """Three years, demand 100 t/yr, one source of 100 t/yr at 100 EUR/t; shortage 10,000
    EUR/t, holding 300 EUR/t/yr. In `ban` (p 0.2) the source delivers 60% in 2027: a deficit
    of 40 t; in `minor` (p 0.2) 90% in 2028: 10 t. A tonne of stock beyond 10 t is drawn only
    in ban: it earns 0.2·(10,000 − 100) = 1,980 against 3·300 of holding, so the stock is
    sized by ban's deficit: 40 t, and ban is where it pays (a tonne there is worth the
    shortage cost it avoids, in minor the 10 t drawn are a quarter as many)."""
    tables = one_material(demand=100.0, years=(2026, 2027, 2028), shortage=10000.0)
    tables["scenarios"] = [{"scenario": "calm", "probability": 0.6},
                           {"scenario": "ban", "probability": 0.2},
                           {"scenario": "minor", "probability": 0.2}]
    tables["disruptions"] = [
        {"scenario": "ban", "material": "x", "country": "aa", "year_from": 2027,
         "year_to": 2027, "available_share": 0.6},
        {"scenario": "minor", "material": "x", "country": "aa", "year_from": 2028,
         "year_to": 2028, "available_share": 0.9}]
    return tables


def test_a_stock_sized_by_one_deficit_names_that_scenario_year_and_deficit(hand):
    results = hand(deficit_case(), horizon={"start": 2026, "end": 2028})
    assert results.stockpile.set_index("material").at["x", "capacity_t"] == pytest.approx(40.0)
    why = results.why[results.why["decision"] == "stock"]
    top = why.iloc[0]
    assert (top["scenario"], top["years"]) == ("ban", "2027")
    assert top["deficit_t"] == pytest.approx(40.0) and top["supplied_t"] == pytest.approx(40.0)
    assert top["value_share"] > 0.5
    said = [s for s in sentences(results.why) if s.startswith("x stock")]
    assert said == ["x stock 40 t: covers the 2027 ban deficit of 40 t"]


def test_a_stock_short_of_a_deficit_says_how_much_of_it_it_covers(hand):
    """Ban's supply cut to 20%: a deficit of 80 t; holding 1,000 EUR/t/yr. The first 10 t of
    stock are drawn in ban and minor, 0.4·(10,000 − 100) = 3,960 > 3·1,000; a tonne beyond is
    drawn in ban alone, 0.2·9,900 = 1,980 < 3,000: the stock is 10 t, which covers 10 t of
    ban's 80 t and the whole of minor's 10 t."""
    tables = deficit_case()
    tables["materials"][0]["holding_cost_eur_per_t_yr"] = 1000.0
    tables["disruptions"][0]["available_share"] = 0.2
    results = hand(tables, horizon={"start": 2026, "end": 2028})
    assert results.stockpile.set_index("material").at["x", "capacity_t"] == pytest.approx(10.0)
    said = [s for s in sentences(results.why) if s.startswith("x stock")]
    assert len(said) == 1 and said[0].startswith("x stock 10 t: ")
    assert "covers 10 t of the 2027 ban deficit of 80 t" in said[0]
    assert "covers the 2028 minor deficit of 10 t" in said[0]


def test_a_stock_that_is_never_drawn_is_said_to_be_worth_nothing_at_the_margin(hand):
    """No disruption, and a policy of 73 days of stock (20 t of 100 t/yr): the stock is
    bought for the policy alone, and no scenario draws it."""
    tables = deficit_case()
    tables["disruptions"] = []
    results = hand(tables, horizon={"start": 2026, "end": 2028}, policy={"min_stock_days": 73})
    assert results.stockpile.set_index("material").at["x", "capacity_t"] == pytest.approx(20.0)
    said = [s for s in sentences(results.why) if s.startswith("x stock")]
    assert said == ["x stock 20 t: worth nothing at the margin in any scenario (a policy floor, "
                    "or a tie with other supply)"]


def test_a_stock_worth_a_little_in_each_of_many_paths_names_the_largest(hand):
    """Twelve equally likely paths, path k's 2027 supply cut to a deficit of 41 + k t;
    holding 3,200 EUR/t/yr. A tonne of stock drawn in every path earns 9,900 > 3·3,200, one
    drawn in 11 of 12 earns 9,075 < 9,600: the stock is 41 t, drawn whole in every path, so
    its value is spread over them all: no path holds the 10% a scenario needs to be named
    (the eleven still short after it hold the same, path 0's deficit is the stock's own).
    The largest is named alone, with its share: at least 1/12, below 10%."""
    tables = deficit_case()
    tables["materials"][0]["holding_cost_eur_per_t_yr"] = 3200.0
    paths = [f"p{k:02d}" for k in range(12)]
    tables["scenarios"] = [{"scenario": w, "probability": 1 / 12} for w in paths]
    tables["disruptions"] = [dict(tables["disruptions"][0], scenario=w,
                                  available_share=(59 - k) / 100) for k, w in enumerate(paths)]
    results = hand(tables, horizon={"start": 2026, "end": 2028})
    assert results.stockpile.set_index("material").at["x", "capacity_t"] == pytest.approx(41.0)
    why = results.why[results.why["decision"] == "stock"]
    assert len(why) == 1
    assert why.iloc[0]["scenario"] in paths and why.iloc[0]["years"] == "2027"
    assert 1 / 12 <= why.iloc[0]["value_share"] < 0.1
