"""Imports: contracts chosen before the scenario is known, spot purchases and resale within it.

A contract on source s delivers available_share[s,y,w] of its volume and is paid on delivery
at price_eur_per_t (take-or-pay). Spot purchases use the source's spare deliverable capacity
at price_eur_per_t × spot_premium × price_multiplier[m,y,w]. Contracted material that nothing
can absorb is resold at resale_share × price_eur_per_t.
"""
from __future__ import annotations

import itertools

import pyomo.environ as pyo

from ..case import Case
from .terms import Terms


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    src = case.sources
    index = (model.S, model.Y, model.W)
    keys = list(itertools.product(*index))
    capacity, price = src["capacity_t_per_yr"].to_dict(), src["price_eur_per_t"].to_dict()
    premium = src["spot_premium"].to_dict()
    mutable = model.scenario_data_mutable
    share, mult = case.availability.to_dict(), case.price_multiplier.to_dict()
    material = src["material"].to_dict()
    # Both are 1 outside disruptions: a fixed model stores only the other values, since
    # checking every index of a dense Param takes a tenth of the build.
    model.available_share = pyo.Param(*index, default=1.0, mutable=mutable, initialize={
        k: share[k] for k in keys if share[k] != 1.0 or mutable})
    model.price_multiplier = pyo.Param(*index, default=1.0, mutable=mutable, initialize={
        (s, y, w): v for s, y, w in keys
        if (v := mult[material[s], y, w]) != 1.0 or mutable})
    if mutable:    # a kept model is given other scenarios' data through the Params
        share_of, multiplier_of = model.available_share, model.price_multiplier
    else:          # a fixed one takes their values: a Param lookup per term is slow
        share_of = share
        multiplier_of = {(s, y, w): mult[material[s], y, w] for s, y, w in keys}

    model.contract = pyo.Var(model.S, model.Y, within=pyo.NonNegativeReals,
                             bounds=lambda m, s, y: (0, capacity[s]),
                             doc="contracted volume per source and year [t], first stage")
    model.spot = pyo.Var(*index, within=pyo.NonNegativeReals, doc="spot purchases [t]")
    model.surplus = pyo.Var(*index, within=pyo.NonNegativeReals,
                            doc="contracted material resold [t]")
    delivered = {(s, y, w): share_of[s, y, w] * model.contract[s, y] for s, y, w in keys}

    def spot_within_spare_capacity(m, s, y, w):
        """spot[s,y,w] + available_share[s,y,w]·contract[s,y] ≤ available_share[s,y,w]·capacity_t_per_yr[s]"""
        return m.spot[s, y, w] + delivered[s, y, w] <= share_of[s, y, w] * capacity[s]

    def surplus_within_delivery(m, s, y, w):
        """surplus[s,y,w] ≤ available_share[s,y,w]·contract[s,y]: only contracted material is resold"""
        return m.surplus[s, y, w] <= delivered[s, y, w]

    model.spot_within_spare_capacity = pyo.Constraint(*index, rule=spot_within_spare_capacity)
    model.surplus_within_delivery = pyo.Constraint(*index, rule=surplus_within_delivery)

    resale = case.study.resale_share
    discount = {y: case.discount(y) for y in model.Y}
    for s, y, w in keys:
        at, spot, surplus = (material[s], y, w), model.spot[s, y, w], model.surplus[s, y, w]
        terms.supply(at, "contract", delivered[s, y, w])
        terms.supply(at, "spot", spot)
        terms.use(at, "surplus", surplus)
        terms.imported((s, y, w), delivered[s, y, w] + spot)
        paid = discount[y] * price[s]
        terms.cost("contract", paid * delivered[s, y, w], w)
        terms.cost("spot", paid * premium[s] * multiplier_of[s, y, w] * spot, w)
        terms.cost("resale", -paid * resale * surplus, w)
