"""Imports: contracts chosen before the scenario is known, spot purchases and resale within it.

A contract on source s delivers available_share[s,y,w] of its volume and is paid on delivery
at price_eur_per_t (take-or-pay). Spot purchases use the source's spare deliverable capacity
at price_eur_per_t × spot_premium × price_multiplier[m,y,w]. Contracted material that nothing
can absorb is resold at resale_share × price_eur_per_t.
"""
from __future__ import annotations

import pyomo.environ as pyo

from ..case import Case
from .terms import Terms


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    src, years, ids = case.sources, list(model.Y), list(model.W)
    keys = [(s, y, w) for s in model.S for y in years for w in ids]
    model.price_eur_per_t = pyo.Param(model.S, initialize=src["price_eur_per_t"].to_dict())
    model.capacity_t_per_yr = pyo.Param(model.S, initialize=src["capacity_t_per_yr"].to_dict())
    model.spot_premium = pyo.Param(model.S, initialize=src["spot_premium"].to_dict())
    mutable = model.scenario_data_mutable
    share, mult = case.availability.to_dict(), case.price_multiplier.to_dict()
    model.available_share = pyo.Param(keys, initialize={k: share[k] for k in keys},
                                      mutable=mutable)
    material = src["material"].to_dict()
    model.price_multiplier = pyo.Param(
        keys, initialize={(s, y, w): mult[material[s], y, w] for s, y, w in keys},
        mutable=mutable)

    model.contract = pyo.Var(model.S, model.Y, within=pyo.NonNegativeReals,
                             bounds=lambda m, s, y: (0, m.capacity_t_per_yr[s]),
                             doc="contracted volume per source and year [t], first stage")
    model.spot = pyo.Var(keys, within=pyo.NonNegativeReals, doc="spot purchases [t]")
    model.surplus = pyo.Var(keys, within=pyo.NonNegativeReals, doc="contracted material resold [t]")

    def delivered(m, s, y, w):
        return m.available_share[s, y, w] * m.contract[s, y]

    model.contract_delivery = pyo.Expression(keys, rule=delivered)

    def spot_within_spare_capacity(m, s, y, w):
        """spot[s,y,w] + available_share[s,y,w]·contract[s,y] ≤ available_share[s,y,w]·capacity_t_per_yr[s]"""
        a = m.available_share[s, y, w]
        return m.spot[s, y, w] + a * m.contract[s, y] <= a * m.capacity_t_per_yr[s]

    def surplus_within_delivery(m, s, y, w):
        """surplus[s,y,w] ≤ available_share[s,y,w]·contract[s,y]: only contracted material is resold"""
        return m.surplus[s, y, w] <= m.contract_delivery[s, y, w]

    model.spot_within_spare_capacity = pyo.Constraint(keys, rule=spot_within_spare_capacity)
    model.surplus_within_delivery = pyo.Constraint(keys, rule=surplus_within_delivery)

    resale = case.study.resale_share
    for s, y, w in keys:
        at = (material[s], y, w)
        terms.supply(at, "contract", model.contract_delivery[s, y, w])
        terms.supply(at, "spot", model.spot[s, y, w])
        terms.use(at, "surplus", model.surplus[s, y, w])
        df, p = model.discount_factor[y], model.price_eur_per_t[s]
        terms.cost("contract", df * p * model.contract_delivery[s, y, w], w)
        terms.cost("spot", df * p * model.spot_premium[s] * model.price_multiplier[s, y, w]
                   * model.spot[s, y, w], w)
        terms.cost("resale", -df * resale * p * model.surplus[s, y, w], w)
