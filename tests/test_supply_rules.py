"""Issue 15's supply rules, each on a case whose optimum is worked out by hand in the docstring:
competition for what is left, resale limited to what the market absorbs, the capacity path,
the `*` baseline regime, the stock refill rule and the CRMA's aggregate reading."""
from __future__ import annotations

import pytest

import optimizer
from optimizer.analysis.disruptions import calm
from optimizer.analysis.held import HeldModel
from conftest import one_material, value, write_dataset, write_study


def two_suppliers(p_cut=0.1, shortage=1000.0, eu_import_share=1.0):
    """x: demand 100 in 2026. aa sells at 100 EUR/t (spot 1.2x), bb at 150 (spot 1.0x), 100 t
    each. aa is cut in scenario `cut` (probability p_cut) to the share cut_aa gives."""
    tables = one_material(shortage=shortage, eu_import_share=eu_import_share)
    tables["sources"] = [
        {"source": "x_aa", "material": "x", "country": "aa", "price_eur_per_t": 100,
         "capacity_t_per_yr": 100, "spot_premium": 1.2},
        {"source": "x_bb", "material": "x", "country": "bb", "price_eur_per_t": 150,
         "capacity_t_per_yr": 100, "spot_premium": 1.0}]
    tables["scenarios"] = [{"scenario": "calm", "probability": 1 - p_cut},
                           {"scenario": "cut", "probability": p_cut}]
    return tables


def cut_aa(tables, share):
    tables["disruptions"] = [{"scenario": "cut", "material": "x", "country": "aa",
                              "year_from": 2026, "year_to": 2026, "available_share": share}]
    return tables


def flow(results, flow_name, **where):
    return value(results.flows, "t", flow=flow_name, **where)


def test_the_eu_gets_only_its_share_of_the_spare_capacity_left(hand):
    """aa is cut to 40%; bb, not cut, lends the EU eu_import_share = 0.25 of its spare 100 t.

    Contracting aa's 100 t is cheaper than its spot (100 < 120) in calm (p 0.9); a tonne
    contracted on bb instead costs 0.9·50 in calm and gains 0.75 t in the cut, worth
    0.1·(0.75·400 − 150 + 0.25·150) = 18.75 < 45: no bb contract. Cut: aa delivers 40 t at
    100, bb's spot is 0.25·100 = 25 t at 150, 35 t short at 400: 4,000 + 3,750 + 14,000 =
    21,750. Expected 0.9·10,000 + 0.1·21,750 = 11,175. A stock tonne would cost 300 and
    save 0.1·(400 − 125): none. With eu_import_share 1 bb's spot covers the 60 t gap:
    4,000 + 9,000 = 13,000, expected 10,300.
    """
    shared = hand(cut_aa(two_suppliers(shortage=400, eu_import_share=0.25), 0.4))
    assert shared.status == "optimal"
    assert value(shared.contracts, "volume_t", source="x_aa") == pytest.approx(100.0)
    assert value(shared.contracts, "volume_t", source="x_bb") == pytest.approx(0.0, abs=1e-6)
    assert flow(shared, "contract", scenario="cut") == pytest.approx(40.0)
    assert flow(shared, "spot", scenario="cut", source_or_facility="x_bb") == pytest.approx(25.0)
    assert flow(shared, "spot", scenario="cut", source_or_facility="x_aa") == \
        pytest.approx(0.0, abs=1e-6)
    assert value(shared.shortfall, "shortfall_t", scenario="cut") == pytest.approx(35.0)
    assert shared.summary["objective_eur"] == pytest.approx(11175.0, rel=1e-9)

    open_market = hand(cut_aa(two_suppliers(shortage=400), 0.4))
    assert flow(open_market, "spot", scenario="cut", source_or_facility="x_bb") == \
        pytest.approx(60.0)
    assert value(open_market.shortfall, "shortfall_t", scenario="cut") == \
        pytest.approx(0.0, abs=1e-6)
    assert open_market.summary["objective_eur"] == pytest.approx(10300.0, rel=1e-9)


@pytest.mark.parametrize("resale_max_share, bb_contract, expected", [
    (0.0, 0.0, 14750.0), (0.1, 10.0, 14595.0), (1.0, 100.0, 13200.0)])
def test_over_contracting_pays_only_as_far_as_the_market_takes_the_resale(
        hand, resale_max_share, bb_contract, expected):
    """aa is banned in the cut (p 0.1); bb lends the EU half its spare capacity. aa's 100 t
    contract covers calm. Each tonne contracted on bb on top is resold in calm at 0.8·150 =
    120 while the market takes it (resale_max_share × demand 100), else written off: 0.9·30
    or 0.9·150 in calm; in the cut it gains 0.5 t against a 1,000 shortage: 0.1·(150 −
    0.5·150 − 500) = −42.5. So it pays (−15.5 a tonne) up to the resale cap and not beyond
    (+92.5); taking bb instead of aa in calm costs 0.9·50 − 42.5 = +2.5. Stock: 300 a tonne
    against 0.1·(1000 − 125): none.

    Without bb: calm 10,000, cut 150·50 + 1000·50 = 57,500, expected 14,750; each tonne on bb
    takes 15.5 off. With resale_max_share 1 (today's unlimited resale in effect) the plan
    contracts all of bb: the loophole issue 15 closes.
    """
    results = hand(cut_aa(two_suppliers(eu_import_share=0.5), 0.0),
                   resale_max_share=resale_max_share)
    assert value(results.contracts, "volume_t", source="x_aa") == pytest.approx(100.0)
    assert value(results.contracts, "volume_t", source="x_bb") == \
        pytest.approx(bb_contract, abs=1e-6)
    assert flow(results, "surplus", scenario="calm") == pytest.approx(bb_contract, abs=1e-6)
    assert flow(results, "write_off") == pytest.approx(0.0, abs=1e-6)
    assert value(results.shortfall, "shortfall_t", scenario="cut") == \
        pytest.approx(50 - bb_contract / 2, abs=1e-6)
    assert results.summary["objective_eur"] == pytest.approx(expected, rel=1e-9)


def load(tmp_path, tables, **keys):
    write_dataset(tmp_path / "data", tables)
    return optimizer.load_case(optimizer.load_study(write_study(tmp_path, **keys)))


def test_deliveries_beyond_what_the_market_takes_are_written_off(tmp_path):
    """A plan held at 150 t contracted against a demand of 100 t: the market takes 10 t back
    at 0.8·100, the other 40 t are written off, paid and unsold: 15,000 − 800 = 14,200; the
    flows still balance (write_off is an outflow)."""
    tables = one_material()
    tables["sources"][0].update(capacity_t_per_yr=150)
    held = HeldModel(load(tmp_path, tables), {"contract": {("x_aa", 2026): 150.0}})
    outcome = held.solve()
    results = held.results(outcome)
    assert flow(results, "contract") == pytest.approx(150.0)
    assert flow(results, "surplus") == pytest.approx(10.0)
    assert flow(results, "write_off") == pytest.approx(40.0)
    assert outcome.objective == pytest.approx(14200.0, rel=1e-9)


def test_capacity_follows_its_path_between_and_beyond_the_listed_years(tmp_path, hand):
    """x_aa lists 50 t in 2026 and 90 t in 2030: 2025 and 2026 take 50 (the nearest listed
    value before), 2027-2029 60/70/80 (linear), 2030-2031 90; x_bb has no rows and keeps its
    constant 30 t. With demand 200 and shortage dearer than any price, imports from each
    source are its capacity exactly."""
    years = range(2025, 2032)
    tables = one_material(demand=200, years=years)
    tables["sources"].append({"source": "x_bb", "material": "x", "country": "bb",
                              "price_eur_per_t": 100, "capacity_t_per_yr": 30})
    tables["source_capacity"] = [{"source": "x_aa", "year": 2030, "capacity_t_per_yr": 90},
                                 {"source": "x_aa", "year": 2026, "capacity_t_per_yr": 50}]
    path = {2025: 50, 2026: 50, 2027: 60, 2028: 70, 2029: 80, 2030: 90, 2031: 90}
    horizon = {"start": 2025, "end": 2031}
    case = load(tmp_path, tables, horizon=horizon)
    assert case.capacity.xs("x_aa").to_dict() == pytest.approx(path)
    assert set(case.capacity.xs("x_bb")) == {30.0}
    results = hand(tables, horizon=horizon)
    imported = results.flows[results.flows["flow"].isin(["contract", "spot"])]
    by_year = imported.groupby(["source_or_facility", "year"])["t"].sum()
    assert by_year.xs("x_aa").to_dict() == pytest.approx(path)
    assert by_year.xs("x_bb").to_dict() == pytest.approx({y: 30.0 for y in years})


def test_no_source_may_ship_above_its_countrys_output(tmp_path):
    """aa's two sources of x sum to 100 + 60 = 160 t against an output of 150 t; bb's path
    rises from 50 t in 2026 to 90 t in 2030 against an output of 80 t. Both are reported, with the
    year; eu_import_share 0 and a path row for an unknown source are refused too."""
    tables = one_material(eu_import_share=0)
    tables["sources"] = [
        {"source": "x_aa", "material": "x", "country": "aa", "price_eur_per_t": 100,
         "capacity_t_per_yr": 100, "country_output_t_per_yr": 150},
        {"source": "x_aa2", "material": "x", "country": "aa", "price_eur_per_t": 100,
         "capacity_t_per_yr": 60},
        {"source": "x_bb", "material": "x", "country": "bb", "price_eur_per_t": 100,
         "capacity_t_per_yr": 50}]
    tables["source_capacity"] = [
        {"source": "x_bb", "year": 2026, "capacity_t_per_yr": 50},
        {"source": "x_bb", "year": 2030, "capacity_t_per_yr": 90, "country_output_t_per_yr": 80},
        {"source": "x_cc", "year": 2030, "capacity_t_per_yr": 10}]
    with pytest.raises(optimizer.InputError) as info:
        load(tmp_path, tables)
    found = {(p.file, p.row, p.column): p for p in info.value.problems}
    assert set(found) == {("sources.csv", 2, "capacity_t_per_yr"),
                          ("sources.csv", 4, "capacity_t_per_yr"),
                          ("materials.csv", 2, "eu_import_share"),
                          ("source_capacity.csv", 4, "source")}
    assert found["sources.csv", 2, "capacity_t_per_yr"].value == "160 in 2026"
    assert found["sources.csv", 4, "capacity_t_per_yr"].value == "90 in 2030"
    tables["sources"][0]["country_output_t_per_yr"] = 160
    tables["source_capacity"] = tables["source_capacity"][:2]
    tables["source_capacity"][1]["country_output_t_per_yr"] = 90
    tables["materials"][0]["eu_import_share"] = 0.5
    assert load(tmp_path, tables).capacity["x_bb", 2026] == 50.0


def test_the_baseline_regime_holds_in_every_scenario_unless_a_scenario_replaces_it(tmp_path):
    """`*` bans aa's x in 2026-2027 with prices x1.5. calm keeps the ban; relax lifts it in
    2026 only (its own row, share 1 and multiplier 1); escalate also halves bb (a row for
    another country), so aa's ban and its multiplier still hold there. Only escalate is worse
    off than the baseline, so only it is disrupted (stock may be drawn, the cap lifted)."""
    tables = two_suppliers()
    tables["demand"] = [{"material": "x", "year": y, "demand_t": 100} for y in (2026, 2027)]
    tables["scenarios"] = [{"scenario": w, "probability": p}
                           for w, p in (("calm", 0.5), ("relax", 0.25), ("escalate", 0.25))]
    row = {"material": "x", "year_from": 2026, "year_to": 2027}
    tables["disruptions"] = [
        dict(row, scenario="*", country="aa", available_share=0.0, price_multiplier=1.5),
        dict(row, scenario="relax", country="aa", year_to=2026, available_share=1.0,
             price_multiplier=1.0),
        dict(row, scenario="escalate", country="bb", available_share=0.5, price_multiplier=1.2)]
    case = load(tmp_path, tables, horizon={"start": 2026, "end": 2027})
    share, price = case.availability, case.price_multiplier
    assert [share["x_aa", y, "calm"] for y in (2026, 2027)] == [0.0, 0.0]
    assert [share["x_aa", y, "relax"] for y in (2026, 2027)] == [1.0, 0.0]
    assert [share[s, 2026, "escalate"] for s in ("x_aa", "x_bb")] == [0.0, 0.5]
    assert [price["x", y, "relax"] for y in (2026, 2027)] == [1.0, 1.5]
    assert price["x", 2026, "calm"] == 1.5 and price["x", 2026, "escalate"] == 1.5
    assert case.disrupted == {("x", y, "escalate") for y in (2026, 2027)}
    # while aa is banned bb is the only supplier; eu_import_share 1: all its spare is the EU's
    assert case.spare_share["x_bb", 2026, "calm"] == 1.0
    # sampled scenarios (stress, Monte Carlo) start from the baseline too
    start = calm(case)
    assert start.availability["x_aa", 2027] == 0.0 and start.availability["x_bb", 2027] == 1.0
    assert start.price_multiplier["x", 2027] == 1.5 and not start.disrupted


def refill_case(**keys):
    """x: demand 100 a year 2026-2030, one source of 200 t at 100 EUR/t (spot 1.2x), cut to
    30% in 2026: 60 t arrive and a stock of 40 t (held from the start, capacity fixed) is
    drawn. Refilled in year y the 40 t cost 4,000·d(y), d(y) = 1.1^-(y−2026); the stock left
    in 2030 is credited 4,000 undiscounted."""
    tables = one_material(years=range(2026, 2031), initial_stock_t=40, max_stock_t=40)
    tables["sources"][0].update(capacity_t_per_yr=200, spot_premium=1.2)
    tables["disruptions"] = [{"scenario": "calm", "material": "x", "country": "aa",
                              "year_from": 2026, "year_to": 2026, "available_share": 0.3}]
    return tables, dict(horizon={"start": 2026, "end": 2030}, discount_rate=0.1, **keys)


@pytest.mark.parametrize("years_to_refill, refill_year", [(None, 2030), (2, 2028), (3, 2029)])
def test_a_drawn_stock_is_full_again_within_stock_refill_yr(hand, years_to_refill, refill_year):
    """Without the rule the refill waits for 2030, the cheapest year, for the end credit;
    with stock_refill_yr N the stock must be full from 2026 + N on, so it is refilled then:
    the objective rises by 4,000·(d(2026 + N) − d(2030))."""
    tables, keys = refill_case(stock_refill_yr=years_to_refill)
    results = hand(tables, **keys)
    draws = results.flows[results.flows["flow"] == "stock_draw"]
    refills = results.flows[results.flows["flow"] == "stock_refill"]
    assert draws.set_index("year")["t"].to_dict() == pytest.approx({2026: 40.0})
    assert refills.set_index("year")["t"].to_dict() == pytest.approx({refill_year: 40.0})
    unruled, keys = refill_case(stock_refill_yr=None)
    free = hand(unruled, **keys)
    rise = 4000 * (1.1 ** -(refill_year - 2026) - 1.1 ** -4)
    assert results.summary["objective_eur"] - free.summary["objective_eur"] == \
        pytest.approx(rise, rel=1e-7)


def crma_case():
    """Refined x and z, demand 100 t each, imported at 100 and 300 EUR/t. Existing EU
    refineries of 100 t/yr make x at 150 (50 more than importing it) and z at 500 (200 more).
    Per material, 40% of each: 40·50 + 40·200 = 10,000 over the 40,000 of importing all.
    In aggregate, 40% of the value 100·100 + 300·100: x costs 0.5 EUR per EUR of value
    produced, z 0.67: all 100 t of x (value 10,000, cost 5,000), then the other 6,000 of
    value as 20 t of z (4,000): 9,000 over."""
    tables = one_material()
    tables["materials"].append(dict(tables["materials"][0], material="z", name="Z"))
    tables["demand"].append({"material": "z", "year": 2026, "demand_t": 100})
    tables["sources"].append({"source": "z_aa", "material": "z", "country": "aa",
                              "price_eur_per_t": 300, "capacity_t_per_yr": 100,
                              "spot_premium": 1.0})
    plant = {"kind": "refining", "country": "ee", "capacity_t_per_yr": 100,
             "capex_eur_per_unit": 0, "fixed_opex_eur_per_unit_yr": 0, "lead_time_yr": 0,
             "max_units": 0, "existing_units": 1}
    tables["facilities"] = [dict(plant, facility="ref_x", output="x", variable_cost_eur_per_t=150),
                            dict(plant, facility="ref_z", output="z", variable_cost_eur_per_t=500)]
    return tables


def test_the_crma_aggregate_reading_never_costs_more_than_per_material(hand):
    free = hand(crma_case())
    per_material = hand(crma_case(), policy={"min_eu_processing_share": 0.4})
    aggregate = hand(crma_case(), policy={"min_eu_processing_share": 0.4,
                                          "crma_reading": "aggregate"})
    assert free.summary["objective_eur"] == pytest.approx(40000.0)
    assert per_material.summary["objective_eur"] == pytest.approx(50000.0)
    assert aggregate.summary["objective_eur"] == pytest.approx(49000.0)
    produced = aggregate.flows[aggregate.flows["flow"] == "production"]
    assert produced.set_index("source_or_facility")["t"].to_dict() == \
        pytest.approx({"ref_x": 100.0, "ref_z": 20.0})
    rows = aggregate.duals[aggregate.duals["constraint"] == "eu_processing_aggregate_share"]
    assert list(rows["material"]) == ["*"] and list(rows["unit"]) == ["MEUR"]
    # one more million EUR of value to produce costs 0.67 EUR per EUR (z at the margin)
    assert rows["shadow_price_pv"].sum() == pytest.approx(1e6 * 200 / 300, rel=1e-6)


def test_an_aggregate_benchmark_out_of_reach_is_explained(hand):
    """Plants of 30 t each can produce 30·100 + 30·300 = 12,000 EUR of value against the
    16,000 that 40% of consumption asks: 4,000 EUR (0.004 MEUR) must give way, one row."""
    tables = crma_case()
    for plant in tables["facilities"]:
        plant["capacity_t_per_yr"] = 30
    results = hand(tables, policy={"min_eu_processing_share": 0.4, "crma_reading": "aggregate"})
    assert results.status == "infeasible"
    rows = results.conflicts
    assert list(rows["constraint"]) == ["eu_processing_aggregate_share"]
    assert list(rows["material"]) == ["*"] and list(rows["year"]) == [2026]
    assert rows["violation"].sum() == pytest.approx(0.004, rel=1e-6)
