"""A fixed plan evaluated a few scenarios at a time gives the extensive form's results: the
scale-out engine's path to results over more scenarios than one extensive form holds."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from conftest import TINY
from optimizer.analysis.disruptions import Events
from optimizer.analysis.stress import monte_carlo_samples
from optimizer.case import load_case
from optimizer.formulation import build_model
from optimizer.mpisppy import driver
from optimizer.mpisppy.evaluate import solve_fixed
from optimizer.plan import Plan
from optimizer.scenarios import with_scenarios
from optimizer.solve import solve_model
from optimizer.study import Policy, Risk, load_study


def optimal_plan(case) -> Plan:
    model = build_model(case)
    assert solve_model(model, case.study.solver).status == "optimal"
    return Plan.from_model(model)


def sorted_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


# CVaR at 4/7: the tail is exactly three of the seven equally likely scenarios. A scenario
# straddling the VaR, or two tied at it, would have no unique dual (any split of its weight is
# optimal): seed 5 of the sampler gives seven distinct costs with a clear gap at the VaR.
@pytest.mark.parametrize("risk", [Risk(), Risk(measure="cvar", alpha=4 / 7, weight=2.0)])
def test_chunks_of_scenarios_give_the_extensive_forms_results(risk):
    """Seven sampled scenarios, the last with demand 50% up (so that the peak consumption
    behind the days of cover is in the last chunk), and a 60% country cap that binds in
    several scenarios (so that the duals of a chunk must be scaled to the study's)."""
    study = load_study(TINY)
    case = load_case(study.model_copy(update={"risk": risk,
                                              "policy": Policy(max_country_share=0.6)}))
    scenario_set = {name: (w, data) for name, w, data in monte_carlo_samples(case, Events(), 7,
                                                                                seed=5)}
    w, data = scenario_set["s00007"]
    scenario_set["s00007"] = (w, dataclasses.replace(
        data, demand={k: 1.5 * t for k, t in data.demand.items()}))
    case = with_scenarios(case, scenario_set)
    prepare = optimal_plan(case).hold
    whole = solve_fixed(case, prepare)
    chunked = solve_fixed(case, prepare, chunk=3)     # 3 + 3 + 1 scenarios
    assert "evaluated_in_chunks" not in whole.summary
    assert chunked.summary["evaluated_in_chunks"] == 3
    for key in ("objective_eur", "expected_cost_eur", "cvar_eur"):
        assert chunked.summary[key] == pytest.approx(whole.summary[key], rel=1e-7), key
    for name in ("builds", "contracts", "costs", "flows", "shortfall", "stockpile", "kpis",
                 "materials"):
        pd.testing.assert_frame_equal(sorted_frame(chunked.tables[name]),
                                      sorted_frame(whole.tables[name]), rtol=1e-6, atol=1e-4,
                                      check_dtype=False, obj=name)
    per_scenario = ["constraint", "material", "country", "year", "scenario"]
    duals = [d.tables["duals"].query("scenario not in ['*', '']").set_index(per_scenario)
             .sort_index()[["shadow_price", "shadow_price_pv"]] for d in (chunked, whole)]
    assert (duals[1]["shadow_price_pv"].abs() > 1e-3).sum() >= 5
    pd.testing.assert_frame_equal(*duals, rtol=1e-5, atol=1e-3)


def test_value_at_risk_bounds_over_chunks_are_those_of_the_whole_study(monkeypatch):
    """The CVaR bounds PH needs come from models of a few scenarios each, never the whole
    extensive form, and equal what the whole would give."""
    case = load_case(load_study(TINY).model_copy(update={
        "risk": Risk(measure="cvar", alpha=0.5, weight=2.0)}))
    whole = driver.value_at_risk_bounds(case)
    monkeypatch.setattr(driver, "SCENARIOS_PER_MODEL", 1)
    built = []
    monkeypatch.setattr(driver, "build_model", lambda c, ids: built.append(ids) or
                        build_model(c, ids))
    assert driver.value_at_risk_bounds(case) == pytest.approx(whole, rel=1e-12)
    assert built == [[w] for w in case.scenario_ids]
    lower, upper = whole
    assert lower <= 0.0 < upper
