"""Scenario data as the model reads it, and the Case transforms: over another scenario set,
a subset of its scenarios, the expected-value scenario, expected cost in place of CVaR.

One scenario w is, in the model's terms,

    demand[m,y]            demand_t, demand shocks applied
    availability[s,y]      available_share of source s (contracts and spare capacity)
    price_multiplier[m,y]  spot price multiplier of material m
    disrupted              the (m, y) covered by a disruption: no country cap applies there

The expected-value scenario replaces every scenario by the probability-weighted mean,

    demand̄[m,y] = Σ_w p_w·demand[m,y,w]    ā[s,y] = Σ_w p_w·a[s,y,w]    π̄[m,y] = Σ_w p_w·π[m,y,w]

and counts (m, y) as disrupted when any scenario of positive probability does.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import pandas as pd

from .case import Case
from .study import Study


@dataclass(frozen=True)
class ScenarioData:
    demand: dict          # (material, year) -> t
    availability: dict    # (source, year) -> share
    price_multiplier: dict  # (material, year) -> multiplier
    disrupted: frozenset = frozenset()  # {(material, year)}


def case_scenario(case: Case, scenario: str) -> ScenarioData:
    """The data of one of the case's scenarios."""
    def slice_of(series: pd.Series) -> dict:
        return series.xs(scenario, level="scenario").to_dict()

    return ScenarioData(slice_of(case.demand), slice_of(case.availability),
                        slice_of(case.price_multiplier),
                        frozenset((m, y) for m, y, w in case.disrupted if w == scenario))


def mean_scenario(case: Case) -> ScenarioData:
    """The expected-value scenario: every datum at its probability-weighted mean."""
    probability = case.probability

    def mean(series: pd.Series) -> dict:
        weight = series.index.get_level_values("scenario").map(probability).to_numpy()
        levels = [n for n in series.index.names if n != "scenario"]
        return (series * weight).groupby(level=levels).sum().to_dict()

    return ScenarioData(mean(case.demand), mean(case.availability), mean(case.price_multiplier),
                        frozenset((m, y) for m, y, w in case.disrupted if probability[w] > 0))


def _series(data: dict[str, dict], names: list[str]) -> pd.Series:
    rows = {(*k, w): v for w, values in data.items() for k, v in values.items()}
    return pd.Series(rows, dtype=float).rename_axis(names)


@dataclass(frozen=True, eq=False)
class ScenarioCase(Case):
    """A Case whose scenario set was replaced: {id: (probability, ScenarioData)}.

    `with_study` rebuilds the case from its tables and replaces the scenarios again, so that
    re-solves with another policy (MIP-priced duals) keep this scenario set.
    """

    scenario_set: dict = field(default_factory=dict, repr=False)

    def with_study(self, study: Study) -> "ScenarioCase":
        return with_scenarios(super().with_study(study), self.scenario_set)


def with_scenarios(case: Case, scenario_set: dict[str, tuple[float, ScenarioData]]) -> ScenarioCase:
    """The case over another scenario set (probabilities are used as given)."""
    base = {f.name: getattr(case, f.name) for f in fields(Case)}
    base.update(
        scenarios=pd.DataFrame({"probability": {w: p for w, (p, _) in scenario_set.items()}})
        .rename_axis("scenario"),
        demand=_series({w: d.demand for w, (_, d) in scenario_set.items()},
                       ["material", "year", "scenario"]),
        availability=_series({w: d.availability for w, (_, d) in scenario_set.items()},
                             ["source", "year", "scenario"]),
        price_multiplier=_series({w: d.price_multiplier for w, (_, d) in scenario_set.items()},
                                 ["material", "year", "scenario"]),
        disrupted=frozenset((m, y, w) for w, (_, d) in scenario_set.items()
                            for m, y in d.disrupted))
    return ScenarioCase(**base, scenario_set=dict(scenario_set))


def expected_value_case(case: Case) -> ScenarioCase:
    """The expected-value problem: one scenario, `mean`, with probability 1."""
    return with_scenarios(case, {"mean": (1.0, mean_scenario(case))})


def expected_cost_study(case: Case) -> Case:
    """The case with the risk measure set to expected cost (other risk keys kept); the case
    itself when it is one already (a rebuild would sample its scenarios again: 2.4 s)."""
    if case.study.risk.measure == "expected":
        return case
    risk = case.study.risk.model_copy(update={"measure": "expected"})
    return case.with_study(case.study.model_copy(update={"risk": risk}))


def subset_case(case: Case, scenarios: list[str]) -> ScenarioCase:
    """The case over some of its scenarios, probabilities renormalised to sum to 1."""
    unknown = sorted(set(scenarios) - set(case.scenario_ids))
    if unknown:
        raise KeyError(f"unknown scenarios {unknown}; the study has {case.scenario_ids}")
    total = sum(case.probability[w] for w in scenarios)
    return with_scenarios(case, {w: (case.probability[w] / total, case_scenario(case, w))
                                 for w in scenarios})
