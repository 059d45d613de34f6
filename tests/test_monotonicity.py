"""A looser policy, or one more option, never costs more."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

import optimizer
from conftest import TINY

POLICIES = {"max_country_share": 0.65, "min_eu_processing_share": 0.4,
            "min_recycling_share": 0.05, "min_stock_days": 30, "budget_eur": 6.0e8}
FROM = 2029   # new EU plants cannot be online earlier


def tiny(**changes) -> optimizer.Study:
    study = optimizer.load_study(TINY)
    return study.model_copy(update=changes)


@pytest.fixture(scope="module")
def all_policies():
    return optimizer.solve(tiny(policy=optimizer.study.Policy(from_year=FROM, **POLICIES)))


@pytest.mark.parametrize("dropped", sorted(POLICIES))
def test_dropping_a_policy_never_raises_cost(all_policies, dropped):
    assert all_policies.ok
    looser = {k: v for k, v in POLICIES.items() if k != dropped}
    results = optimizer.solve(tiny(policy=optimizer.study.Policy(from_year=FROM, **looser)))
    assert results.ok
    assert results.summary["objective_eur"] <= all_policies.summary["objective_eur"] * (1 + 1e-4)


def test_a_looser_cap_never_costs_more():
    costs = [optimizer.solve(tiny(policy=optimizer.study.Policy(max_country_share=c)))
             .summary["objective_eur"] for c in (0.5, 0.65, 0.8, 1.0)]
    assert all(a >= b * (1 - 1e-4) for a, b in zip(costs, costs[1:]))


def test_adding_a_source_never_raises_cost(tmp_path, tiny_results):
    data = tmp_path / "tiny"
    shutil.copytree(TINY.parent.parent / "inputs" / "tiny", data)
    sources = pd.read_csv(data / "sources.csv")
    extra = sources.iloc[[0]].assign(source="ndpr_vn", country="au", price_eur_per_t=66000)
    pd.concat([sources, extra]).to_csv(data / "sources.csv", index=False)
    study = yaml.safe_load(TINY.read_text())
    study["inputs"] = str(data)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    more = optimizer.solve(path)
    assert more.summary["objective_eur"] <= tiny_results.summary["objective_eur"] * (1 + 1e-4)


def test_more_time_to_refill_a_stock_never_costs_more():
    """With a 60-day stock drawn in the export ban, refilling within 1 year is dearer than
    within 3, and 3 dearer than no rule (tiny's optimum moves at each step)."""
    costs = [optimizer.solve(tiny(stock_refill_yr=n, policy=optimizer.study.Policy(
        min_stock_days=60))).summary["objective_eur"] for n in (1, 3, None)]
    assert all(a >= b * (1 - 1e-4) for a, b in zip(costs, costs[1:]))
    assert costs[0] > costs[-1]
