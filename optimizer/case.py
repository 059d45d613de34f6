"""The Case: validated, cross-checked input tables and the index sets a model needs.

Plain pandas, no Pyomo: the same Case feeds the extensive form, a one-scenario model for
mpi-sppy, and every analysis. Scenario-dependent data is indexed with the scenario last.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .data import read_tables
from .errors import InputError, Problem
from .events import check_events, event_model, sampled_tables
from .study import Study

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Case:
    """Everything the formulation reads. Tables are indexed by their key column(s)."""

    study: Study
    materials: pd.DataFrame
    countries: pd.DataFrame
    sources: pd.DataFrame
    facilities: pd.DataFrame
    recipes: pd.DataFrame
    scrap: pd.DataFrame
    scenarios: pd.DataFrame
    substitutes: pd.DataFrame
    demand: pd.Series            # demand_t by (material, year, scenario), demand shocks applied
    availability: pd.Series      # available_share by (source, year, scenario)
    price_multiplier: pd.Series  # spot price multiplier by (material, year, scenario)
    disrupted: frozenset         # {(material, year, scenario)} covered by a disruption row
    inputs_sha256: str = ""
    tables: dict = field(default_factory=dict, repr=False)

    @property
    def years(self) -> list[int]:
        return self.study.years

    @property
    def scenario_ids(self) -> list[str]:
        return list(self.scenarios.index)

    @property
    def probability(self) -> dict[str, float]:
        return self.scenarios["probability"].to_dict()

    @cached_property
    def base_demand(self) -> pd.Series:
        """demand_t by (material, year) as in demand.csv, before any scenario's shock."""
        frame = self.tables["demand"]
        frame = frame[frame["year"].isin(self.years)]
        return frame.set_index(["material", "year"])["demand_t"].astype(float)

    @cached_property
    def crisis(self) -> frozenset:
        """{(material, year, scenario)} in which a strategic stock may be drawn: the material is
        disrupted, or a demand shock lifts its demand above demand.csv."""
        base = self.base_demand.reindex(self.demand.droplevel("scenario").index).to_numpy()
        surge = self.demand.index[self.demand.to_numpy() > base * (1 + 1e-9)]
        return self.disrupted | frozenset(surge)

    @cached_property
    def normal_price(self) -> pd.Series:
        """EUR/t per material: capacity-weighted mean price of its sources (NaN without source).

        Used to fill the stockpile, value the stock left at the end and resell surplus.
        """
        s = self.sources
        weight = s["capacity_t_per_yr"].where(s["capacity_t_per_yr"] > 0, 1e-9)
        return ((s["price_eur_per_t"] * weight).groupby(s["material"]).sum()
                / weight.groupby(s["material"]).sum()).reindex(self.materials.index)

    def eu(self, country: str) -> bool:
        return bool(self.countries.at[country, "eu"])

    def discount(self, year: int) -> float:
        """Present-value factor of money spent in `year`, counted from the horizon start."""
        return (1.0 + self.study.discount_rate) ** -(year - self.study.horizon.start)

    def with_study(self, study: Study) -> "Case":
        """The same data under another study (same inputs and horizon)."""
        return build_case(self.tables, study, self.inputs_sha256)

    def with_solver(self, **settings) -> "Case":
        """The same study with some solver settings changed (threads=1, time_limit_s=60)."""
        solver = self.study.solver.model_copy(update=settings)
        return self.with_study(self.study.model_copy(update={"solver": solver}))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _cross_check(t: dict[str, pd.DataFrame], where: dict[str, str], study: Study) -> list[Problem]:
    """Every problem that needs more than one table or the study."""
    problems: list[Problem] = []
    materials = set(t["materials"]["material"])
    countries = set(t["countries"]["country"])
    facilities = set(t["facilities"]["facility"])
    scenarios = set(t["scenarios"]["scenario"])
    stage = dict(zip(t["materials"]["material"], t["materials"]["stage"]))

    defined_in = {"material": "materials", "country": "countries", "facility": "facilities",
                  "scenario": "scenarios"}

    def refs(table, column, known, what, wildcard=False):
        for row, value in t[table][column].items():
            if value is None or (wildcard and value == "*"):
                continue
            if value not in known:
                problems.append(Problem(where[table], int(row), column, value,
                                        f"a {what} defined in {where[defined_in[what]]}"))

    refs("demand", "material", materials, "material")
    refs("sources", "material", materials, "material")
    refs("sources", "country", countries, "country")
    refs("facilities", "country", countries, "country")
    refs("facilities", "output", materials, "material")
    refs("recipes", "facility", facilities, "facility")
    refs("recipes", "input", materials, "material")
    refs("scrap", "material", materials, "material")
    refs("disruptions", "scenario", scenarios, "scenario")
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
    for row, m in t["scrap"]["material"].items():
        if m in stage and stage[m] != "scrap":
            problems.append(Problem(where["scrap"], int(row), "material", m,
                                    "a material of stage scrap"))
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

    probs = pd.to_numeric(t["scenarios"]["probability"], errors="coerce")
    if len(probs) == 0:
        problems.append(Problem(where["scenarios"], None, "scenario", None, "at least one scenario"))
    elif probs.notna().all() and abs(probs.sum() - 1.0) > 1e-6:
        problems.append(Problem(where["scenarios"], None, "probability", round(probs.sum(), 9),
                                "probabilities that sum to 1"))

    years = set(study.years)
    demand = t["demand"]
    for m, rows in demand.groupby("material"):
        for y in sorted(years - set(rows["year"])):
            problems.append(Problem(where["demand"], None, "year", y,
                                    f"a demand row for {m} in every horizon year "
                                    f"{study.horizon.start}-{study.horizon.end}"))
    problems += check_events(t, where, study)
    limits = study.policy.limits
    for c in (limits.countries or ()) if limits else ():
        if c not in countries:
            problems.append(Problem(str(study.path or "study"), None, "policy.limits.countries", c,
                                    f"a country defined in {where['countries']}"))
    return problems


def _grid(keys: dict[str, list]) -> pd.DataFrame:
    """Every combination of the given key values, in order (the last key varies fastest)."""
    index = pd.MultiIndex.from_product(list(keys.values()), names=list(keys))
    return index.to_frame(index=False)


def _apply(grid: pd.DataFrame, rows: pd.DataFrame, match: dict[str, str], column: str,
           combine, default: float) -> tuple[np.ndarray, np.ndarray]:
    """Fold each row's `column` into every grid entry it covers (`*` matches all).

    `match` maps grid columns to row columns; rows cover years year_from..year_to. Returns
    the folded values and whether any row covered each entry.
    """
    values = np.full(len(grid), default, dtype=float)
    covered = np.zeros(len(grid), dtype=bool)
    for row in rows.itertuples(index=False):
        mask = (grid["year"].to_numpy() >= row.year_from) & (grid["year"].to_numpy() <= row.year_to)
        for grid_col, row_col in match.items():
            wanted = getattr(row, row_col)
            if wanted != "*":
                mask &= grid[grid_col].to_numpy() == wanted
        values[mask] = combine(values[mask], getattr(row, column))
        covered |= mask
    return values, covered


def build_case(tables: dict[str, pd.DataFrame], study: Study, sha: str = "") -> Case:
    """Index the checked tables and derive the scenario data (scenario index last).

    A study with `sample` first replaces the scenario tables by paths drawn from the event
    model (events.py). Demand shocks multiply; overlapping disruption rows take the most
    severe: the smallest available_share (per source's material and country) and the largest
    price_multiplier (per material, for spot purchases from every country).
    """
    years, t = study.years, tables
    if study.sample is not None:
        t = sampled_tables(t, event_model(t), years, study.sample.scenarios, study.sample.seed)
    scen = t["scenarios"].set_index("scenario")
    ids = list(scen.index)
    mats = t["materials"].set_index("material")
    srcs = t["sources"].set_index("source")
    shocks, dis = t["demand_shocks"], t["disruptions"]

    base = t["demand"][t["demand"]["year"].isin(years)]
    grid = _grid({"material": list(base["material"].unique()), "year": years, "scenario": ids})
    grid = grid.merge(base[["material", "year", "demand_t"]], on=["material", "year"])
    mult, _ = _apply(grid, shocks, {"scenario": "scenario", "material": "material"},
                     "multiplier", np.multiply, 1.0)
    demand = grid.set_index(["material", "year", "scenario"])["demand_t"].astype(float) * mult

    grid = _grid({"material": list(mats.index), "year": years, "scenario": ids})
    price, hit = _apply(grid, dis, {"scenario": "scenario", "material": "material"},
                        "price_multiplier", np.maximum, 1.0)
    keys = pd.MultiIndex.from_frame(grid)
    disrupted = frozenset(keys[hit])

    grid = _grid({"source": list(srcs.index), "year": years, "scenario": ids})
    grid["material"] = grid["source"].map(srcs["material"])
    grid["country"] = grid["source"].map(srcs["country"])
    share, _ = _apply(grid, dis, {"scenario": "scenario", "material": "material",
                                  "country": "country"}, "available_share", np.minimum, 1.0)
    availability = pd.Series(share, index=pd.MultiIndex.from_frame(
        grid[["source", "year", "scenario"]]))

    subs = t["substitutes"].set_index("option")
    subs["available_from"] = subs["available_from"].fillna(study.horizon.start)
    facs = t["facilities"].set_index("facility")
    facs["available_from"] = facs["available_from"].fillna(study.horizon.start)
    return Case(
        study=study, materials=mats, countries=t["countries"].set_index("country"),
        sources=srcs, facilities=facs, recipes=t["recipes"].copy(),
        scrap=t["scrap"][t["scrap"]["year"].isin(years)].set_index(["material", "year"]),
        scenarios=scen, substitutes=subs, demand=demand,
        availability=availability, price_multiplier=pd.Series(price, index=keys),
        disrupted=disrupted, inputs_sha256=sha, tables=t,
    )


def load_case(study: Study) -> Case:
    """Read, check and index the study's dataset; raise InputError with every problem found."""
    tables, where, problems = read_tables(study.inputs)
    problems += _cross_check(tables, where, study)
    if problems:
        raise InputError(problems)
    case = build_case(tables, study, _sha256(Path(study.inputs)))
    log.info("case %s: %d materials, %d sources, %d facilities, %d years, %d scenarios",
             study.name, len(case.materials), len(case.sources), len(case.facilities),
             len(case.years), len(case.scenarios))
    return case


