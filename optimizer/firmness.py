"""Which decisions the solver's gap leaves open: each key decision's range over the plans the
solve could as well have returned, the integer decisions (units built, options adopted) held.

A MIP solve stops at a plan of objective z with a bound b ≤ z* once (z − b)/|z| ≤ g, the
study's solver.mip_rel_gap. Any plan of objective up to b + g·|b| could have been accepted
in its place (were z* = b), so with

    cap = max(z, b + g·|b|)

and every integer at the plan, the LP

    min / max  d(x)   s.t.  the model's rows,  objective(x) ≤ cap

gives the range of a decision d within the gap: the stock capacity of each material, and its
contracted volume Σ_{s of m, y} contract[s,y]. A decision is firm when its range is at most
5% of max(its upper end, its scale) wide, loose otherwise; the scale of a stock is the
material's mean yearly demand, of a contracted volume its demand over the horizon. Ranges of
the units built need MIP re-solves (a tighter gap, or modelling to generate alternatives):
here they are held.
"""
from __future__ import annotations

import logging

import highspy
import numpy as np

from .case import Case
from .highs import to_highs
from .solve import integer_vars

log = logging.getLogger(__name__)
FIRM_SHARE = 0.05


def _decisions(model, case: Case) -> dict[tuple[str, str], list]:
    """(decision, material) -> the variables whose sum it is."""
    out = {("stock_t", m): [v] for m, v in model.stock_capacity.items()}
    material = case.sources["material"].to_dict()
    for (s, _), var in model.contract.items():
        out.setdefault(("contracted_t", material[s]), []).append(var)
    return out


def decision_ranges(model, case: Case, objective: float, bound: float | None) -> dict:
    """summary["within_gap"]: the cap, and per decision its value, range and firmness. The
    model holds the solved plan; its integers are unfixed again afterwards."""
    gap = case.study.solver.mip_rel_gap
    bound = objective if bound is None else bound
    cap = max(objective, bound + gap * abs(bound))
    scale = model.eur_per_objective_unit
    ints = [v for v in integer_vars(model) if not v.fixed]
    for v in ints:
        v.fix(round(v.value or 0.0))
    try:
        handover = to_highs(model)
    finally:
        for v in ints:
            v.unfix()
    h = handover.highs
    h.setOptionValue("threads", int(case.study.solver.threads))
    # A new objective leaves the last basis primal feasible: primal simplex goes on from it
    # in a few hundred iterations, where dual simplex (the default) starts over.
    h.setOptionValue("simplex_strategy", 4)
    highspy.Highs.resetGlobalScheduler(True)
    lp = h.getLp()
    cost = np.asarray(lp.col_cost_, dtype=float)
    used = np.flatnonzero(cost)
    h.addRow(-highspy.kHighsInf, cap / scale - lp.offset_, len(used), used, cost[used])
    position = {id(var): i for i, var in enumerate(handover.columns)}
    every = np.arange(len(cost), dtype=np.int32)
    by_material = case.base_demand.groupby(level="material")
    scale = {"stock_t": by_material.mean(), "contracted_t": by_material.sum()}
    rows = []
    for (decision, material), variables in _decisions(model, case).items():
        columns = [position[id(v)] for v in variables if id(v) in position]
        value = float(sum(v.value or 0.0 for v in variables))
        low = high = value
        for sign in (1.0, -1.0):
            wanted = np.zeros(len(cost))
            wanted[columns] = sign
            h.changeColsCost(len(every), every, wanted)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                log.warning("within-gap range of %s %s: %s", decision, material,
                            h.modelStatusToString(h.getModelStatus()))
                continue
            found = float(np.asarray(h.getSolution().col_value)[columns].sum())
            low, high = (min(low, found), high) if sign > 0 else (low, max(high, found))
        low, high = max(low, 0.0), max(high, 0.0)     # both decisions are tonnes, >= 0
        size = max(high, float(scale[decision].get(material, 0.0)))
        firm = high - low <= FIRM_SHARE * size
        rows.append({"decision": decision, "material": material, "value": value,
                     "low": low, "high": high, "firm": bool(firm)})
    return {"mip_rel_gap": gap, "cap_eur": cap, "integers": "held", "decisions": rows}
