"""Prioritisation: which lever buys the most security per euro, material by material.

Levers of a material m (a lever exists for m only where the data offer it):

- diversify: buying m (contract or spot) outside its dominant country, the one whose sources
  offer the most capacity of m; without it m is sole-sourced;
- stockpile: stock capacity of m beyond initial_stock_t;
- recycle: new units of recycling facilities producing m;
- onshore_extraction, onshore_refining, onshore_manufacturing: new units of EU mining,
  refining and manufacturing facilities producing m;
- substitute: the demand-side options of m (substitutes.csv).

Existing units and the dominant country's sources are always there. Solves: `none` (every
lever of every material off), `all` (the study as it is), and for each available (m, lever)
`alone` (none, plus that lever for m) and `without` (all, less that lever for m). With
SF_m(run) the expected shortfall of m and C(run) the expected cost without shortage cost:

    avoided_t     = SF_m(none) − SF_m(alone)        spent_eur = C(alone) − C(none)
    eur_per_t     = spent_eur / avoided_t            (the cost curve's height; width avoided_t)
    marginal_t    = SF_m(without) − SF_m(all)        cvar_avoided_eur = CVaR(none) − CVaR(alone)

plus the land, energy and staff of the units the lever builds when alone.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo

from ..case import Case
from ..results import Results
from ..run import solve_case
from .metrics import FOOTPRINTS
from .parallel import allocate, run_all

log = logging.getLogger(__name__)
BUILD_KIND = {"recycle": "recycling", "onshore_extraction": "mining",
              "onshore_refining": "refining", "onshore_manufacturing": "manufacturing"}
COLUMNS = ["material", "lever", "avoided_t", "spent_eur", "eur_per_t", "marginal_t",
           "cvar_avoided_eur", "land_ha", "energy_gwh_per_yr", "staff_fte", "rank"]


def dominant_country(case: Case) -> dict[str, str]:
    """The country whose sources offer the most capacity of each material."""
    src = case.sources
    by = src.groupby(["material", "country"])["capacity_t_per_yr"].sum()
    return {m: group.droplevel("material").idxmax() for m, group in by.groupby(level="material")}


def options(case: Case) -> dict[tuple[str, str], dict]:
    """(material, lever) -> what the lever opens: {'sources'|'facilities'|'options': [...]}."""
    src, fac, eu = case.sources, case.facilities, case.countries["eu"]
    top = dominant_country(case)
    found = {}
    for m in case.materials.index:
        others = list(src.index[(src["material"] == m) & (src["country"] != top.get(m))])
        if others:
            found[m, "diversify"] = {"sources": others}
        if m in case.normal_price.dropna().index and case.materials.at[m, "stage"] != "scrap" \
                and case.materials.at[m, "max_stock_t"] > case.materials.at[m, "initial_stock_t"]:
            found[m, "stockpile"] = {"stock": [m]}
        for lever, kind in BUILD_KIND.items():
            chosen = (fac["output"] == m) & (fac["kind"] == kind) & (fac["max_units"] > 0)
            if kind != "recycling":
                chosen &= fac["country"].map(eu).astype(bool)
            if chosen.any():
                found[m, lever] = {"facilities": list(fac.index[chosen])}
        subs = list(case.substitutes.index[case.substitutes["material"] == m])
        if subs:
            found[m, "substitute"] = {"options": subs}
    return found


@dataclass(frozen=True)
class Closed:
    """A `prepare` hook: bounds that close the given levers in a built model."""

    levers: tuple[dict, ...]

    def __call__(self, model: pyo.ConcreteModel) -> None:
        for lever in self.levers:
            for s in lever.get("sources", []):
                for key in [k for k in model.spot if k[0] == s]:
                    model.spot[key].setub(0.0)
                for y in model.Y:
                    model.contract[s, y].setub(0.0)
            for m in lever.get("stock", []):
                model.stock_capacity[m].setub(model.stock_capacity[m].lb)
            for f in lever.get("facilities", []):
                for key in [k for k in model.units_built if k[0] == f]:
                    model.units_built[key].setub(0)
            for o in lever.get("options", []):
                for y in model.Y:
                    model.substitution_share[o, y].setub(0.0)


def _solve(job: tuple[Case, tuple[dict, ...], int]) -> Results:
    case, closed, threads = job
    case = case.with_solver(threads=threads)
    return solve_case(case, duals=False, prepare=Closed(closed))


def _shortfall(results: Results, probability: dict) -> pd.Series:
    sf = results.shortfall
    return (sf["shortfall_t"] * sf["scenario"].map(probability)).groupby(sf["material"]).sum()


def _spent(results: Results) -> float:
    costs = results.costs
    weight = costs["scenario"].map(lambda w: 1.0 if w == "*" else results.summary["probability"][w])
    return float((costs["eur"] * weight)[costs["component"] != "shortage"].sum())


def _footprint(results: Results, case: Case, facilities: list[str]) -> dict:
    built = results.builds[results.builds["facility"].isin(facilities)]
    units = built.groupby("facility")["units"].sum()
    return {key: float((units * case.facilities.loc[units.index, col]).sum())
            for key, col in FOOTPRINTS.items()}


def solve_count(case: Case) -> int:
    """How many solves `prioritize` makes: none, all, and two per available lever."""
    return 2 + 2 * len(options(case))


def prioritize(case: Case, workers: int | None = None, progress=None) -> pd.DataFrame:
    """The ranking table: one row per available (material, lever), cheapest tonne first."""
    found = options(case)
    pairs = list(found)
    every = tuple(found.values())
    # none, all, then "alone" (every lever closed but one) and "without" (only that one closed)
    jobs = [every, ()] + [tuple(v for j, v in enumerate(every) if j != i)
                          for i in range(len(pairs))] + [(every[i],) for i in range(len(pairs))]
    n, threads = allocate(len(jobs), workers)
    solved = run_all(_solve, [(case, closed, threads) for closed in jobs], n, progress)
    failed = [r.status for r in solved if not r.ok]
    if failed:
        raise RuntimeError(f"{len(failed)} prioritisation solve(s) failed: {sorted(set(failed))}")
    prob = case.probability
    none, full = solved[0], solved[1]
    alone, without = solved[2:2 + len(pairs)], solved[2 + len(pairs):]
    sf_none, sf_all = _shortfall(none, prob), _shortfall(full, prob)
    rows = []
    for (m, lever), one, rest in zip(pairs, alone, without):
        avoided = float(sf_none.get(m, 0.0) - _shortfall(one, prob).get(m, 0.0))
        spent = _spent(one) - _spent(none)
        marginal = float(_shortfall(rest, prob).get(m, 0.0) - sf_all.get(m, 0.0))
        per_t = spent / avoided if avoided > 1e-6 else float("inf")
        rows.append({"material": m, "lever": lever, "avoided_t": avoided, "spent_eur": spent,
                     "eur_per_t": per_t, "marginal_t": marginal,
                     "cvar_avoided_eur": none.summary["cvar_eur"] - one.summary["cvar_eur"],
                     **_footprint(one, case, found[m, lever].get("facilities", []))})
    table = pd.DataFrame(rows, columns=COLUMNS[:-1])
    table = table.sort_values(["eur_per_t", "avoided_t"], ascending=[True, False])
    table["rank"] = range(1, len(table) + 1)
    log.info("prioritised %d levers over %d solves", len(table), len(jobs))
    return table.reset_index(drop=True)[COLUMNS]

