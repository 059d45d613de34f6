"""Collection of end-of-life scrap in the EU, which recycling facilities consume.

Collected scrap enters the balance of its scrap material; the recycling facility's recipe
takes it out. Collection is free: the facility's variable cost carries the cost of recycling.
"""
from __future__ import annotations

import pyomo.environ as pyo

from ..case import Case
from .declarations import Flow
from .terms import Terms

FLOWS = (Flow("collection", "in", "scrap"),)


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    keys = [(m, y, w) for (m, y) in case.scrap.index for w in model.W]
    model.available_t = pyo.Param(list(case.scrap.index),
                                  initialize=case.scrap["available_t"].to_dict())
    model.collection = pyo.Var(keys, within=pyo.NonNegativeReals,
                               bounds=lambda m, mat, y, w: (0, m.available_t[mat, y]),
                               doc="scrap collected [t], at most available_t[m,y]")
    for key in keys:
        terms.supply(key, "collection", model.collection[key], "scrap")
