"""The tiny study's outputs: every DESIGN file and column, conservation and cost re-derived."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

import optimizer
from optimizer.cli import main
from optimizer.results import COLUMNS
from conftest import TINY

DESIGN_FILES = {
    "builds.csv": ["facility", "kind", "country", "output", "year_built", "year_online", "units"],
    "stockpile.csv": ["material", "capacity_t", "days_of_demand"],
    "contracts.csv": ["source", "material", "country", "year", "volume_t"],
    "flows.csv": ["scenario", "year", "material", "flow", "source_or_facility", "t"],
    "shortfall.csv": ["scenario", "material", "year", "shortfall_t", "share_of_demand"],
    "costs.csv": ["scenario", "component", "eur", "material"],   # material: issue 18, docs/cli.md
    "kpis.csv": ["material", "year", "hhi", "max_country_share", "top_country",
                 "eu_processing_share", "recycling_share", "supply_risk", "max_supply_share",
                 "top_supplier"],   # the last two: issue 17's second KPI, docs/cli.md
}
SUMMARY_KEYS = {"status", "objective_eur", "expected_cost_eur", "cvar_eur", "mip_gap", "build_s",
                "solve_s", "study", "inputs_sha256", "versions"}
INFLOWS = ("contract", "spot", "production", "recycling", "collection", "substitution",
           "stock_draw")
OUTFLOWS = ("use", "stock_refill", "surplus", "write_off")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "tiny"
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def test_every_design_file_exists_with_its_columns(tiny_run):
    out, summary = tiny_run
    for name, columns in DESIGN_FILES.items():
        frame = pd.read_csv(out / name)
        assert list(frame.columns) == columns, name
    assert SUMMARY_KEYS <= set(json.loads((out / "summary.json").read_text()))
    assert summary["status"] == "optimal"
    assert list(pd.read_csv(out / "duals.csv").columns) == COLUMNS["duals"]


def test_flows_conserve_every_material_year_scenario(tiny_run):
    """supply + production + draw + shortfall = demand + use + refill (+ surplus resold)."""
    out, _ = tiny_run
    flows = pd.read_csv(out / "flows.csv")
    short = pd.read_csv(out / "shortfall.csv")
    case = optimizer.load_case(optimizer.load_study(TINY))
    net = flows.assign(t=flows["t"].where(flows["flow"].isin(INFLOWS), -flows["t"]))
    assert set(flows["flow"]) <= set(INFLOWS) | set(OUTFLOWS)
    balance = net.groupby(["material", "year", "scenario"])["t"].sum()
    balance = balance.add(short.set_index(["material", "year", "scenario"])["shortfall_t"],
                          fill_value=0.0)
    balance = balance.sub(case.demand, fill_value=0.0)
    assert balance.abs().max() < 1e-5
    assert len(balance) >= len(case.demand)


def test_costs_sum_to_the_objective(tiny_run):
    out, summary = tiny_run
    costs = pd.read_csv(out / "costs.csv", keep_default_na=False)
    prob = summary["probability"]
    weight = costs["scenario"].map(lambda w: 1.0 if w == "*" else prob[w])
    assert (costs["eur"] * weight).sum() == pytest.approx(summary["expected_cost_eur"], rel=1e-9)
    assert summary["expected_cost_eur"] == pytest.approx(summary["objective_eur"], rel=1e-6)
    assert set(costs.loc[costs["scenario"] == "*", "component"]) == \
        {"capex", "opex", "holding", "stock_fill"}
    credits = costs[costs["component"].isin(["resale", "stock_end_value"])]
    assert (credits["eur"] <= 1e-9).all()


def test_the_cli_never_overwrites_a_folder(tiny_run):
    out, _ = tiny_run
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(out)])
    assert result.exit_code == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_kpis_follow_the_plan(tiny_results):
    k = tiny_results.kpis
    assert ((k["hhi"] > 0) & (k["hhi"] <= 1 + 1e-9)).all()
    assert (k["max_supply_share"] ** 2 <= k["hhi"] + 1e-9).all()
    assert ((k["recycling_share"] >= 0) & (k["supply_risk"] >= 0)).all()


def test_the_crma_kpi_is_one_non_eu_country_over_consumption(tiny_results):
    """max_country_share re-derived from flows.csv: the expected contract + spot
    tonnes of its country over expected consumption (demand − substitution + use), capped
    at 1; no other non-EU country imports more; an EU country is never named."""
    tiny_case = optimizer.load_case(optimizer.load_study(TINY))
    k, flows = tiny_results.kpis, tiny_results.flows
    p = tiny_results.summary["probability"]
    country = flows["source_or_facility"].map(tiny_case.sources["country"])
    imports = flows[flows["flow"].isin(["contract", "spot"])].assign(country=country)
    imports = (imports["t"] * imports["scenario"].map(p)).groupby(
        [imports["material"], imports["year"], imports["country"]]).sum()
    sign = flows["flow"].map({"use": 1.0, "substitution": -1.0})
    moved = flows[sign.notna()].assign(t=flows["t"] * sign)
    frame = pd.concat([tiny_case.demand.rename("t").reset_index(), moved])
    used = (frame["t"] * frame["scenario"].map(p)).groupby([frame["material"],
                                                            frame["year"]]).sum()
    eu = set(tiny_case.countries.index[tiny_case.countries["eu"].astype(bool)])
    assert k["max_country_share"].between(0, 1).all()
    assert (k["max_country_share"] > 0).any()
    for r in k.itertuples():
        third = {c: t for (m, y, c), t in imports.items() if m == r.material and
                 y == r.year and c not in eu and t > 0}
        if not third:
            assert r.max_country_share == 0 and r.top_country == ""
            continue
        assert r.top_country == max(third, key=third.get)
        assert r.max_country_share == pytest.approx(
            min(1.0, third[r.top_country] / used[r.material, r.year]), rel=1e-9)


def test_json_stdout_is_only_the_summary(tmp_path):
    """The real process: nothing else (not even HiGHS' banner) reaches stdout."""
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "optimizer", "solve", str(TINY), "--json",
                           "--out", str(tmp_path / "run")], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout)["status"] == "optimal"
