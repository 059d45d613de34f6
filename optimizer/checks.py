"""Checks across tables that would otherwise cascade, and warnings about inputs that are
allowed but probably not meant. `case.py` runs them; each problem is said once, where it is:
`cross_check` gathers every problem that needs more than one table or the study (the events
table's among them), after data.py has checked each cell on its own.
"""
from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd

from .errors import Problem, shown, suggest
from .events import record_interval
from .study import Study, per_material_keys
from .supply_data import output_problems

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


def _number(value) -> float | None:
    """A parsed number, or None for a blank cell or one already reported as bad."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return None
    return None if np.isnan(value) else float(value)


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def check_events(t: dict[str, pd.DataFrame], where: dict[str, str], study) -> list[Problem]:
    """Every problem of the events table that needs another table or the study."""
    rows, file = t["events"], where["events"]
    problems = []
    if study.sample is not None and rows.empty:
        problems.append(Problem(str(study.path or "study"), None, "sample", None,
                                f"an events table ({file}) in the dataset to sample from"))
    materials, countries = set(t["materials"]["material"]), set(t["countries"]["country"])
    for row, r in rows.iterrows():
        def bad(column, expected):
            problems.append(Problem(file, int(row), column, r[column], expected))
        if r["material"] != "*" and r["material"] not in materials:
            bad("material", f"a material defined in {where['materials']}")
        if r["kind"] == "supply" and r["country"] not in countries:
            bad("country", f"a country defined in {where['countries']} (supply events)")
        if r["kind"] == "demand" and (r["country"] != "*" or r["material"] == "*"):
            bad("country" if r["country"] != "*" else "material",
                "a material id and country * (demand events)")
        for pair in ("duration_yr", "available_share", "price_multiplier", "demand_multiplier"):
            lo, hi = _number(r[f"min_{pair}"]), _number(r[f"max_{pair}"])
            if None not in (lo, hi) and lo > hi:
                bad(f"max_{pair}", f"at least min_{pair} {lo:g}")
        recorded, years = _number(r["recorded_events"]), _number(r["record_yr"])
        probability = _number(r["yearly_probability"])
        if _blank(r["recorded_events"]) != _blank(r["record_yr"]):
            bad("record_yr", "recorded_events and record_yr given together or not at all")
        elif None not in (recorded, years, probability):
            recorded, years = int(recorded), int(years)
            if recorded > years:
                bad("recorded_events", f"at most record_yr {years}")
            else:
                lo, hi = record_interval(recorded, years)
                if not lo <= probability <= hi:
                    bad("yearly_probability", f"a probability in the 95% interval "
                        f"{lo:.3f}..{hi:.3f} of {recorded} events in {years} years")
    for name, group in rows.groupby("event", sort=False):
        for column in ("kind", "yearly_probability", "recorded_events", "record_yr"):
            if group[column].astype(str).nunique() > 1:
                problems.append(Problem(file, int(group.index[1]), column, group[column].iloc[1],
                                        f"the same {column} on every row of event {name}"))
    return problems


def cross_check(t: dict[str, pd.DataFrame], where: dict[str, str], study: Study) -> list[Problem]:
    """Every problem that needs more than one table or the study."""
    problems: list[Problem] = []
    materials = set(t["materials"]["material"])
    countries = set(t["countries"]["country"])
    facilities = set(t["facilities"]["facility"])
    scenarios = set(t["scenarios"]["scenario"])
    stage = dict(zip(t["materials"]["material"], t["materials"]["stage"]))

    defined_in = {"material": "materials", "country": "countries", "facility": "facilities",
                  "scenario": "scenarios", "source": "sources"}

    def refs(table, column, known, what, wildcard=False):
        problems.extend(unknown_refs(t[table], column, known, where[table], what,
                                     where[defined_in[what]], wildcard))

    refs("demand", "material", materials, "material")
    refs("sources", "material", materials, "material")
    refs("sources", "country", countries, "country")
    refs("facilities", "country", countries, "country")
    refs("facilities", "output", materials, "material")
    refs("recipes", "facility", facilities, "facility")
    refs("recipes", "input", materials, "material")
    refs("scrap", "material", materials, "material")
    refs("disruptions", "scenario", scenarios, "scenario", wildcard=True)
    refs("source_capacity", "source", set(t["sources"]["source"]), "source")
    refs("disruptions", "material", materials, "material", wildcard=True)
    refs("disruptions", "country", countries, "country", wildcard=True)
    refs("demand_shocks", "scenario", scenarios, "scenario")
    refs("demand_shocks", "material", materials, "material", wildcard=True)
    refs("substitutes", "material", materials, "material")

    output = dict(zip(t["facilities"]["facility"], t["facilities"]["output"]))
    for row, r in t["recipes"].iterrows():
        if r["facility"] in output and r["input"] == output[r["facility"]]:
            problems.append(Problem(where["recipes"], int(row), "input", r["input"],
                                    f"an input other than {r['facility']}'s own output"))
    for m, rows in t["scrap"].groupby("material").groups.items():
        if stage.get(m) not in (None, "scrap"):   # None: a stage already reported unreadable
            more = f"; the same on rows {row_list(rows[1:])}" if len(rows) > 1 else ""
            problems.append(Problem(where["scrap"], int(rows[0]), "material", m,
                                    f"a material of stage scrap{more}"))
    for table in ("disruptions", "demand_shocks"):
        for row, r in t[table].iterrows():
            if None not in (r["year_from"], r["year_to"]) and r["year_to"] < r["year_from"]:
                problems.append(Problem(where[table], int(row), "year_to", r["year_to"],
                                        f"a year not before year_from {r['year_from']}"))
    for row, r in t["materials"].iterrows():
        if None not in (r["initial_stock_t"], r["max_stock_t"]) and \
                r["initial_stock_t"] > r["max_stock_t"]:
            problems.append(Problem(where["materials"], int(row), "initial_stock_t",
                                    r["initial_stock_t"], f"at most max_stock_t {r['max_stock_t']:g}"))

    for row, share in t["materials"]["eu_import_share"].items():
        if share == 0:
            problems.append(Problem(where["materials"], int(row), "eu_import_share", share,
                                    "a share above 0 (at most 1)"))
    problems += output_problems(t, where, study.years)

    probs = pd.to_numeric(t["scenarios"]["probability"], errors="coerce")
    if probs.notna().all() and abs(probs.sum() - 1.0) > 1e-6:
        problems.append(Problem(where["scenarios"], None, "probability", round(probs.sum(), 9),
                                "probabilities that sum to 1"))

    problems += missing_years(t["demand"], materials, study.years, where["demand"])
    problems += check_events(t, where, study)
    limits = study.policy.limits
    for c in (limits.countries or ()) if limits else ():
        if c not in countries:
            problems.append(Problem(str(study.path or "study"), None, "policy.limits.countries", c,
                                    f"a country defined in {where['countries']}"
                                    f"{suggest(c, countries)}"))
    return problems + _material_key_problems(study, materials, where["materials"])


def _material_key_problems(study: Study, materials: set[str], defined_in: str) -> list[Problem]:
    """Groups and per-material policy keys that name a material materials.csv lacks."""
    file, problems = str(study.path or "study"), []
    for group, members in study.groups.items():
        if group in materials:
            problems.append(Problem(file, None, f"groups.{group}", group,
                                    f"a group name that is not a material of {defined_in}"))
        for m in members:
            if m not in materials:
                problems.append(Problem(file, None, f"groups.{group}", m,
                                        f"a material defined in {defined_in}"
                                        f"{suggest(m, materials)}"))
    names = materials | set(study.groups) | {"*"}
    for key in per_material_keys():
        given = study.value(key)
        for name in given if isinstance(given, dict) else ():
            if name not in names:
                problems.append(Problem(file, None, key, name,
                                        f"a material defined in {defined_in}, a group of the "
                                        f"study's groups or \"*\"{suggest(name, names)}"))
    return problems
