"""Sensitivity sweeps: one-way and grid sweeps, and the tornado of one-at-a-time swings.

A sweep solves the study once per point (a full MIP each: re-solving a kept MIP measured no
faster than rebuilding it), in parallel processes. A grid over parameters P1..Pk with value
lists V1..Vk has |V1|·...·|Vk| points; a one-way sweep is a grid over one parameter.

The tornado varies each parameter alone to its low and its high value, every other at the
study's, and ranks the parameters by

    swing_eur = |E[cost](high) − E[cost](low)|

and, for the decisions, by decision_change: the mean over the key decisions d (total stock,
units built, contracted volume, max country share) of |d(high) − d(low)| / max(|d(low)|,
|d(high)|), 0 when both are 0: 0 when the plan does not move, 1 when a decision appears or
vanishes.
"""
from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import pandas as pd

from ..case import Case
from ..report.writer import write
from ..run import solve_case
from . import params as P
from .metrics import KEY, plan_metrics
from .parallel import solve_many

log = logging.getLogger(__name__)
DECISIONS = ("total_stock_t", "units_built", "contracted_t", "max_country_share")


@dataclass(frozen=True)
class Point:
    id: str
    changes: tuple[tuple[P.Param, object], ...]


def grid(values: Mapping[P.Param, Sequence]) -> list[Point]:
    """Every combination of the parameters' values."""
    combos = itertools.product(*[[(p, v) for v in vs] for p, vs in values.items()])
    return [Point(f"p{i:03d}", tuple(c)) for i, c in enumerate(combos, 1)]


def one_at_a_time(ranges: Mapping[P.Param, tuple]) -> list[Point]:
    """The base point, then each parameter at its low and at its high value."""
    points = [Point("base", ())]
    for i, (param, (low, high)) in enumerate(ranges.items(), 1):
        points += [Point(f"p{i:02d}_low", ((param, low),)),
                   Point(f"p{i:02d}_high", ((param, high),))]
    return points


def _solve_point(task: tuple[Case, Point, Path | None]) -> dict:
    case, point, folder = task
    case = P.apply(case, point.changes)
    results = solve_case(case)
    row = {"point": point.id, **{str(p): v for p, v in point.changes},
           **plan_metrics(results, case)}
    if folder is not None:
        write(results, folder / point.id)
        row["folder"] = f"points/{point.id}"
    log.info("point %s: %s", point.id, row["status"])
    return row


def run_points(case: Case, points: list[Point], workers: int | None = None,
               folder: Path | None = None, progress: Callable[[], None] | None = None
               ) -> pd.DataFrame:
    """Solve every point (results of each written to folder/points/<id> when given)."""
    for point in points:      # bad keys or values fail here, before any solve
        for param, value in point.changes:
            P.check(case.study, param, value)
    points_dir = folder / "points" if folder is not None else None
    rows = solve_many(_solve_point, [(case, p, points_dir) for p in points], workers, progress,
                      what="points")
    frame = pd.DataFrame(rows)
    labels = [c for c in frame.columns if c not in KEY and c not in ("point", "folder")]
    return frame[["point", *labels, *KEY, *(["folder"] if folder is not None else [])]]


def sweep(case: Case, values: Mapping[str, Sequence], workers: int | None = None,
          folder: Path | None = None, progress: Callable[[], None] | None = None) -> pd.DataFrame:
    """Grid sweep: {PATH: values} (see params) -> one row per point."""
    parsed = {P.parse_param(path, case): list(vs) for path, vs in values.items()}
    return run_points(case, grid(parsed), workers, folder, progress)


def tornado(case: Case, ranges: Mapping[str, tuple], workers: int | None = None,
            folder: Path | None = None, progress: Callable[[], None] | None = None
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One-at-a-time swings {PATH: (low, high)} -> (ranking, the points solved)."""
    parsed = {P.parse_param(path, case): tuple(r) for path, r in ranges.items()}
    points = run_points(case, one_at_a_time(parsed), workers, folder, progress)
    by_id = points.set_index("point")
    base = by_id.loc["base"]
    rows = []
    for i, (param, (low, high)) in enumerate(parsed.items(), 1):
        lo, hi = by_id.loc[f"p{i:02d}_low"], by_id.loc[f"p{i:02d}_high"]
        row = {"param": str(param), "low_eur": lo["expected_cost_eur"],
               "high_eur": hi["expected_cost_eur"], "base_eur": base["expected_cost_eur"],
               "swing_eur": abs(hi["expected_cost_eur"] - lo["expected_cost_eur"]),
               "decision_change": sum(_relative_change(lo[d], hi[d]) for d in DECISIONS)
               / len(DECISIONS), "low": low, "high": high}
        for d in DECISIONS:
            row[f"{d}_low"], row[f"{d}_high"] = lo[d], hi[d]
        rows.append(row)
    ranking = pd.DataFrame(rows).sort_values("swing_eur", ascending=False, ignore_index=True)
    ranking["rank_cost"] = range(1, len(ranking) + 1)
    ranking["rank_decisions"] = ranking["decision_change"].rank(ascending=False, method="min")
    ranking["rank_decisions"] = ranking["rank_decisions"].astype("Int64")
    return ranking, points


def _relative_change(a: float, b: float) -> float:
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 or pd.isna(scale) else abs(b - a) / scale
