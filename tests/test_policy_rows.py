"""One small case per policy row family in which only that row binds, against its hand value
(the country cap, recycling share, stock days, budget and land limit are in
test_hand_optima.py, the aggregate CRMA reading in test_supply_rules.py), and policies
given per material or group."""
from __future__ import annotations

import pytest
import yaml

from conftest import one_material, value
from test_input_faults import refused, tiny  # noqa: F401 (tiny: a fixture)


def eu_plant_case(kind: str, stage: str):
    """Material x: demand 100 t, imported at 100 EUR/t. An EU plant of `kind` (100 t/yr a
    unit, capex 1,000, 150 EUR/t, no inputs) is dearer, so nothing is built unless a floor
    asks for it. A 40% floor: one unit making 40 t, cost 1,000 + 40·150 + 60·100 = 13,000
    against 10,000; each further tonne of the floor moves one tonne from import to the
    plant: 50 EUR/t."""
    tables = one_material(holding=10.0, stage=stage)
    tables["sources"][0].update(capacity_t_per_yr=1000)
    tables["facilities"] = [{
        "facility": "plant", "kind": kind, "country": "ee", "output": "x",
        "capacity_t_per_yr": 100, "capex_eur_per_unit": 1000, "fixed_opex_eur_per_unit_yr": 0,
        "variable_cost_eur_per_t": 150, "lead_time_yr": 0, "max_units": 1}]
    return tables


@pytest.mark.parametrize("key, kind, stage, row", [
    ("min_eu_processing_share", "refining", "refined", "eu_processing_share"),
    ("min_eu_extraction_share", "mining", "raw", "eu_extraction_share"),
])
def test_an_eu_share_floor_binds_at_the_hand_cost(hand, key, kind, stage, row):
    free = hand(eu_plant_case(kind, stage))
    assert free.builds.empty
    assert free.summary["objective_eur"] == pytest.approx(10000.0)
    floor = hand(eu_plant_case(kind, stage), policy={key: 0.4})
    assert floor.summary["objective_eur"] == pytest.approx(13000.0)
    assert value(floor.flows, "t", flow="production") == pytest.approx(40.0)
    assert set(floor.duals["constraint"]) == {row}
    assert value(floor.duals, "shadow_price", constraint=row) == pytest.approx(50.0)


def test_the_shortfall_cap_binds_at_the_hand_cost(hand):
    """Shortage costs 50 EUR/t, buying 100 EUR/t: unconstrained all 100 t go short (5,000).
    At most 30% short: 70 t bought, 30 t short = 8,500; each tonne less of allowed
    shortfall is one more bought instead: 50 EUR/t."""
    free = hand(one_material(shortage=50.0))
    assert free.summary["objective_eur"] == pytest.approx(5000.0)
    capped = hand(one_material(shortage=50.0), risk={"max_shortfall_share": 0.3})
    assert capped.summary["objective_eur"] == pytest.approx(8500.0)
    assert value(capped.shortfall, "shortfall_t") == pytest.approx(30.0)
    assert value(capped.duals, "shadow_price", constraint="shortfall_share_limit") == \
        pytest.approx(50.0)


@pytest.mark.parametrize("key, column", [("energy_gwh_per_yr", "energy_gwh_per_yr_per_unit"),
                                         ("staff_fte", "staff_fte_per_unit")])
def test_energy_and_staff_limits_bind_like_land(hand, key, column):
    """As the land test: two plants would pay (savings 40,000 and 30,000), 10 units of the
    resource each, 15 available: only the better one; the next plant's 10 units are worth
    30,000: 3,000 EUR per unit of the resource (priced by re-solving)."""
    from test_hand_optima import build_case
    tables = build_case(20000)
    tables["demand"] = [dict(row, demand_t=200) for row in tables["demand"]]
    tables["facilities"].append(dict(tables["facilities"][0], facility="plant_b",
                                     capex_eur_per_unit=30000))
    for row in tables["facilities"]:
        row[column] = 10
    results = hand(tables, horizon={"start": 2026, "end": 2030}, policy={"limits": {key: 15}})
    assert list(results.builds["facility"]) == ["plant"]
    name = key.split("_")[0] + "_limit"
    assert value(results.duals, "shadow_price", constraint=name) == pytest.approx(3000.0)


def two_materials():
    """Materials x and z alike: demand 100 t each, aa sells at 100 EUR/t, bb at 150 EUR/t
    (as the country-cap case of test_hand_optima)."""
    tables = one_material(holding=100.0)
    z = dict(tables["materials"][0], material="z", name="Z")
    tables["materials"].append(z)
    tables["demand"] += [dict(row, material="z") for row in tables["demand"]]
    tables["sources"] = [
        {"source": f"{m}_{c}", "material": m, "country": c, "price_eur_per_t": price,
         "capacity_t_per_yr": 1000} for m in ("x", "z") for c, price in (("aa", 100), ("bb", 150))]
    return tables


@pytest.mark.parametrize("cap, groups, z_from_aa", [
    ({"x": 0.65}, {}, 100.0),
    ({"magnets": 0.65}, {"magnets": ["x"]}, 100.0),
    ({"x": 0.65, "*": 0.9}, {}, 90.0),
])
def test_a_per_material_cap_binds_only_on_its_material(hand, cap, groups, z_from_aa):
    """65% from aa for x only: x costs 65·100 + 35·150 = 11,750, z stays at 10,000 (or,
    capped at 90% as every other material, 90·100 + 10·150 = 10,500). Each tonne less of
    the cap moves one tonne to bb: 50 EUR/t, on the capped materials only."""
    results = hand(two_materials(), groups=groups, policy={"max_country_share": cap})
    z_cost = z_from_aa * 100 + (100 - z_from_aa) * 150
    assert results.summary["objective_eur"] == pytest.approx(11750.0 + z_cost)
    assert value(results.contracts, "volume_t", material="x", country="aa") == \
        pytest.approx(65.0)
    assert value(results.contracts, "volume_t", material="z", country="aa") == \
        pytest.approx(z_from_aa)
    binding = results.duals[results.duals["shadow_price"].abs() > 1e-9]
    assert set(binding["material"]) == ({"x"} if z_from_aa == 100.0 else {"x", "z"})
    assert value(binding, "shadow_price", material="x", country="aa") == pytest.approx(50.0)


def test_a_per_material_stock_floor_sizes_only_that_stock(hand):
    """73 days of 100 t is 20 t of x; z has no floor and, holding dearer than any shortage
    risk (no disruption), no stock."""
    results = hand(two_materials(), policy={"min_stock_days": {"x": 73}})
    stock = results.stockpile.set_index("material")["capacity_t"]
    assert stock["x"] == pytest.approx(20.0)
    assert stock.get("z", 0.0) == pytest.approx(0.0)


@pytest.mark.parametrize("keys, named", [
    ({"policy": {"max_country_share": {"ndpr_oxyde": 0.65}}},
     ["policy.max_country_share", "ndpr_oxyde", "did you mean 'ndpr_oxide'"]),
    ({"groups": {"magnets": ["ndfeb_magnet", "ndpr_oxid"]},
      "policy": {"max_country_share": {"magnets": 0.65}}},
     ["groups.magnets", "did you mean 'ndpr_oxide'"]),
    ({"policy": {"max_country_share": {"ndpr_oxide": 1.5}}},
     ["policy.max_country_share", "a number from 0 to 1, or a mapping"]),
    ({"policy": {"min_stock_days": {}}}, ["policy.min_stock_days", "a mapping of materials"]),
    ({"groups": {"a": ["ndpr_oxide"], "b": ["ndpr_oxide"]},
      "policy": {"max_country_share": {"a": 0.5, "b": 0.6}}},
     ["policy.max_country_share", "ndpr_oxide is in groups a (0.5) and b (0.6)"]),
])
def test_a_bad_per_material_key_is_refused_naming_it(tiny, keys, named):  # noqa: F811
    study = yaml.safe_load((tiny / "study.yaml").read_text())
    for key, given in keys.items():
        study[key] = {**study.get(key, {}), **given} if key == "policy" else given
    (tiny / "study.yaml").write_text(yaml.safe_dump(study))
    assert refused(tiny, *named)


def test_an_import_dependence_cap_binds_at_the_hand_cost(hand):
    """At most 60% of x imported: the EU plant of eu_plant_case makes the other 40 t, the
    same 13,000 as a 40% processing floor, and each tonne less of allowed imports costs the
    plant's 50 EUR/t premium."""
    capped = hand(eu_plant_case("refining", "refined"), policy={"max_import_share": 0.6})
    assert capped.summary["objective_eur"] == pytest.approx(13000.0)
    assert value(capped.flows, "t", flow="production") == pytest.approx(40.0)
    assert set(capped.duals["constraint"]) == {"import_share_limit"}
    assert value(capped.duals, "shadow_price", constraint="import_share_limit") == \
        pytest.approx(50.0)
