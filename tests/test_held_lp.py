"""The kept LP (analysis/held_lp.py) that evaluates a plan out of sample gives each sample
the cost and shortfall of a model built and solved from scratch for that sample alone."""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest

import optimizer
from conftest import TINY
from optimizer.analysis.disruptions import EventRule, Events
from optimizer.analysis.held import HeldModel
from optimizer.analysis.affine import AffineNumbers
from optimizer.analysis.stress import monte_carlo_samples, run_samples
from optimizer.plan import Plan
from optimizer.scenarios import with_scenarios
from test_analysis_value import case_of
from test_hand_optima import cap_case, fractile_case


def from_scratch(case, plan, data) -> tuple[float, float]:
    """(cost, total shortfall) of the plan in one scenario: a model built for it alone,
    solved through Pyomo's interface (no kept LP, no Params changed)."""
    held = HeldModel(with_scenarios(case, {"alone": (1.0, data)}), plan)
    evaluation = held.solve()
    assert evaluation.ok
    return evaluation.objective, sum(v.value or 0.0 for v in held.model.shortfall.values())


def assert_same_as_from_scratch(case, plan, samples):
    frame = run_samples(case, plan, samples).set_index("sample")
    assert (frame["status"] == "optimal").all()
    for name, _, data in samples:
        cost, short = from_scratch(case, plan, data)
        assert frame.at[name, "total_cost_eur"] == pytest.approx(cost, rel=1e-9)
        assert frame.at[name, "shortfall_t"] == pytest.approx(short, rel=1e-9, abs=1e-6)


def test_each_sample_costs_what_a_model_of_its_own_says():
    """Tiny dataset, Chinese cuts of 1-3 years at 0-50% and 1.5-3x spot prices: one kept
    LP re-solved from the last basis for 12 samples against 12 models built afresh."""
    case = optimizer.load_case(optimizer.load_study(TINY))
    plan = Plan.of(optimizer.solve_case(case), case)
    events = Events(events=(EventRule(country="cn", yearly_probability=0.3),))
    samples = monte_carlo_samples(case, events, 12, seed=5)
    assert len({round(s[2].availability[k], 9) for s in samples for k in s[2].availability}) > 2
    assert_same_as_from_scratch(case, plan, samples)


def test_the_stock_is_drawn_only_in_each_samples_own_crises(tmp_path):
    """Fractile case (stock K = 40 t): aa cut to U(0, 1) in some samples; the stock opens
    where a sample is cut and closes again in the next calm one."""
    case = case_of(tmp_path, fractile_case())
    plan = Plan.of(optimizer.solve_case(case), case)
    events = Events(events=(EventRule(country="aa", yearly_probability=0.6,
                                      duration_yr=(1, 1), available_share=(0.0, 1.0),
                                      price_multiplier=(1.0, 1.0)),))
    samples = monte_carlo_samples(case, events, 12, seed=3)
    assert {bool(s[2].disrupted) for s in samples} == {True, False}
    assert_same_as_from_scratch(case, plan, samples)


def test_rows_lifted_in_disrupted_years_come_back_in_the_next_sample(tmp_path):
    """cap_case with a 50% country cap, lifted in the years bb is cut: samples with and
    without cuts in turn, so that the kept LP frees and restores the cap's rows."""
    tables = cap_case()
    tables["scenarios"] = [{"scenario": "calm", "probability": 1.0}]
    case = case_of(tmp_path, tables, policy={"max_country_share": 0.5})
    plan = Plan.of(optimizer.solve_case(case), case)
    events = Events(events=(EventRule(country="bb", yearly_probability=0.5,
                                      duration_yr=(1, 1)),))
    samples = monte_carlo_samples(case, events, 10, seed=2)
    assert {bool(s[2].disrupted) for s in samples} == {True, False}
    assert_same_as_from_scratch(case, plan, samples)


def test_numbers_are_affine_in_the_params_and_a_product_of_params_is_refused():
    m = pyo.ConcreteModel()
    m.p = pyo.Param(initialize=2.0, mutable=True)
    m.q = pyo.Param(initialize=3.0, mutable=True)
    numbers = AffineNumbers()
    numbers.add(4 * m.p + 1)
    numbers.add(-(m.p / 2) + m.q)
    values = numbers.evaluator()
    assert list(values(np.array([2.0, 3.0]))) == [9.0, 2.0]
    assert list(values(np.array([0.0, 1.0]))) == [1.0, 1.0]
    with pytest.raises(ValueError, match="product"):
        numbers.add(m.p * m.q)
