"""A Plan survives every form it travels in: model -> Plan -> tables -> Plan -> held model,
and the mpi-sppy engine's {variable name: value}, with the objective unchanged."""
from __future__ import annotations

import pytest

import optimizer
from conftest import TINY
from optimizer.formulation import build_model
from optimizer.plan import Plan
from optimizer.report.writer import read


@pytest.fixture(scope="module")
def tiny():
    case = optimizer.load_case(optimizer.load_study(TINY))
    return case, optimizer.solve_case(case, duals=False)


def nonzero(plan: Plan) -> dict:
    return {name: {k: v for k, v in values.items() if abs(v) > 1e-6}
            for name, values in plan.items()}


def test_the_model_plan_round_trips_through_the_output_tables(tiny, tmp_path):
    case, results = tiny
    from_model = results.plan
    assert set(from_model) == {"contract", "units_built", "stock_capacity",
                               "substitution_share", "adopted"}
    assert any(v > 0 for v in from_model["contract"].values())
    optimizer.write(results, tmp_path / "run")
    from_tables = Plan.from_tables(read(tmp_path / "run"), case)
    kept, read_back = nonzero(from_model), nonzero(from_tables)
    for name in kept:
        assert read_back[name] == pytest.approx(kept[name], rel=1e-9), name
    held = optimizer.solve_case(case, duals=False, prepare=from_tables.hold)
    assert held.summary["objective_eur"] == pytest.approx(results.summary["objective_eur"],
                                                          rel=1e-9)


def test_the_engine_form_names_every_first_stage_variable_once(tiny):
    case, results = tiny
    model = build_model(case)
    values = results.plan.to_engine(model)
    assert len(values) == sum(len(v) for v in results.plan.values())
    assert Plan.from_engine(values, model) == results.plan


def test_a_plan_naming_what_the_case_lacks_is_refused(tiny):
    case, _ = tiny
    with pytest.raises(optimizer.InputError, match="no_such_source"):
        Plan({"contract": {("no_such_source", 2026): 1.0}}).check(case)
