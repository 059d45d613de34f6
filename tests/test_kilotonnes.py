"""Material handed to HiGHS in kilotonnes: the same plan, a narrower matrix, and only the
columns and rows counted in tonnes rescaled."""
from __future__ import annotations

import numpy as np
import pytest
from test_hand_optima import build_case

from conftest import write_dataset, write_study
from optimizer.case import load_case
from optimizer.formulation import build_model
from optimizer.solve import _run, to_highs
from optimizer.study import load_study


@pytest.fixture
def model(tmp_path):
    write_dataset(tmp_path / "data", build_case(59000))
    study = write_study(tmp_path, horizon={"start": 2026, "end": 2030})
    return build_model(load_case(load_study(study)))


def solved(handover):
    handover.highs.setOptionValue("mip_rel_gap", 0.0)
    _run(handover.highs)
    return handover.highs.getInfo().objective_function_value, handover.values()


def test_tonnes_are_passed_as_kilotonnes_and_the_plan_is_the_same(model):
    plain, scaled = to_highs(model), to_highs(model, kilotonnes=True)
    factor = {v.parent_component().name: f for v, f in zip(scaled.columns, scaled.column_scale)}
    assert factor["spot"] == factor["production"] == factor["stock_capacity"] == 1e3
    assert factor["units_built"] == 1.0                   # an integer keeps its unit
    assert factor["scenario_component"] == 1.0           # money stays in million EUR
    # a row counted in tonnes is in kt; a cost definition (money) keeps its coefficients
    lp_plain, lp_scaled = plain.highs.getLp(), scaled.highs.getLp()
    rows = [con.parent_component().name for con, _ in scaled.rows]
    balance = rows.index("material_balance")
    assert lp_scaled.row_upper_[balance] == pytest.approx(lp_plain.row_upper_[balance] / 1e3)

    def spread(lp):
        values = np.abs(np.asarray(lp.a_matrix_.value_))
        return values.max() / values.min()
    assert spread(lp_scaled) < spread(lp_plain) / 10

    objective_plain, x_plain = solved(plain)
    objective_scaled, x_scaled = solved(scaled)
    assert objective_scaled == pytest.approx(objective_plain, rel=1e-9)
    assert x_scaled == pytest.approx(x_plain, rel=1e-6, abs=1e-6)
