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

Each material's levers are ranked by the first risk measure some lever of it moves (ranked_by):
its expected shortfall (eur_per_benefit = eur_per_t); failing that, as for a material that
no lever leaves short, CVaR (EUR spent per EUR of CVaR avoided); failing that, supply
concentration, the largest third country's share of the material's expected demand bought
from it (contracts + expected spot), reduced = share(none) − share(alone) (EUR per
percentage point). A lever that moves none of them comes last, by what it spends. The rank
runs over shortfall levers first (cheapest tonne first), then CVaR, then concentration.

The solves hold one model per worker process (built and handed to HiGHS once): each solve
changes only column bounds (the levers it closes) and re-runs HiGHS. A lever the `all` plan
leaves unused needs no `without` solve: closing it keeps that plan feasible and optimal.
In a model whose materials share no row (optimizer/blocks.py) `none` and `all` are solved
first; each `alone` then re-solves only its lever's block from `none`, each `without` from
`all`, the other blocks as those plans have them (held_mip, held_blocks).
Capacities are the capacity path of each source (Case.capacity), summed over the horizon.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..case import Case
from .held_mip import HeldMip, Solved, lever_bounds
from .metrics import FOOTPRINTS
from .parallel import allocate, kept_workers

log = logging.getLogger(__name__)
BUILD_KIND = {"recycle": "recycling", "onshore_extraction": "mining",
              "onshore_refining": "refining", "onshore_manufacturing": "manufacturing"}
COLUMNS = ["material", "lever", "avoided_t", "spent_eur", "eur_per_t", "marginal_t",
           "cvar_avoided_eur", "concentration_reduced", "ranked_by", "eur_per_benefit",
           "land_ha", "energy_gwh_per_yr", "staff_fte", "rank"]
MEASURES = ("shortfall_t", "cvar_eur", "concentration")     # in the order a material tries
BENEFIT = {"shortfall_t": ("avoided_t", 1e-6), "cvar_eur": ("cvar_avoided_eur", 1.0),
           "concentration": ("concentration_reduced", 1e-6)}
PER = {"shortfall_t": 1.0, "cvar_eur": 1.0, "concentration": 100.0}   # per t, EUR, point


def dominant_country(case: Case) -> dict[str, str]:
    """The country whose sources offer the most capacity of each material over the horizon
    (each source's capacity path, Case.capacity)."""
    src = case.sources
    path = case.capacity.groupby(level="source").sum()
    by = path.groupby([src["material"], src["country"]]).sum()
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
            for var, upper in lever_bounds(model, lever):
                var.setub(upper)


def _solve(job: tuple[int, ...] | tuple[tuple[int, ...], tuple]) -> Solved:
    """A solve with the levers numbered `closed` closed; job: closed, or (closed, base)."""
    if job and isinstance(job[0], tuple):
        return HeldMip.current.solve(*job)
    return HeldMip.current.solve(job)


def _separable(_) -> bool:
    return HeldMip.current.separable


def _footprint(solved: Solved, case: Case, facilities: list[str]) -> dict:
    units = pd.Series({f: solved.units.get(f, 0.0) for f in facilities}, dtype=float)
    return {key: float((units * case.facilities.loc[units.index, col]).sum())
            for key, col in FOOTPRINTS.items()}


def solve_count(case: Case) -> int:
    """How many solves `prioritize` counts: none, all, and two per available lever (a
    `without` solve of a lever the `all` plan leaves unused is counted, not run)."""
    return 2 + 2 * len(options(case))


def prioritize(case: Case, workers: int | None = None, progress=None) -> pd.DataFrame:
    """The ranking table: one row per available (material, lever), ranked as the module says."""
    found = options(case)
    pairs = list(found)
    every = tuple(found.values())
    # none, all, then "alone" (every lever closed but one) and "without" (only that one closed)
    n, threads = allocate(2 + 2 * len(pairs), workers)
    everything = tuple(range(len(pairs)))
    alone_jobs = [tuple(j for j in everything if j != i) for i in everything]
    with kept_workers(n, HeldMip.start, (case.with_solver(threads=threads), every)) as run:
        if run(_separable, [None])[0]:
            first, used, solved_without = _block_by_block(run, everything, alone_jobs, progress)
        else:
            first = run(_solve, [everything, ()] + alone_jobs, progress)
            used = _used(first[1], everything)
            solved_without = iter(run(_solve, [(i,) for i in used], progress))
        full = first[1]
    without = [next(solved_without) if i in used else full for i in everything]
    if progress:
        for _ in range(len(pairs) - len(used)):
            progress()
    failed = [r.status for r in [*first, *without] if not r.ok]
    if failed:
        raise RuntimeError(f"{len(failed)} prioritisation solve(s) failed: {sorted(set(failed))}")
    none, alone = first[0], first[2:]
    rows = []
    for (m, lever), one, rest in zip(pairs, alone, without):
        avoided = float(none.shortfall.get(m, 0.0) - one.shortfall.get(m, 0.0))
        rows.append({"material": m, "lever": lever, "avoided_t": avoided,
                     "spent_eur": one.spent - none.spent,
                     "eur_per_t": (one.spent - none.spent) / avoided if avoided > 1e-6
                     else float("nan"),
                     "marginal_t": float(rest.shortfall.get(m, 0.0) - full.shortfall.get(m, 0.0)),
                     "cvar_avoided_eur": none.cvar - one.cvar,
                     "concentration_reduced": none.concentration.get(m, 0.0)
                     - one.concentration.get(m, 0.0),
                     **_footprint(one, case, found[m, lever].get("facilities", []))})
    table = _ranked(pd.DataFrame(rows, columns=COLUMNS[:-1]))
    log.info("prioritised %d levers over %d solves (%d 'without' solves saved: lever unused)",
             len(table), 2 + len(pairs) + len(used), len(pairs) - len(used))
    return table


def _used(full: Solved, everything: tuple[int, ...]) -> list[int]:
    used = [i for i in everything if full.ok and full.uses[i]]
    log.info("the full plan uses %d of %d levers: %d 'without' solves to run", len(used),
             len(everything), len(used))
    return used


def _block_by_block(run, everything: tuple[int, ...], alone_jobs: list, progress):
    """prioritize's solves on a model of independent blocks (held_mip): none and all first,
    then each `alone` from none and each `without` from all, re-solving one lever's blocks."""
    none, full = run(_solve, [everything, ()], progress)
    used = _used(full, everything)
    failed = [r.status for r in (none, full) if not r.ok]
    if failed:
        raise RuntimeError(f"{len(failed)} prioritisation solve(s) failed: {sorted(set(failed))}")
    jobs = [(closed, (everything, none)) for closed in alone_jobs] \
        + [((i,), ((), full)) for i in used]
    solved = run(_solve, jobs, progress)
    return [none, full] + solved[:len(alone_jobs)], used, iter(solved[len(alone_jobs):])


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """ranked_by and eur_per_benefit per material (the module doc), then the rank."""
    table["ranked_by"] = "none"
    table["eur_per_benefit"] = float("nan")
    for m, rows in table.groupby("material").groups.items():
        moved = [k for k in MEASURES
                 if (table.loc[rows, BENEFIT[k][0]] > BENEFIT[k][1]).any()]
        measure = moved[0] if moved else "none"
        table.loc[rows, "ranked_by"] = measure
        if measure != "none":
            column, floor = BENEFIT[measure]
            benefit = table.loc[rows, column] * PER[measure]
            table.loc[rows, "eur_per_benefit"] = (table.loc[rows, "spent_eur"] / benefit) \
                .where(table.loc[rows, column] > floor)
    tier = table["ranked_by"].map({k: i for i, k in enumerate(MEASURES)}).fillna(len(MEASURES))
    no_benefit = table["eur_per_benefit"].isna()
    order = np.lexsort((table["spent_eur"], table["eur_per_benefit"].fillna(np.inf),
                        no_benefit, tier))
    table = table.iloc[order].reset_index(drop=True)
    table["rank"] = range(1, len(table) + 1)
    return table[COLUMNS]
