"""Block solving (optimizer/blocks.py, block_solve.py): a model whose materials share no row
is solved block by block, to the same optimum as the whole, certified the same way."""
from __future__ import annotations

import highspy
import numpy as np
import pytest
import scipy.sparse as sp

from conftest import one_material, value, write_dataset, write_study
from optimizer.block_solve import BlockSolver
from optimizer.blocks import Form, split
from optimizer.case import load_case
from optimizer.formulation import build_model
from optimizer.highs import standard_form
from optimizer.study import load_study

INF = highspy.kHighsInf


def two_plants(capex_x: float, capex_y: float) -> dict:
    """Materials x and y, each: demand 100 t/yr in 2026-2030 imported at 200 EUR/t, an EU
    plant of 150 t/yr making it at 50 EUR/t from 2027 (lead time 1 yr). A unit saves
    4 * 100 * 150 = 60,000, so it is built exactly when its capex is below 60,000. The LP
    relaxation builds 2/3 of a unit (100 of 150 t), so its bound, 100,000 - 60,000 + 2/3 capex,
    is far below the plan: the MIP must settle each block."""
    tables = one_material(years=range(2026, 2031), holding=1000.0, stage="component")
    y = dict(tables["materials"][0], material="y", name="Y")
    tables["materials"].append(y)
    tables["demand"] += [dict(row, material="y") for row in tables["demand"]]
    tables["sources"][0].update(price_eur_per_t=200, capacity_t_per_yr=1000)
    tables["sources"].append(dict(tables["sources"][0], source="y_aa", material="y"))
    plant = {"kind": "manufacturing", "country": "ee", "capacity_t_per_yr": 150,
             "fixed_opex_eur_per_unit_yr": 0, "variable_cost_eur_per_t": 50, "lead_time_yr": 1}
    tables["facilities"] = [dict(plant, facility="plant_x", output="x", capex_eur_per_unit=capex_x),
                            dict(plant, facility="plant_y", output="y", capex_eur_per_unit=capex_y)]
    return tables


def solved(tmp_path, tables, name, **keys):
    write_dataset(tmp_path / name / "data", tables)
    import optimizer
    return optimizer.solve(write_study(tmp_path / name, horizon={"start": 2026, "end": 2030},
                                       **keys))


def form_of(tmp_path, tables, **keys):
    write_dataset(tmp_path / "f" / "data", tables)
    case = load_case(load_study(write_study(tmp_path / "f", **keys)))
    return standard_form(build_model(case))[0]


@pytest.mark.parametrize("capex_y, built_y", [(61000, False), (59500, True)])
def test_each_block_is_settled_at_its_hand_optimum(tmp_path, capex_y, built_y):
    tables = two_plants(59000, capex_y)
    assert len(split(form_of(tmp_path, tables, horizon={"start": 2026, "end": 2030})).columns) == 2
    results = solved(tmp_path, tables, "blocks")
    whole = solved(tmp_path, tables, "whole", solver={"mip_rel_gap": 0.0, "time_limit_s": 60,
                                                      "threads": 1, "blocks": False})
    hand = (100000 - 60000 + 59000) + (100000 - 60000 + capex_y if built_y else 100000)
    assert results.summary["objective_eur"] == pytest.approx(hand, rel=1e-9)
    assert whole.summary["objective_eur"] == pytest.approx(hand, rel=1e-9)
    assert results.summary["expected_cost_eur"] == pytest.approx(hand, rel=1e-9)
    built = set(results.builds["facility"])
    assert built == ({"plant_x", "plant_y"} if built_y else {"plant_x"})
    # conservation per material, re-derived from flows: supply = demand every year
    for material in ("x", "y"):
        bought = value(results.flows, "t", material=material, flow="contract") + value(
            results.flows, "t", material=material, flow="spot")
        made = value(results.flows, "t", material=material, flow="production")
        assert bought + made == pytest.approx(500.0, rel=1e-9)


def test_a_risk_averse_study_is_one_block(tmp_path):
    """CVaR ties every material's cost in a scenario together: nothing to split."""
    tables = two_plants(59000, 61000)
    tables["scenarios"] = [{"scenario": "calm", "probability": 0.5},
                           {"scenario": "bad", "probability": 0.5}]
    tables["disruptions"] = [{"scenario": "bad", "material": "*", "country": "*",
                              "year_from": 2027, "year_to": 2027, "available_share": 0.5}]
    horizon = {"start": 2026, "end": 2030}
    assert split(form_of(tmp_path, tables, horizon=horizon)) is not None
    averse = form_of(tmp_path, tables, horizon=horizon,
                     risk={"measure": "cvar", "alpha": 0.5, "weight": 1.0})
    assert split(averse) is None


def test_rounding_keeps_a_row_over_integers():
    """LP plan 0.5 + 0.5 units in two years of a facility allowed 1 unit: rounding both up
    breaks x0 + x1 <= 1, so the one nearest its floor (0.5 against 0.6) goes back down."""
    A = sp.csc_array(np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    form = Form(cost=np.zeros(3), offset=0.0, lower=np.zeros(3), upper=np.full(3, INF),
                row_lower=np.array([-INF, -INF]), row_upper=np.array([1.0, 5.0]), A=A,
                integer=np.array([True, True, False]))
    blocks = type("B", (), {"columns": [np.arange(3)], "rows": [np.arange(2)]})()
    solver = BlockSolver.__new__(BlockSolver)
    solver.form, solver.blocks = form, blocks
    rounded = solver.rounded(0, np.array([0.5, 0.6, 2.5]), np.array([0, 1], dtype=np.int32))
    assert rounded.tolist() == [0.0, 1.0]


def test_tiny_in_blocks_matches_the_whole_within_the_gap(tmp_path):
    import optimizer
    from conftest import TINY
    study = load_study(TINY)
    whole = optimizer.solve(study.model_copy(update={"solver": study.solver.model_copy(
        update={"blocks": False})}))
    blocks = optimizer.solve(study)
    gap = study.solver.mip_rel_gap
    a, b = whole.summary["objective_eur"], blocks.summary["objective_eur"]
    assert abs(a - b) <= gap * max(a, b) + 1e-6
    # each certificate is valid for the other: a bound never exceeds either plan's cost
    for results in (whole, blocks):
        assert results.summary["mip_gap"] <= gap + 1e-12


def test_the_block_solve_gives_the_duals_of_its_plan(tmp_path):
    """x's plant costs 1,000 a unit: its LP relaxation builds 2/3 of a unit, and the plan
    rounded up (one unit) is within 1,000/3 of that bound, so x's LP with the unit fixed is
    the rounded plan's own. y's costs 61,000: rounded up it builds a unit worth less than it
    costs, the whole is 15% off its bound, and the MIP settles y (no unit), whose LP with the
    integers fixed is then solved once more. Both blocks' duals are those of the LP compiled
    afresh with every integer fixed at the plan."""
    from optimizer.explain import ROWS
    from optimizer.fixed_lp import fixed_lp_duals
    from optimizer.solve import solve_model
    write_dataset(tmp_path / "d" / "data", two_plants(1000, 61000))
    case = load_case(load_study(write_study(tmp_path / "d",
                                            horizon={"start": 2026, "end": 2030})))
    model = build_model(case)
    outcome = solve_model(model, case.study.solver, duals=True)
    assert outcome.status == "optimal" and outcome.row_dual is not None
    assert outcome.objective == pytest.approx((100000 - 60000 + 1000) + 100000, rel=1e-9)
    reused = fixed_lp_duals(model, case.study.solver, list(ROWS), outcome.form,
                            outcome.row_dual)
    compiled = fixed_lp_duals(model, case.study.solver, list(ROWS))
    assert reused.keys() == compiled.keys() and len(reused) > 0
    for key, price in compiled.items():
        assert reused[key] == pytest.approx(price, rel=1e-9, abs=1e-9), key
    # by hand (no discounting): x's tonne costs the import price, 200, until its plant runs
    # from 2027, then the plant's 50; y's costs 200 throughout
    prices = {key[1][:2]: price for key, price in reused.items() if key[0] == "material_balance"}
    assert prices == pytest.approx({("x", 2026): 200.0, **{("x", y): 50.0 for y in range(2027, 2031)},
                                    **{("y", y): 200.0 for y in range(2026, 2031)}}, rel=1e-9)
