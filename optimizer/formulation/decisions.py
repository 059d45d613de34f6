"""The plan's key decisions as linear expressions, for near-optimal ranges (`crmplan ranges`).

Each key decision is a linear expression of the model's variables divided by a constant, so
that minimising or maximising it over the plans within a cost budget is a MIP with a linear
objective (kind: expression / divisor, unit):

    stock       stock_capacity[m]                                        t
    units       Σ_y units_built[f,y]                                     units
    contracted  Σ_{s of m in c} Σ_y contract[s,y] / consumption[m]          share
    eu_output   Σ_w p_w Σ_y Σ_{f in the EU, output m} production[f,y,w] / consumption[m]  share

consumption[m] is the EU's expected consumption of m over the horizon in the chosen plan,
Σ_w p_w Σ_y (demand − substitution + use by EU facilities), the measure of the policy
shares (policy.py): a constant, so that the shares stay linear, and the share of the chosen
plan is its own. A material the chosen plan does not consume is reported in tonnes over the
horizon instead (unit t: divisor 1). Only decisions the plan can move are listed: materials
whose stock is a decision (stockpile.stockable), facilities that may build
(facilities.build_years), every (material, country) with a source, and materials some EU
facility produces.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from ..case import Case
from .facilities import build_years
from .stockpile import stockable

KINDS = ("stock", "units", "contracted", "eu_output")


@dataclass(frozen=True)
class Decision:
    """One key decision: `kind` (KINDS), where it applies, and what its value is counted in."""

    kind: str
    material: str = ""
    facility: str = ""
    country: str = ""
    divisor: float = 1.0
    unit: str = "t"

    @property
    def label(self) -> str:
        where = self.facility or "/".join(p for p in (self.material, self.country) if p)
        return f"{self.kind} {where}"


def _share_or_tonnes(kind: str, total: float, **where) -> Decision:
    if total > 1e-6:
        return Decision(kind, divisor=float(total), unit="share", **where)
    return Decision(kind, unit="t", **where)


def key_decisions(case: Case, consumption: dict[str, float]) -> list[Decision]:
    """The decisions whose ranges `crmplan ranges` reports, in a stable order; `consumption`
    maps a material to its expected consumption over the horizon [t]."""
    found = [Decision("stock", material=m) for m in stockable(case)]
    found += [Decision("units", facility=f, unit="units")
              for f in dict.fromkeys(f for f, _ in build_years(case))]
    pairs = case.sources[["material", "country"]].drop_duplicates().sort_values(
        ["material", "country"])
    found += [_share_or_tonnes("contracted", consumption.get(m, 0.0), material=m, country=c)
              for m, c in pairs.itertuples(index=False)]
    fac = case.facilities
    eu = fac["country"].map(case.eu)
    found += [_share_or_tonnes("eu_output", consumption.get(m, 0.0), material=m)
              for m in sorted(set(fac.loc[eu, "output"]))]
    return found


def decision_expression(model: pyo.ConcreteModel, case: Case, decision: Decision):
    """The numerator of `decision` in the model's variables (see the module doc)."""
    kind = decision.kind
    if kind == "stock":
        return model.stock_capacity[decision.material]
    if kind == "units":
        return sum(var for (f, _), var in model.units_built.items() if f == decision.facility)
    if kind == "contracted":
        src = case.sources
        chosen = src.index[(src["material"] == decision.material)
                           & (src["country"] == decision.country)]
        return sum(model.contract[s, y] for s in chosen for y in model.Y)
    if kind == "eu_output":
        fac = case.facilities
        made = [f for f in fac.index[fac["output"] == decision.material]
                if case.eu(fac.at[f, "country"])]
        return sum(model.probability[w] * model.production[f, y, w]
                   for f in made for y in model.Y for w in model.W)
    raise ValueError(f"unknown decision kind {kind!r}; expected one of {', '.join(KINDS)}")
