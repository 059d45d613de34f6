"""Each model feature on a case whose optimum is worked out by hand in the docstring."""
from __future__ import annotations

import pytest

from conftest import one_material, value


def fractile_case(**material):
    """One year, demand 100, one source of 100 t at 100 EUR/t (spot at the same price).

    Deliverable share: calm 1.0 (p 0.5), mid 0.6 (p 0.3), bad 0.2 (p 0.2), so the supply gap
    g is 0, 40 or 80 t. A tonne of stock costs p + h = 100 + 300 and earns back p when not
    drawn, or the shortage cost c = 1000 when drawn: d cost/dK = h - (c - p) P(g > K).
    The optimum is the critical fractile P(g > K*) <= h / (c - p) = 1/3: K* = 40 t.
    """
    tables = one_material(**material)
    tables["scenarios"] = [{"scenario": "calm", "probability": 0.5},
                           {"scenario": "mid", "probability": 0.3},
                           {"scenario": "bad", "probability": 0.2}]
    tables["disruptions"] = [
        {"scenario": "mid", "material": "x", "country": "aa", "year_from": 2026, "year_to": 2026,
         "available_share": 0.6},
        {"scenario": "bad", "material": "*", "country": "*", "year_from": 2026, "year_to": 2026,
         "available_share": 0.2}]
    return tables


def stock(results, material="x"):
    return value(results.stockpile, "capacity_t", material=material)


def test_stockpile_is_the_critical_fractile(hand):
    results = hand(fractile_case())
    assert results.status == "optimal"
    assert stock(results) == pytest.approx(40.0, abs=1e-6)
    # fill 4000 + holding 12000 + calm 0.5*(10000-4000) + mid 0.3*6000 + bad 0.2*(2000+40000)
    assert results.summary["expected_cost_eur"] == pytest.approx(29200.0, rel=1e-9)
    assert results.summary["objective_eur"] == pytest.approx(29200.0, rel=1e-9)


def test_cvar_with_large_weight_buys_more_stock(hand):
    """With weight 10 on CVaR_0.8 (the bad scenario alone), each tonne up to the 80 t gap
    saves 10 * (1000 - 400) in the tail against +120 in expectation: K* = 80 t."""
    expected = hand(fractile_case())
    averse = hand(fractile_case(), risk={"measure": "cvar", "alpha": 0.8, "weight": 10.0})
    assert stock(averse) == pytest.approx(80.0, abs=1e-6)
    assert stock(averse) > stock(expected)
    assert averse.summary["cvar_eur"] <= expected.summary["cvar_eur"] + 1e-6


def test_demand_shock_raises_the_stock(hand):
    """calm (p 0.7) full supply, mid (p 0.3) 60% supply: gaps 0/40, P(g > K) = 0.3 < 1/3 so
    no stock. A 1.5x demand shock in calm makes the gaps 50/90: K* = 50 t."""
    tables = fractile_case()
    tables["scenarios"] = [{"scenario": "calm", "probability": 0.7},
                           {"scenario": "mid", "probability": 0.3}]
    tables["disruptions"] = tables["disruptions"][:1]
    assert stock(hand(tables)) == pytest.approx(0.0, abs=1e-6)
    tables["demand_shocks"] = [{"scenario": "calm", "material": "x", "year_from": 2026,
                                "year_to": 2026, "multiplier": 1.5}]
    assert stock(hand(tables)) == pytest.approx(50.0, abs=1e-6)


def cap_case():
    """Demand 100; aa sells at 100 EUR/t, bb at 150 EUR/t (both outside the EU). Holding
    stock (100 EUR/t a year) is dearer than buying from bb, so no stock is drawn."""
    tables = one_material(holding=100.0)
    tables["sources"] = [
        {"source": "x_aa", "material": "x", "country": "aa", "price_eur_per_t": 100,
         "capacity_t_per_yr": 1000},
        {"source": "x_bb", "material": "x", "country": "bb", "price_eur_per_t": 150,
         "capacity_t_per_yr": 1000}]
    return tables


def test_binding_country_cap_costs_exactly_the_price_gap(hand):
    """Uncapped: 100 t from aa = 10,000. A 65% cap: 65 t from aa, 35 t from bb = 11,750;
    tightening the cap by one tonne moves one more tonne to bb: 50 EUR/t."""
    free = hand(cap_case())
    capped = hand(cap_case(), policy={"max_country_share": 0.65})
    assert free.summary["objective_eur"] == pytest.approx(10000.0)
    assert capped.summary["objective_eur"] == pytest.approx(11750.0)
    assert value(capped.contracts, "volume_t", country="aa") == pytest.approx(65.0)
    duals = capped.duals
    assert value(duals, "shadow_price", constraint="country_share_limit", country="aa") == \
        pytest.approx(50.0)
    assert value(duals, "shadow_price", constraint="country_share_limit", country="bb") == \
        pytest.approx(0.0, abs=1e-9)


def build_case(capex):
    """Demand 100 t/yr in 2026-2030 imported at 200 EUR/t; an EU plant of 100 t/yr makes it
    at 50 EUR/t, lead time 1 yr. Built in 2026 it produces 2027-2030: 4 * 100 * 150 = 60,000
    saved, so it is built exactly when capex < 60,000 (and never in time for 2026)."""
    tables = one_material(years=range(2026, 2031), holding=1000.0, stage="component")
    tables["sources"][0].update(price_eur_per_t=200, capacity_t_per_yr=1000)
    tables["facilities"] = [{
        "facility": "plant", "kind": "manufacturing", "country": "ee", "output": "x",
        "capacity_t_per_yr": 100, "capex_eur_per_unit": capex, "fixed_opex_eur_per_unit_yr": 0,
        "variable_cost_eur_per_t": 50, "lead_time_yr": 1}]
    return tables


@pytest.mark.parametrize("capex, built", [(59000, True), (61000, False)])
def test_build_or_not_flips_at_the_hand_threshold(hand, capex, built):
    results = hand(build_case(capex), horizon={"start": 2026, "end": 2030})
    if built:
        row = results.builds.iloc[0]
        assert (row.facility, row.year_built, row.year_online, row.units) == \
            ("plant", 2026, 2027, 1)
        assert results.summary["objective_eur"] == pytest.approx(100 * 200 * 5 - 60000 + capex)
        assert value(results.flows, "t", flow="production", year=2026) == 0.0
    else:
        assert results.builds.empty
        assert results.summary["objective_eur"] == pytest.approx(100000.0)


def recycling_case():
    """Oxide x: demand 100 t, import at 100 EUR/t. Recycling in the EU costs 300 EUR/t of
    output and 2 t of scrap per t; 500 t scrap collectable. Unconstrained, nothing is
    recycled; a 25% recycling share forces exactly 25 t out of one 50 t/yr unit."""
    tables = one_material(holding=10.0)
    tables["sources"][0].update(capacity_t_per_yr=1000)
    tables["materials"].append({"material": "sc", "name": "Scrap", "stage": "scrap",
                                "shortage_cost_eur_per_t": 0, "holding_cost_eur_per_t_yr": 0})
    tables["scrap"] = [{"material": "sc", "year": 2026, "available_t": 500}]
    tables["facilities"] = [{
        "facility": "rec", "kind": "recycling", "country": "ee", "output": "x",
        "capacity_t_per_yr": 50, "capex_eur_per_unit": 1000, "fixed_opex_eur_per_unit_yr": 0,
        "variable_cost_eur_per_t": 300, "lead_time_yr": 0, "max_units": 2}]
    tables["recipes"] = [{"facility": "rec", "input": "sc", "t_per_t_output": 2.0}]
    return tables


def test_recycling_share_is_met_only_through_a_recycling_plant(hand):
    free = hand(recycling_case())
    assert free.builds.empty
    policy = hand(recycling_case(), policy={"min_recycling_share": 0.25})
    assert policy.builds["units"].sum() == 1
    assert value(policy.flows, "t", flow="recycling") == pytest.approx(25.0)
    assert value(policy.flows, "t", flow="collection") == pytest.approx(50.0)
    assert policy.summary["objective_eur"] - free.summary["objective_eur"] == \
        pytest.approx(1000 + 25 * (300 - 100))


def test_budget_binds_with_a_positive_dual(hand):
    """Fractile case with storage capex 50 EUR/t and a budget of 1000 EUR: K = 20 t. Each
    further tonne of stock would save 150 - 50 = 100 EUR for 50 EUR of budget: 2 EUR/EUR."""
    results = hand(fractile_case(stockpile_capex_eur_per_t=50), policy={"budget_eur": 1000})
    assert stock(results) == pytest.approx(20.0)
    assert value(results.duals, "shadow_price", constraint="budget") == pytest.approx(2.0)


def test_land_limit_binds_with_a_positive_shadow_price(hand):
    """Two EU plants of 10 ha each would both pay (savings 40,000 and 30,000) but 15 ha fit
    only the better one. One more plant's 10 ha is worth 30,000: 3,000 EUR/ha."""
    tables = build_case(20000)
    tables["demand"] = [dict(row, demand_t=200) for row in tables["demand"]]
    second = dict(tables["facilities"][0], facility="plant_b", capex_eur_per_unit=30000)
    tables["facilities"].append(second)
    for row in tables["facilities"]:
        row["land_ha_per_unit"] = 10
    results = hand(tables, horizon={"start": 2026, "end": 2030},
                   policy={"limits": {"land_ha": 15}})
    assert list(results.builds["facility"]) == ["plant"]
    assert value(results.duals, "shadow_price", constraint="land_limit") == pytest.approx(3000.0)


def test_min_stock_days_sizes_the_stock_at_its_marginal_cost(hand):
    """219 days of 100 t is 60 t, above the fractile's 40 t; between 40 and 80 t each tonne
    costs h - (c - p)·P(g > K) = 300 - 900·0.2 = 120 EUR, the price of the policy."""
    results = hand(fractile_case(), policy={"min_stock_days": 219})
    assert stock(results) == pytest.approx(60.0)
    assert value(results.stockpile, "days_of_demand") == pytest.approx(219.0)
    rows = results.duals[results.duals["constraint"] == "stock_days"]
    assert rows["shadow_price_pv"].sum() == pytest.approx(120.0)


def test_a_strategic_stock_is_drawn_only_in_a_crisis(hand):
    """With discounting, drawing in 2026 and refilling later would pay in any scenario; a
    strategic stock stays full in calm years and is drawn only where supply is cut."""
    tables = fractile_case()
    tables["demand"] = [{"material": "x", "year": y, "demand_t": 100} for y in (2026, 2027)]
    for row in tables["disruptions"]:
        row.update(year_from=2027, year_to=2027)
    results = hand(tables, horizon={"start": 2026, "end": 2027}, discount_rate=0.1,
                   policy={"min_stock_days": 146})
    draws = results.flows[results.flows["flow"] == "stock_draw"]
    assert stock(results) >= 40.0 - 1e-6
    assert set(draws["scenario"]) <= {"mid", "bad"} and set(draws["year"]) <= {2027}
    assert value(draws, "t", scenario="bad") > 0


def test_a_source_that_never_delivers_still_gets_a_plan(hand):
    """A source cut to nothing in every year of the only scenario appears in no row with a
    non-zero coefficient; its variables still get values, and the plan is read as usual."""
    tables = cap_case()
    tables["disruptions"] = [{"scenario": "calm", "material": "x", "country": "bb",
                              "year_from": 2026, "year_to": 2026, "available_share": 0.0}]
    results = hand(tables)
    assert results.ok
    assert value(results.contracts, "volume_t", country="bb") == 0.0
    assert results.summary["objective_eur"] == pytest.approx(10000.0)
