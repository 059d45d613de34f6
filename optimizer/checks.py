"""Checks across tables that would otherwise cascade, and warnings about inputs that are
allowed but probably not meant. `case.py` runs them; each problem is said once, where it is.
"""
from __future__ import annotations

import logging
import os

import pandas as pd

from .errors import Problem, shown, suggest

log = logging.getLogger(__name__)
NONEMPTY = ("materials", "countries", "sources", "demand", "scenarios")


def row_list(rows: list[int]) -> str:
    """2, 3, 4, 7 -> '2-4, 7'."""
    spans: list[list[int]] = []
    for row in sorted(rows):
        if spans and row == spans[-1][1] + 1:
            spans[-1][1] = row
        else:
            spans.append([row, row])
    return ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in spans)


def unknown_refs(frame: pd.DataFrame, column: str, known: set, where: str, what: str,
                 defined_in: str, wildcard: bool = False) -> list[Problem]:
    """One problem per unknown id in `column`, at its first row, naming the other rows that
    repeat it and the closest known id (a misspelling is said once, not once per row)."""
    rows: dict[str, list[int]] = {}
    for row, value in frame[column].items():
        if value is None or pd.isna(value) or (wildcard and value == "*") or value in known:
            continue
        rows.setdefault(value, []).append(int(row))
    problems = []
    for value, where_rows in rows.items():
        more = where_rows[1:]
        also = f"; the same on row{'s' * (len(more) > 1)} {row_list(more)}" if more else ""
        problems.append(Problem(where, where_rows[0], column, None,
                                f"a {what} defined in {defined_in}; {shown(value)} is not one"
                                f"{suggest(value, known)}{also}"))
    return problems


def missing_years(demand: pd.DataFrame, materials: set, years: list[int],
                  where: str) -> list[Problem]:
    """A demand row for each known material in every horizon year: one problem per material
    naming the years that have none. A material that is not defined (reported as such) or a
    row whose year could not be read (reported as such) does not also count as a gap."""
    problems = []
    unread = set(demand.loc[demand["year"].isna(), "material"])
    for material, rows in demand.groupby("material"):
        if material not in materials or material in unread:
            continue
        missing = sorted(set(years) - set(rows["year"]))
        if missing:
            problems.append(Problem(where, None, "year", None,
                                    f"a demand row for {material} in every horizon year "
                                    f"{years[0]}-{years[-1]}; {_years(missing)} "
                                    f"{'is' if len(missing) == 1 else 'are'} missing"))
    return problems


def _years(years: list[int]) -> str:
    return row_list(years).replace(", ", " and ", 1) if len(years) == 2 else row_list(years)


def empty_tables(tables: dict[str, pd.DataFrame], where: dict[str, str]) -> list[Problem]:
    """The tables a model cannot do without, each with at least one row."""
    return [Problem(where[name], None, None, None, f"at least one row of {name}; the table has "
                    "only its header") for name in NONEMPTY if tables[name].empty]


def warn_unusual(tables: dict[str, pd.DataFrame], where: dict[str, str], study) -> None:
    """Log (not refuse) what is allowed but is probably a slip."""
    start, end = study.horizon.start, study.horizon.end
    for name in ("disruptions", "demand_shocks"):
        frame = tables[name]
        outside = frame[(frame["year_to"] < start) | (frame["year_from"] > end)]
        for row, r in outside.iterrows():
            log.warning("%s, row %d: years %d-%d lie wholly outside the horizon %d-%d; the row "
                        "changes nothing", where[name], row, r["year_from"], r["year_to"],
                        start, end)
    facilities = tables["facilities"]
    late = (facilities["lead_time_yr"] > end - start) & (facilities["max_units"] > 0)
    for row, r in facilities[late].iterrows():
        log.warning("%s, row %d: lead time %d years is longer than the horizon %d-%d; a new %s "
                    "unit would never produce", where["facilities"], row, r["lead_time_yr"],
                    start, end, r["facility"])
    demand = tables["demand"]
    in_horizon = demand[demand["year"].between(start, end)]
    if len(in_horizon) and (in_horizon["demand_t"] == 0).all():
        log.warning("%s: every demand in %d-%d is 0; the cheapest plan is to do nothing",
                    where["demand"], start, end)
    cores = os.cpu_count() or 1
    if study.solver.threads > cores:
        log.warning("%s: solver.threads %d is more than this machine's %d cores; HiGHS will "
                    "share them", study.path or "study", study.solver.threads, cores)
