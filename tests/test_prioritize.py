"""Prioritisation on a case whose ranking and euros per tonne are worked out by hand."""
from __future__ import annotations

import numpy as np
import pytest

import optimizer
from optimizer.analysis.prioritize import dominant_country, options, prioritize
from conftest import one_material, write_dataset, write_study


def two_materials():
    """One year, two materials, scenarios calm and bad (p 0.5 each), shortage 1000 EUR/t.

    a: demand 100; sole source in cn (100 EUR/t, 200 t) delivers nothing in bad.
       diversify: au sells 40 t at 300 EUR/t. Alone it fills 40 of the 100 t gap in bad:
       avoided 0.5·40 = 20 t for 0.5·40·300 = 6,000 EUR: 300 EUR/t.
    b: demand 100; sole source in cn (100 EUR/t, 100 t) delivers half in bad.
       stockpile (holding 50 EUR/t·yr, normal price 100): K = 50 t, filled for 5,000,
       held for 2,500, credited 0.5·5,000 back in calm: 5,000 EUR; avoided 0.5·50 = 25 t:
       200 EUR/t.
       substitute: 20% of demand at 400 EUR/t avoided: 8,000 EUR, less 0.5·20·100 = 1,000
       of purchases saved in calm: 7,000 EUR; avoided 0.5·20 = 10 t: 700 EUR/t.
    Ranking: b stockpile (200), a diversify (300), b substitute (700).
    """
    return {
        "materials": [{"material": m, "name": m, "stage": "refined",
                       "shortage_cost_eur_per_t": 1000, "holding_cost_eur_per_t_yr": h,
                       "max_stock_t": cap}
                      for m, h, cap in (("a", 50, 0), ("b", 50, ""))],
        "demand": [{"material": m, "year": 2026, "demand_t": 100} for m in "ab"],
        "countries": [{"country": "cn", "name": "C", "eu": "false"},
                      {"country": "au", "name": "A", "eu": "false"}],
        "sources": [
            {"source": "a_cn", "material": "a", "country": "cn", "price_eur_per_t": 100,
             "capacity_t_per_yr": 200, "spot_premium": 1.0},
            {"source": "a_au", "material": "a", "country": "au", "price_eur_per_t": 300,
             "capacity_t_per_yr": 40, "spot_premium": 1.0},
            {"source": "b_cn", "material": "b", "country": "cn", "price_eur_per_t": 100,
             "capacity_t_per_yr": 100, "spot_premium": 1.0}],
        "scenarios": [{"scenario": "calm", "probability": 0.5},
                      {"scenario": "bad", "probability": 0.5}],
        "disruptions": [
            {"scenario": "bad", "material": "a", "country": "cn", "year_from": 2026,
             "year_to": 2026, "available_share": 0.0},
            {"scenario": "bad", "material": "b", "country": "cn", "year_from": 2026,
             "year_to": 2026, "available_share": 0.5}],
        "substitutes": [{"option": "b_sub", "material": "b", "kind": "substitution",
                         "max_share": 0.2, "cost_eur_per_t": 400}],
    }


@pytest.fixture
def case(tmp_path):
    write_dataset(tmp_path / "data", two_materials())
    return optimizer.load_case(optimizer.load_study(write_study(tmp_path)))


def test_ranking_and_euros_per_tonne_match_the_hand_computation(case):
    assert set(options(case)) == {("a", "diversify"), ("b", "stockpile"), ("b", "substitute")}
    table = prioritize(case, workers=1)
    assert list(zip(table["material"], table["lever"])) == \
        [("b", "stockpile"), ("a", "diversify"), ("b", "substitute")]
    by = table.set_index(["material", "lever"])
    assert by.loc[("b", "stockpile"), "eur_per_t"] == pytest.approx(200.0)
    assert by.loc[("a", "diversify"), "eur_per_t"] == pytest.approx(300.0)
    assert by.loc[("b", "substitute"), "eur_per_t"] == pytest.approx(700.0)
    assert by.loc[("b", "stockpile"), "avoided_t"] == pytest.approx(25.0)
    assert (table["avoided_t"] >= -1e-9).all()
    assert (table["marginal_t"] >= -1e-9).all()


def test_all_levers_cost_at_most_the_cheapest_single_lever_plan(case):
    from optimizer.analysis.prioritize import Closed, options as opts
    found = opts(case)
    every = tuple(found.values())
    full = optimizer.solve_case(case, duals=False).summary["objective_eur"]
    singles = [optimizer.solve_case(case, duals=False, prepare=Closed(
        tuple(v for j, v in enumerate(every) if j != i))).summary["objective_eur"]
        for i in range(len(every))]
    assert full <= min(singles) + 1e-6


def test_substitution_stays_within_max_share_and_ramp(tmp_path):
    """Five years, ramp 0.05 a year, max 0.15: the share path is at most 0.05, 0.10, 0.15."""
    tables = two_materials()
    tables["demand"] = [{"material": m, "year": y, "demand_t": 100}
                        for m in "ab" for y in range(2026, 2031)]
    for row in tables["disruptions"]:
        row["year_to"] = 2030
    tables["substitutes"][0].update(max_share=0.15, ramp_share_per_yr=0.05, cost_eur_per_t=10)
    write_dataset(tmp_path / "data", tables)
    results = optimizer.solve(write_study(tmp_path, horizon={"start": 2026, "end": 2030}))
    flows = results.flows[(results.flows["flow"] == "substitution")
                          & (results.flows["scenario"] == "calm")].set_index("year")["t"]
    share = flows.reindex(range(2026, 2031), fill_value=0.0) / 100
    assert (share <= 0.15 + 1e-9).all()
    assert (share.diff().fillna(share.iloc[0]) <= 0.05 + 1e-9).all()
    assert share.iloc[-1] == pytest.approx(0.15)


def test_cli_prioritize_writes_the_table_curve_and_report(tmp_path):
    from click.testing import CliRunner
    import pandas as pd
    from optimizer.cli import main
    from conftest import TINY
    out = tmp_path / "prio"
    result = CliRunner().invoke(main, ["prioritize", str(TINY), "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "prioritize.csv")
    assert list(table["rank"]) == list(range(1, len(table) + 1))
    assert (out / "figures" / "cost_curve.png").stat().st_size > 1000
    result = CliRunner().invoke(main, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert "cost curve" in (out / "report.html").read_text().lower()


def never_short():
    """One year, one scenario; x: demand 100 t, never short. Sources: aa 200 t at 100 EUR/t
    (the dominant country: most capacity), bb 40 t at 90 EUR/t; stock possible.

    none (aa only): 100 t from aa, 10,000 EUR; CVaR (one scenario) 10,000; aa's share 1.0.
    diversify alone: bb's 40 t at 90 and 60 t of aa: 9,600 EUR, so spent −400 EUR, CVaR
    avoided 400 EUR, aa's share 0.6: concentration reduced by 0.4 (40 points). EUR per EUR
    of CVaR avoided: −400 / 400 = −1 (it saves).
    stockpile alone: nothing stocked (holding costs, no risk): no benefit, ranked after.
    No lever avoids a tonne of shortfall: x is ranked by CVaR, and no figure is infinite.
    """
    tables = one_material(shortage=1000.0, holding=50.0)
    tables["sources"] = [{"source": f"x_{c}", "material": "x", "country": c,
                          "price_eur_per_t": p, "capacity_t_per_yr": cap, "spot_premium": 1.0}
                         for c, p, cap in (("aa", 100, 200), ("bb", 90, 40))]
    return tables


def test_a_material_never_short_is_ranked_by_cvar_avoided_never_inf(tmp_path):
    write_dataset(tmp_path / "data", never_short())
    case = optimizer.load_case(optimizer.load_study(write_study(tmp_path)))
    table = prioritize(case, workers=1)
    assert list(table["lever"]) == ["diversify", "stockpile"]
    assert list(table["ranked_by"]) == ["cvar_eur", "cvar_eur"]
    diversify = table.iloc[0]
    assert diversify["avoided_t"] == pytest.approx(0.0, abs=1e-6)
    assert diversify["spent_eur"] == pytest.approx(-400.0)
    assert diversify["cvar_avoided_eur"] == pytest.approx(400.0)
    assert diversify["concentration_reduced"] == pytest.approx(0.4)
    assert diversify["eur_per_benefit"] == pytest.approx(-1.0)
    assert table["eur_per_t"].isna().all() and table["eur_per_benefit"].iloc[1:].isna().all()
    numbers = table.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(numbers).any()


def test_the_dominant_country_is_read_on_the_capacity_path(tmp_path):
    """bb's capacity path lists 300 t in 2028 (before the first listed year, the nearest
    listed value: docs/data.md), so over 2026-2028 bb offers 900 t against
    aa's 600 t and dominates, though its constant capacity (40 t) is the smaller."""
    tables = never_short()
    tables["demand"] = [{"material": "x", "year": y, "demand_t": 100} for y in (2026, 2027, 2028)]
    tables["source_capacity"] = [{"source": "x_bb", "year": 2028, "capacity_t_per_yr": 300}]
    write_dataset(tmp_path / "data", tables)
    case = optimizer.load_case(optimizer.load_study(write_study(
        tmp_path, horizon={"start": 2026, "end": 2028})))
    assert dominant_country(case) == {"x": "bb"}
