"""Sets and the parameters every concern shares.

Index letters: m material, c country, s source, f facility, y year, w scenario (always last),
o demand-side option. Parameters carry the names of the CSV columns they come from.

- `M, C, S, F, Y, W`: materials, countries, sources, facilities, horizon years, scenarios.
- `probability[w]`: scenario probability, renormalised over the scenarios in the model (a
  one-scenario model for decomposition gets probability 1).
- `discount_factor[y]` = (1 + r)^-(y - y0): present value of one euro spent in year y.
- `demand_t[m,y,w]`: demand.csv times every demand shock covering (m, y) in scenario w.
"""
from __future__ import annotations

import pyomo.environ as pyo

from ..case import Case


def create(case: Case, scenarios: list[str] | None = None,
           mutable_scenario_data: bool = False) -> pyo.ConcreteModel:
    """The model with its sets and shared parameters; `scenarios` selects a subset of W.

    `mutable_scenario_data` makes demand_t (here) and the supply module's available_share,
    spare_share and price_multiplier mutable Params.
    """
    ids = list(scenarios) if scenarios is not None else case.scenario_ids
    unknown = set(ids) - set(case.scenario_ids)
    if unknown:
        raise KeyError(f"unknown scenarios {sorted(unknown)}")
    model = pyo.ConcreteModel(name=case.study.name)
    model.M = pyo.Set(initialize=list(case.materials.index), ordered=True)
    model.C = pyo.Set(initialize=list(case.countries.index), ordered=True)
    model.S = pyo.Set(initialize=list(case.sources.index), ordered=True)
    model.F = pyo.Set(initialize=list(case.facilities.index), ordered=True)
    model.Y = pyo.Set(initialize=case.years, ordered=True)
    model.W = pyo.Set(initialize=ids, ordered=True)
    total = sum(case.probability[w] for w in ids)
    model.probability = pyo.Param(model.W, initialize={w: case.probability[w] / total for w in ids})
    model.discount_factor = pyo.Param(model.Y, initialize={y: case.discount(y) for y in case.years})
    wanted = set(ids)
    model.scenario_data_mutable = mutable_scenario_data
    model.demand_t = pyo.Param(
        [k for k in case.demand.index if k[2] in wanted],
        initialize={k: v for k, v in case.demand.items() if k[2] in wanted}, within=pyo.Reals,
        mutable=mutable_scenario_data)
    return model
