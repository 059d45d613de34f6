"""Contract deliveries that nothing uses: resold while the market absorbs them, else written off.

Contracted material is resold per source at resale_share × price_eur_per_t, but the market
absorbs at most resale_max_share of the material's EU consumption in that scenario-year,

    consumption[m,y,w] = demand_t[m,y,w] − substituted[m,y,w] + use[m,y,w]

(as the policy shares measure it, so that an intermediate that only feeds EU plants can be
resold up to a share of what they consume). What is delivered beyond that and not used is
written off: paid under the contract, no revenue. Contracting more than is needed in calm, to
receive more while a supplier is cut, then costs what a real buyer would pay for it.
"""
from __future__ import annotations

import itertools

import pyomo.environ as pyo

from ..case import Case
from .declarations import Cost, Flow
from .terms import Terms

FLOWS = (Flow("surplus", "out", "source"), Flow("write_off", "out", "contracts"))
COSTS = (Cost("resale", "second"),)


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    src, study = case.sources, case.study
    index = (model.S, model.Y, model.W)
    material, price = src["material"].to_dict(), src["price_eur_per_t"].to_dict()
    sources_of = {m: list(g) for m, g in src.groupby("material").groups.items()}
    discount = {y: case.discount(y) for y in model.Y}
    supplied = [m for m in model.M if m in sources_of]
    model.surplus = pyo.Var(*index, within=pyo.NonNegativeReals,
                            doc="contracted material resold [t]")
    model.write_off = pyo.Var(supplied, model.Y, model.W, within=pyo.NonNegativeReals,
                              doc="contract deliveries neither used nor resold, written off [t]")
    delivered = terms.deliveries

    def surplus_within_delivery(m, s, y, w):
        """surplus[s,y,w] ≤ available_share[s,y,w]·contract[s,y]: only contracted material is resold"""
        return m.surplus[s, y, w] <= delivered[s, y, w]

    def resale_within_market(m, mat, y, w):
        """Σ_{s of m} surplus[s,y,w] ≤ resale_max_share·consumption[m,y,w]"""
        demand = m.demand_t[mat, y, w] if (mat, y, w) in m.demand_t else 0.0
        consumption = demand - terms.flow((mat, y, w), "substitution") \
            + terms.flow((mat, y, w), "use")
        return sum(m.surplus[s, y, w] for s in sources_of[mat]) \
            <= study.resale_max_share * consumption

    def write_off_within_delivery(m, mat, y, w):
        """Σ_{s of m} surplus[s,y,w] + write_off[m,y,w]
            ≤ Σ_{s of m} available_share[s,y,w]·contract[s,y]"""
        return sum(m.surplus[s, y, w] for s in sources_of[mat]) + m.write_off[mat, y, w] \
            <= sum(delivered[s, y, w] for s in sources_of[mat])

    model.surplus_within_delivery = pyo.Constraint(*index, rule=surplus_within_delivery)
    model.resale_within_market = pyo.Constraint(supplied, model.Y, model.W,
                                                rule=resale_within_market)
    model.write_off_within_delivery = pyo.Constraint(supplied, model.Y, model.W,
                                                     rule=write_off_within_delivery)
    for s, y, w in itertools.product(*index):
        terms.use((material[s], y, w), "surplus", model.surplus[s, y, w], s)
        terms.cost("resale", -discount[y] * price[s] * study.resale_share
                   * model.surplus[s, y, w], w)
    for mat, y, w in itertools.product(supplied, model.Y, model.W):
        terms.use((mat, y, w), "write_off", model.write_off[mat, y, w], "contracts")
