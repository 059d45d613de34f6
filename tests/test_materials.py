"""materials.csv re-derived from a run's flows.csv, costs.csv and the other output files, and
costs.csv's material column summing to the objective."""
from __future__ import annotations

import json

import pandas as pd
import pytest

import optimizer
from optimizer.case import load_case
from optimizer.report.writer import write
from optimizer.study import load_study

from conftest import TINY, value, write_dataset, write_study
from test_hand_optima import fractile_case


def read(folder, name):
    return pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])


def tail_weights(costs: pd.DataFrame, probability: dict, alpha: float) -> dict:
    """CVaR_alpha's weight on each scenario: the worst 1 - alpha of probability, worst first."""
    first = costs.loc[costs["scenario"] == "*", "eur"].sum()
    totals = costs[costs["scenario"] != "*"].groupby("scenario")["eur"].sum() + first
    left, weights = 1.0 - alpha, {}
    for w in totals.sort_values(ascending=False).index:
        weights[w] = max(0.0, min(probability[w], left)) / (1.0 - alpha)
        left -= weights[w] * (1.0 - alpha)
    return weights


def rederive(folder, case) -> pd.DataFrame:
    """The money and share columns of materials.csv from the other files of the run."""
    summary = json.loads((folder / "summary.json").read_text())
    p, alpha = summary["probability"], summary["risk"]["alpha"]
    costs, flows = read(folder, "costs"), read(folder, "flows")
    costs["material"] = costs["material"].fillna("")
    weight = costs["scenario"].map(lambda w: 1.0 if w == "*" else p[w])
    tail = {"*": 1.0, **tail_weights(costs, p, alpha)}
    charged = costs[costs["material"] != ""]
    out = pd.DataFrame({
        "cost_eur": (charged["eur"] * weight).groupby(charged["material"]).sum(),
        "shortage_eur": (charged["eur"] * weight).where(charged["component"] == "shortage", 0.0)
        .groupby(charged["material"]).sum(),
        "cvar_contribution_eur": (charged["eur"] * charged["scenario"].map(tail))
        .groupby(charged["material"]).sum()})
    f = flows.assign(et=flows["t"] * flows["scenario"].map(p))
    demand = case.demand.rename("t").reset_index()
    demand = demand.assign(et=demand["t"] * demand["scenario"].map(p))
    sign = f["flow"].map({"use": 1.0, "substitution": -1.0})
    used = pd.concat([demand, f[sign.notna()].assign(et=f["et"] * sign)])
    consumed = used.groupby("material")["et"].sum()
    by_year = used.groupby(["material", "year"])["et"].sum()

    def total(flow_names, where=None):
        rows = f[f["flow"].isin(flow_names) & (True if where is None else where)]
        return rows.groupby("material")["et"].sum().reindex(consumed.index).fillna(0.0)

    imported = total(["contract", "spot"]) - total(["surplus", "write_off"])
    out["import_dependence"] = imported / consumed
    eu_facility = f["source_or_facility"].map(case.facilities["country"]).map(
        case.countries["eu"]).fillna(False).astype(bool)
    out["eu_production_share"] = total(["production"], eu_facility) / consumed
    out["recycling_share"] = total(["recycling"], eu_facility) / consumed
    country = f["source_or_facility"].map(case.sources["country"])
    imports = f["flow"].isin(["contract", "spot"]) \
        & ~country.map(case.countries["eu"]).fillna(True).astype(bool) \
        & (f["year"] >= case.study.from_year)
    third = f[imports].assign(country=country[imports]).groupby(
        ["material", "year", "country"])["et"].sum()
    out["max_non_eu_share"] = (third / by_year.reindex(third.droplevel("country").index)
                               .to_numpy()).clip(upper=1.0).groupby(level="material").max()
    short = read(folder, "shortfall")
    out["expected_shortfall_t"] = (short["shortfall_t"] * short["scenario"].map(p)) \
        .groupby(short["material"]).sum()
    out["stock_t"] = read(folder, "stockpile").set_index("material")["capacity_t"]
    return out


def fractile_cvar(tmp_path):
    folder = tmp_path / "fractile"
    write_dataset(folder / "data", fractile_case())
    return optimizer.solve(write_study(folder, risk={"measure": "cvar", "alpha": 0.8,
                                                     "weight": 1.0}))


@pytest.fixture(params=["tiny", "fractile_cvar"])
def run(request, tmp_path, tiny_results):
    results = tiny_results if request.param == "tiny" else fractile_cvar(tmp_path)
    assert results.status == "optimal"
    study = load_study(TINY if request.param == "tiny" else tmp_path / "fractile" / "study.yaml")
    return write(results, tmp_path / "out"), load_case(study)


def test_materials_csv_is_rederived_from_flows_and_costs(run):
    folder, case = run
    materials = read(folder, "materials").set_index("material")
    expected = rederive(folder, case)
    for column in expected:
        got = materials[column].reindex(expected.index).fillna(0.0)
        assert got.to_numpy() == pytest.approx(expected[column].fillna(0.0).to_numpy(),
                                               rel=1e-9, abs=1e-6), column
    parts = ["purchases_eur", "capex_eur", "opex_eur", "stock_eur", "substitution_eur",
             "shortage_eur"]
    assert materials[parts].sum(axis=1).to_numpy() == pytest.approx(
        materials["cost_eur"].to_numpy(), rel=1e-12)


def test_costs_per_material_and_the_remainder_add_up_to_the_objective(run):
    folder, case = run
    summary = json.loads((folder / "summary.json").read_text())
    costs, materials = read(folder, "costs"), read(folder, "materials")
    p, risk = summary["probability"], summary["risk"]
    rest = costs[costs["material"].isna()]
    weight = rest["scenario"].map(lambda w: 1.0 if w == "*" else p[w]).astype(float)
    unattributed = float((rest["eur"] * weight).sum())
    tail = {"*": 1.0, **tail_weights(costs, p, risk["alpha"])}
    unattributed_tail = float((rest["eur"] * rest["scenario"].map(tail).astype(float)).sum())
    assert materials["cost_eur"].sum() + unattributed == pytest.approx(
        summary["expected_cost_eur"], rel=1e-9)
    assert materials["cvar_contribution_eur"].sum() + unattributed_tail == pytest.approx(
        summary["cvar_eur"], rel=1e-9)
    cvar_weight = risk["weight"] if risk["measure"] == "cvar" else 0.0
    assert materials["cost_eur"].sum() + unattributed + cvar_weight * (
        materials["cvar_contribution_eur"].sum() + unattributed_tail) == pytest.approx(
        summary["objective_eur"], rel=1e-7)
    # Every cost of these cases belongs to a material: re-priced from the tables, the
    # components come out as the model counted them (a component of no material is 0).
    assert (rest["eur"].abs() < 1e-6).all()


def test_a_single_material_carries_the_whole_hand_optimum(hand):
    """The critical-fractile case (test_hand_optima): one material, stock 40 t, expected cost
    29,200 EUR: purchases 0.5·10,000 + 0.3·6,000 + 0.2·2,000 = 7,200, the stock (fill 4,000
    + holding 12,000 - end value 0.5·4,000, drawn empty in mid and bad) 14,000 and the
    shortage 0.2·40 t·1,000 = 8,000. The stock meets 0.3·40 + 0.2·40 = 20 t of the 100 t
    consumed, imports 72 t, and 8 t go short."""
    results = hand(fractile_case())
    row = results.materials.set_index("material").loc["x"]
    assert row["cost_eur"] == pytest.approx(29200.0, rel=1e-9)
    assert row["purchases_eur"] == pytest.approx(7200.0, rel=1e-9)
    assert row["stock_eur"] == pytest.approx(14000.0, rel=1e-9)
    assert row["shortage_eur"] == pytest.approx(8000.0, rel=1e-9)
    assert row["stock_t"] == pytest.approx(40.0)
    assert row["expected_shortfall_t"] == pytest.approx(8.0)
    # 72 t of the 100 t consumed come from country aa in expectation (100, 60, 20 t)
    assert row["max_non_eu_share"] == pytest.approx(0.72)
    assert row["import_dependence"] == pytest.approx(0.72)
    assert row["max_non_eu_country"] == "aa"


def test_the_largest_country_share_never_exceeds_consumption(hand):
    """Two years, demand 100 t each; the source (country aa, 200 t/yr) delivers a fifth in
    2026 in scenario bad (p 0.5), so a stock pays (a tonne costs 2·100 EUR of holding and
    saves 0.5·(1000 − 100) EUR of shortage) and is drawn there and, with stock_refill_yr 1,
    bought back in 2027 on top of that year's 100 t: aa's expected imports in 2027 exceed
    the 100 t consumed. The CRMA measure is a share of consumption, so it stops at 100%
    (kpis.csv's max_country_share, whose largest value materials.csv repeats)."""
    tables = fractile_case(holding=100)
    tables["demand"] = [{"material": "x", "year": y, "demand_t": 100} for y in (2026, 2027)]
    tables["sources"][0]["capacity_t_per_yr"] = 200
    tables["scenarios"] = [{"scenario": "calm", "probability": 0.5},
                           {"scenario": "bad", "probability": 0.5}]
    tables["disruptions"] = [{"scenario": "bad", "material": "x", "country": "aa",
                              "year_from": 2026, "year_to": 2026, "available_share": 0.2}]
    results = hand(tables, horizon={"start": 2026, "end": 2027}, stock_refill_yr=1)
    flows = results.flows
    drawn = value(flows, "t", flow="stock_draw", scenario="bad", year=2026)
    imported = 0.5 * sum(value(flows, "t", flow=kind, scenario=w, year=2027)
                         for kind in ("contract", "spot") for w in ("calm", "bad"))
    assert drawn > 0 and imported == pytest.approx(100.0 + 0.5 * drawn)   # above 100 t
    row = results.materials.set_index("material").loc["x"]
    assert row["max_non_eu_share"] == pytest.approx(1.0)
    assert row["max_non_eu_country"] == "aa"
    kpis = results.kpis.set_index("year")
    assert kpis.loc[2027, "max_country_share"] == pytest.approx(1.0)
    assert row["max_non_eu_share"] == pytest.approx(kpis["max_country_share"].max())
