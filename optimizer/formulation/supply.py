"""Imports: contracts chosen before the scenario is known and spot purchases within it.

capacity_t_per_yr[s,y] is the source's capacity path (source_capacity.csv over sources.csv's
constant). A contract on source s delivers available_share[s,y,w] of its volume and is paid on
delivery at price_eur_per_t (take-or-pay). Spot purchases draw on the spare capacity,
capacity − contract, of which the EU reaches spare_share[s,y,w]: available_share[s,y,w] of a
cut source's, so that a cut country ships the EU at most available_share × capacity in all,
whatever was contracted; and eu_import_share[m] of an uncut source's while some source of m
delivers less than normal (competition for what is left: the world's buyers turn to the same
suppliers; Case.spare_share). Spot costs price_eur_per_t × spot_premium ×
price_multiplier[m,y,w], the scenario's crisis price. With eu_import_share 1 an uncut
source's spare capacity is all the EU's. What becomes of contract deliveries that nothing
uses: see resale.
"""
from __future__ import annotations

import itertools

import pyomo.environ as pyo

from ..case import Case
from .declarations import Cost, Decision, Flow
from .terms import Terms

DECISIONS = (Decision("contract"),)
FLOWS = (Flow("contract", "in", "source"), Flow("spot", "in", "source"))
COSTS = (Cost("contract", "second"), Cost("spot", "second"))


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    src = case.sources
    index = (model.S, model.Y, model.W)
    keys = list(itertools.product(*index))
    capacity, price = case.capacity.to_dict(), src["price_eur_per_t"].to_dict()
    premium = src["spot_premium"].to_dict()
    mutable = model.scenario_data_mutable
    share, mult = case.availability.to_dict(), case.price_multiplier.to_dict()
    spare = case.spare_share.to_dict()
    material = src["material"].to_dict()
    # All are 1 outside disruptions: a fixed model stores only the other values, since
    # checking every index of a dense Param takes a tenth of the build.
    model.available_share = pyo.Param(*index, default=1.0, mutable=mutable, initialize={
        k: share[k] for k in keys if share[k] != 1.0 or mutable})
    model.spare_share = pyo.Param(*index, default=1.0, mutable=mutable, initialize={
        k: spare[k] for k in keys if spare[k] != 1.0 or mutable})
    model.price_multiplier = pyo.Param(*index, default=1.0, mutable=mutable, initialize={
        (s, y, w): v for s, y, w in keys
        if (v := mult[material[s], y, w]) != 1.0 or mutable})
    if mutable:    # a kept model is given other scenarios' data through the Params
        share_of, spare_of, multiplier_of = \
            model.available_share, model.spare_share, model.price_multiplier
    else:          # a fixed one takes their values: a Param lookup per term is slow
        share_of, spare_of = share, spare
        multiplier_of = {(s, y, w): mult[material[s], y, w] for s, y, w in keys}

    model.contract = pyo.Var(model.S, model.Y, within=pyo.NonNegativeReals,
                             bounds=lambda m, s, y: (0, capacity[s, y]),
                             doc="contracted volume per source and year [t], first stage, at "
                                 "most capacity_t_per_yr[s,y]")
    model.spot = pyo.Var(*index, within=pyo.NonNegativeReals, doc="spot purchases [t]")
    delivered = {(s, y, w): share_of[s, y, w] * model.contract[s, y] for s, y, w in keys}

    def spot_within_spare_capacity(m, s, y, w):
        """spot[s,y,w] ≤ spare_share[s,y,w]·(capacity_t_per_yr[s,y] − contract[s,y]), where
        spare_share = eu_import_share[m] for a source delivering in full while another source of
        m delivers less (min_{s' of m} available_share[s',y,w] < 1), else available_share[s,y,w]"""
        return m.spot[s, y, w] <= spare_of[s, y, w] * (capacity[s, y] - m.contract[s, y])

    model.spot_within_spare_capacity = pyo.Constraint(*index, rule=spot_within_spare_capacity)

    discount = {y: case.discount(y) for y in model.Y}
    for s, y, w in keys:
        at, spot = (material[s], y, w), model.spot[s, y, w]
        terms.supply(at, "contract", model.contract[s, y], s, coef=share_of[s, y, w])
        terms.supply(at, "spot", spot, s)
        terms.imported((s, y, w), delivered[s, y, w] + spot)
        terms.delivered((s, y, w), delivered[s, y, w])
        paid = discount[y] * price[s]
        terms.cost("contract", paid * delivered[s, y, w], w)
        terms.cost("spot", paid * premium[s] * multiplier_of[s, y, w] * spot, w)
