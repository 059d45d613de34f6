"""One model per worker process, kept in HiGHS, re-solved with some of its columns closed.

An analysis that solves the same study many times with different levers closed
(`prioritize`) builds the model and hands it to HiGHS once per process (HeldMip.start, a
process-pool initializer); each solve then only changes column upper bounds and runs HiGHS
again. A solve returns what the analysis reads, computed from HiGHS's column values:

    shortfall[m]      Σ_w p_w Σ_y shortfall[m,y,w]                                   [t]
    spent             first_stage_cost + Σ_w p_w (scenario_cost[w] − shortage[w])    [EUR]
    cvar              CVaR_α of first_stage_cost + scenario_cost[w]                  [EUR]
    concentration[m]  max over third countries c of
                      (Σ_{s of m in c} Σ_y (contract[s,y] + Σ_w p_w spot[s,y,w])) / Σ_w p_w Σ_y demand[m,y,w]
    units[f]          Σ_y units_built[f,y]

A model of independent blocks (blocks.py: materials that share no row) is kept as its
standard form and blocks instead: a solve whose levers differ from a reference solve's
(`base`: its closed levers and its plan) only in the levers of some blocks re-solves those
blocks and takes every other block's columns from the reference (held_blocks.py).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo

from .. import results as R
from ..case import Case
from ..formulation import build_model
from ..blocks import split
from ..highs import standard_form, status_of, to_highs
from ..solve import SOLVED, study_options
from .held_blocks import HeldBlocks

log = logging.getLogger(__name__)


@dataclass
class Solved:
    status: str
    shortfall: dict = field(default_factory=dict)
    spent: float = float("nan")
    cvar: float = float("nan")
    concentration: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    uses: list = field(default_factory=list)     # per lever: a column off its closed bound
    x: np.ndarray | None = None                  # every column's value (block by block only)
    bases: dict = field(default_factory=dict)    # block -> its LP basis (block by block only)

    @property
    def ok(self) -> bool:
        return self.status in SOLVED


class HeldMip:
    """The study's model in HiGHS, kept for solves that close levers (see the module doc)."""

    current: "HeldMip | None" = None

    @classmethod
    def start(cls, case: Case, levers: tuple[dict, ...]) -> None:
        """Build this process's kept model (a pool initializer)."""
        cls.current = cls(case, levers)

    def __init__(self, case: Case, levers: tuple[dict, ...]):
        self.case = case
        model = build_model(case)
        built = standard_form(model)
        self.form, _, columns = built
        self.blocks = split(self.form) if case.study.solver.blocks else None
        self.options = study_options(case.study.solver)
        self.held = HeldBlocks(self.form, self.blocks, self.options) if self.blocks else None
        self.label = np.full(len(columns), -1)             # column -> its block
        for b, cols in enumerate(self.blocks.columns if self.blocks else []):
            self.label[cols] = b
        if self.blocks is None:
            self.h = to_highs(model, built).highs
            for key, value in self.options.items():
                self.h.setOptionValue(key, value)
        self.lower, self.upper = self.form.lower, self.form.upper
        self.every = np.arange(len(columns), dtype=np.int32)
        self.scale = model.eur_per_objective_unit
        at = {id(v): j for j, v in enumerate(columns)}

        def col(var) -> int:
            return at.get(id(var), -1)

        self.closing = [[(col(v), ub) for v, ub in lever_bounds(model, lever) if col(v) >= 0]
                        for lever in levers]
        p = model.probability
        self.shortfall = defaultdict(list)
        for (m, _, w), var in model.shortfall.items():
            if col(var) >= 0:
                self.shortfall[m].append((col(var), p[w]))
        first, second = model.cost_components["first"], model.cost_components["second"]
        self.first = [col(model.first_stage_component[k]) for k in first]
        self.second = {w: [(k, col(model.scenario_component[k, w])) for k in second]
                       for w in model.W}
        self.probability = {w: float(p[w]) for w in model.W}
        src, eu = case.sources, case.countries["eu"]
        demand = (case.demand * case.demand.index.get_level_values("scenario")
                  .map(self.probability)).groupby(level="material").sum()
        self.bought = defaultdict(list)      # (material, third country) -> [(column, weight)]
        for (s, _), var in model.contract.items():
            self.bought[src.at[s, "material"], src.at[s, "country"]].append((col(var), 1.0))
        for (s, _, w), var in model.spot.items():
            self.bought[src.at[s, "material"], src.at[s, "country"]].append((col(var), p[w]))
        self.bought = {k: v for k, v in self.bought.items() if not eu.get(k[1], False)}
        self.demand = demand.to_dict()
        self.units = defaultdict(list)
        for (f, _), var in model.units_built.items():
            self.units[f].append(col(var))

    @property
    def separable(self) -> bool:
        return self.blocks is not None

    def solve(self, closed: tuple[int, ...], base: tuple | None = None) -> Solved:
        """Close the levers numbered `closed` (all others open) and solve. `base`: (closed
        levers, Solved) of a reference solve, for a model kept block by block (module doc)."""
        upper = self.upper.copy()
        for lever in closed:
            for j, ub in self.closing[lever]:
                upper[j] = ub
        if self.blocks is not None:
            return self._solve_blocks(closed, upper, base)
        self.h.changeColsBounds(len(self.every), self.every, self.lower, upper)
        status = _run(self.h)
        if status not in SOLVED:
            return Solved(status)
        return self.measured(status, np.asarray(self.h.getSolution().col_value))

    def _solve_blocks(self, closed: tuple[int, ...], upper: np.ndarray, base: tuple | None
                      ) -> Solved:
        """Re-solve the blocks of the levers that differ from `base` (every block without
        one); the other blocks' columns are the base's."""
        blocks = self.blocks
        todo = list(range(len(blocks.columns)))
        if base is not None:
            changed = set(closed) ^ set(base[0])
            touched = sorted({int(self.label[j]) for lever in changed
                              for j, _ in self.closing[lever]})
            if -1 not in touched:     # (a lever on a defined column: every block again)
                todo = touched
        status, x, bases = self.held.solve(upper, todo, *(
            (None, None) if base is None else (base[1].x, base[1].bases)))
        if status not in SOLVED:
            return Solved(status)
        if base is not None and base[1].status == "feasible":
            status = "feasible"
        solved = self.measured(status, x)
        solved.x, solved.bases = x, bases
        return solved

    def measured(self, status: str, x: np.ndarray) -> Solved:
        """What the analysis reads of the plan x (every column's value)."""

        def at(j: int) -> float:
            return float(x[j]) if j >= 0 else 0.0

        first = sum(at(j) for j in self.first)
        scenario = {w: {k: at(j) for k, j in parts} for w, parts in self.second.items()}
        totals = pd.Series({w: first + sum(c.values()) for w, c in scenario.items()}) * self.scale
        spent = first + sum(p * (sum(scenario[w].values()) - scenario[w]["shortage"])
                            for w, p in self.probability.items())
        concentration = defaultdict(float)
        for (m, _), cols in self.bought.items():
            if self.demand.get(m, 0.0) > 0:
                share = sum(at(j) * q for j, q in cols) / self.demand[m]
                concentration[m] = max(concentration[m], share)
        return Solved(status,
                      shortfall={m: sum(at(j) * q for j, q in cols)
                                 for m, cols in self.shortfall.items()},
                      spent=spent * self.scale,
                      cvar=R.cvar(totals, self.probability, self.case.study.risk.alpha),
                      concentration=dict(concentration),
                      units={f: sum(round(at(j)) for j in cols) for f, cols in self.units.items()},
                      uses=[any(abs(at(j) - ub) > 1e-6 for j, ub in cols)
                            for cols in self.closing])


def _run(h: highspy.Highs) -> str:
    """Run HiGHS; the solve's status (highs.status_of)."""
    highspy.Highs.resetGlobalScheduler(True)
    h.run()
    return status_of(h)


def lever_bounds(model: pyo.ConcreteModel, lever: dict) -> list[tuple[object, float]]:
    """[(variable, upper bound)] that close `lever` in a built model."""
    out = []
    for s in lever.get("sources", []):
        out += [(var, 0.0) for k, var in model.spot.items() if k[0] == s]
        out += [(model.contract[s, y], 0.0) for y in model.Y]
    out += [(model.stock_capacity[m], model.stock_capacity[m].lb) for m in lever.get("stock", [])]
    for f in lever.get("facilities", []):
        out += [(var, 0.0) for k, var in model.units_built.items() if k[0] == f]
    for o in lever.get("options", []):
        out += [(model.substitution_share[o, y], 0.0) for y in model.Y]
    return out
