"""The strategic stockpile: capacity chosen up front, full at the start, drawn in a crisis.

A material can be stockpiled when it has a normal price p_m (the capacity-weighted mean price
of its sources); otherwise its stock stays at initial_stock_t. The stock is filled at the start
with (capacity − initial_stock_t) tonnes bought at p_m, costs holding_cost_eur_per_t_yr per
tonne of capacity each year (storage and the capital it ties up) and stockpile_capex_eur_per_t
per tonne of new capacity, and what is left at the end of the horizon is credited at p_m,
undiscounted: its capital cost is already in the holding cost.

A stock drawn is refilled as a planner would, rather than only for the end-of-horizon credit:
back to capacity within stock_refill_yr years (a study key, default 3) unless drawn again,

    stock_level[m,y,w] ≥ stock_capacity[m] − Σ_{y−N < b ≤ y} stock_draw[m,b,w],  N = stock_refill_yr

A draw put back in the same year (draw and refill together) restarts that clock at no cost,
and draws happen only in crisis years, so the rule is the same as: the stock is full in every
year y with no crisis year of its material in (y − N, y], that is from the N-th year after a
crisis ends. The model states it that way (refill_due below), which leaves no such
zero-cost cycles to choose among. With stock_refill_yr null nothing forces a refill.

A strategic stock is drawn only in a crisis of its material: a scenario-year in which the
material is disrupted or a demand shock lifts its demand. Otherwise a stock filled at today's
price and refilled at tomorrow's discounted one would serve as working inventory.
"""
from __future__ import annotations

import math

import pandas as pd
import pyomo.environ as pyo

from ..case import Case
from .declarations import Cost, Decision, Flow
from .terms import Terms

DECISIONS = (Decision("stock_capacity", year=lambda case, index: case.study.horizon.start),)
FLOWS = (Flow("stock_draw", "in", "stockpile"), Flow("stock_refill", "out", "stockpile"))
COSTS = (Cost("capex", "first"), Cost("holding", "first"), Cost("stock_fill", "first"),
         Cost("stock_end_value", "second"))


def stockable(case: Case) -> list[str]:
    """Materials whose stock capacity is a decision."""
    price = case.normal_price
    return [m for m, r in case.materials.iterrows()
            if r["stage"] != "scrap" and not math.isnan(price[m]) and r["max_stock_t"] > 0]


def stock_limit(case: Case) -> dict[str, float]:
    """The most stock capacity a material can use, tonnes: all it could ever give out over the
    horizon, Σ_y (peak demand over scenarios + facility input with every unit built + resale
    of every source at its capacity that year), or the stock-days floor if that is more.

    More capacity is never drawn down and costs more (holding, and a fill price that the end
    value only returns), so this bound keeps every optimum; it tightens the LP relaxation and
    a decomposition needs it, because an unbounded first-stage variable makes Lagrangian
    subproblems unbounded.
    """
    years = len(case.years)
    demand = case.demand.groupby(level=["material", "year"]).max()
    fac, recipes = case.facilities, case.recipes
    full = fac["capacity_t_per_yr"] * (fac["existing_units"] + fac["max_units"])
    use = (recipes["t_per_t_output"] * recipes["facility"].map(full)) \
        .groupby(recipes["input"]).sum()
    resale = case.capacity.groupby(case.capacity.index.get_level_values("source")
                                   .map(case.sources["material"])).sum()
    total = demand.groupby(level="material").sum().add(years * use, fill_value=0.0) \
        .add(resale, fill_value=0.0)
    days = pd.Series(case.study.for_materials("policy.min_stock_days", case.materials.index),
                     dtype=float)
    floor = (days / 365.0).mul(case.base_demand.groupby(level="material").max(), fill_value=0.0)
    return total.combine(floor, max, fill_value=0.0).to_dict()


def refill_due(keys, crisis, years_to_refill: int) -> dict:
    """{(m, y, w): 1.0 when no crisis year of m in w lies in (y − years_to_refill, y], else 0}"""
    return {(mat, y, w): float(not any((mat, b, w) in crisis
                                       for b in range(y - years_to_refill + 1, y + 1)))
            for mat, y, w in keys}


def allow_draws(model: pyo.ConcreteModel, crisis) -> None:
    """Open stock_draw in the crisis scenario-years {(m, y, w)}, close it elsewhere, and mark
    where the stock must be full (refill_due); a kept model given another scenario's data
    calls this again."""
    for key, var in model.stock_draw.items():
        var.setub(None if key in crisis else 0.0)
    due = model.find_component("refill_due")
    if due is not None and due.mutable:
        for key, value in refill_due(list(due), crisis, model.stock_refill_yr).items():
            due[key].set_value(value)


def add(model: pyo.ConcreteModel, case: Case, terms: Terms) -> None:
    mats, years, ids = case.materials, list(model.Y), list(model.W)
    free = set(stockable(case))
    held = [m for m in mats.index if m in free or mats.at[m, "initial_stock_t"] > 0]
    price = case.normal_price
    model.initial_stock_t = pyo.Param(held, initialize={m: mats.at[m, "initial_stock_t"]
                                                        for m in held})
    model.normal_price_eur_per_t = pyo.Param(
        held, initialize={m: 0.0 if math.isnan(price[m]) else price[m] for m in held})

    limit = stock_limit(case)

    def capacity_bounds(m, mat):
        """initial_stock_t[m] ≤ stock_capacity[m] ≤ max_stock_t[m], or stock_limit[m] when
        max_stock_t is not given"""
        lo = m.initial_stock_t[mat]
        hi = mats.at[mat, "max_stock_t"] if mat in free else lo
        return (lo, max(lo, limit.get(mat, 0.0)) if math.isinf(hi) else hi)

    model.stock_capacity = pyo.Var(held, within=pyo.NonNegativeReals, bounds=capacity_bounds,
                                   doc="strategic stock capacity [t], first stage")
    keys = [(m, y, w) for m in held for y in years for w in ids]
    model.stock_level = pyo.Var(keys, within=pyo.NonNegativeReals, doc="stock at year end [t]")
    model.stock_draw = pyo.Var(keys, within=pyo.NonNegativeReals,
                               doc="stock drawn [t], zero outside a crisis of the material")
    allow_draws(model, case.crisis)
    model.stock_refill = pyo.Var(keys, within=pyo.NonNegativeReals, doc="stock refilled [t]")
    first = years[0]

    def stock_level_balance(m, mat, y, w):
        """stock_level[m,y,w] = stock_level[m,y-1,w] + stock_refill − stock_draw, with
        stock_level[m,y0-1,w] = stock_capacity[m] (full at the start)"""
        before = m.stock_capacity[mat] if y == first else m.stock_level[mat, y - 1, w]
        return m.stock_level[mat, y, w] == before + m.stock_refill[mat, y, w] - m.stock_draw[mat, y, w]

    def stock_within_capacity(m, mat, y, w):
        """stock_level[m,y,w] ≤ stock_capacity[m]"""
        return m.stock_level[mat, y, w] <= m.stock_capacity[mat]

    model.stock_level_balance = pyo.Constraint(keys, rule=stock_level_balance)
    model.stock_within_capacity = pyo.Constraint(keys, rule=stock_within_capacity)
    refill = case.study.stock_refill_yr
    if refill is not None:
        mutable = model.scenario_data_mutable
        model.stock_refill_yr = refill
        due = refill_due(keys, case.crisis, refill)
        due = {k: v for k, v in due.items() if v or mutable}
        model.refill_due = pyo.Param(list(due), mutable=mutable, initialize=due)

        def stock_refilled_in_time(m, mat, y, w):
            """stock_level[m,y,w] ≥ refill_due[m,y,w]·stock_capacity[m], refill_due = 1 when no
            crisis year of m in w lies in (y − stock_refill_yr, y], else 0"""
            return m.stock_level[mat, y, w] >= m.refill_due[mat, y, w] * m.stock_capacity[mat]

        model.stock_refilled_in_time = pyo.Constraint(list(model.refill_due),
                                                      rule=stock_refilled_in_time)

    for mat, y, w in keys:
        terms.supply((mat, y, w), "stock_draw", model.stock_draw[mat, y, w], "stockpile")
        terms.use((mat, y, w), "stock_refill", model.stock_refill[mat, y, w], "stockpile")
    last = years[-1]
    for mat in held:
        new = model.stock_capacity[mat] - model.initial_stock_t[mat]
        fill_price = model.normal_price_eur_per_t[mat]
        spent = float(mats.at[mat, "stockpile_capex_eur_per_t"]) * new
        terms.capex_spent.append(spent)
        terms.cost("capex", spent)
        terms.cost("stock_fill", fill_price * new)
        terms.cost("holding", sum(model.discount_factor[y] for y in years)
                   * float(mats.at[mat, "holding_cost_eur_per_t_yr"]) * model.stock_capacity[mat])
        for w in ids:
            terms.cost("stock_end_value",
                       -fill_price * model.stock_level[mat, last, w],
                       w)
