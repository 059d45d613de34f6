"""The Case: validated, cross-checked input tables and the index sets a model needs.

Plain pandas, no Pyomo: the same Case feeds the extensive form, a one-scenario model for
mpi-sppy, and every analysis. Scenario-dependent data is indexed with the scenario last.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .data import read_tables
from .checks import cross_check, empty_tables, warn_unusual
from .errors import InputError, Problem
from .events import event_model, path_tables, sampled_paths, sampled_tables
from .reduction import forward_selection, scenario_features
from .schema import TABLES
from .study import Study
from .supply_data import EVERY, disruption_data, fold, grid, source_path, spare_share

log = logging.getLogger(__name__)
FEATURES_PER_BUILD = 25   # drawn paths per Case built to compute reduction features


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
    capacity: pd.Series          # capacity_t_per_yr by (source, year), its path over time
    availability: pd.Series      # available_share by (source, year, scenario)
    price_multiplier: pd.Series  # spot price multiplier by (material, year, scenario)
    disrupted: frozenset         # {(material, year, scenario)} worse off than the baseline
    inputs_sha256: str = ""
    tables: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        """The one place where scenario probabilities are made to sum to 1: every figure
        (objective, expected cost, CVaR, KPIs, results) reads `probability`. A dataset whose
        probabilities do not sum to 1 is refused by load_case; a change to a valid one (a
        sweep of scenarios.probability, a scenario set an analysis builds) that leaves another
        sum is renormalised here, with a warning when the sum was off by more than 1e-6."""
        probability = pd.to_numeric(self.scenarios["probability"], errors="coerce")
        total = float(probability.sum())
        if total <= 0 or not np.isfinite(total) or total == 1.0:
            return
        if abs(total - 1.0) > 1e-6:
            log.warning("scenario probabilities sum to %.6g; renormalised to sum to 1", total)
        object.__setattr__(self, "scenarios",
                           self.scenarios.assign(probability=probability / total))

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
    def baseline(self) -> tuple[pd.Series, pd.Series]:
        """available_share by (source, year) and price_multiplier by (material, year) under
        the baseline regime alone (disruptions.csv rows of scenario `*`): where every
        scenario starts from."""
        rows = self.tables["disruptions"]
        share, price, _ = disruption_data(self.sources, list(self.materials.index), self.years,
                                          [EVERY], rows[rows["scenario"] == EVERY])
        return share.droplevel("scenario"), price.droplevel("scenario")

    @cached_property
    def spare_share(self) -> pd.Series:
        """By (source, year, scenario): the share of a source's spare capacity the EU can buy
        (available_share, or eu_import_share while another supplier of the material is cut;
        see supply_data)."""
        return self.spare_share_of(self.availability)

    def spare_share_of(self, availability: pd.Series) -> pd.Series:
        """spare_share for other availability data, indexed as `availability`."""
        return spare_share(availability, self.sources["material"],
                           self.materials["eu_import_share"])

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

    def online_year(self, facility: str, built: int) -> int:
        """The first year a unit of `facility` built in `built` produces (+ lead_time_yr)."""
        return int(built) + int(self.facilities.at[facility, "lead_time_yr"])

    def discount(self, year: int) -> float:
        """Present-value factor of money spent in `year`, counted from the horizon start."""
        return (1.0 + self.study.discount_rate) ** -(year - self.study.horizon.start)

    def with_study(self, study: Study) -> "Case":
        """The same data under another study (same inputs and horizon)."""
        return build_case(self.tables, study, self.inputs_sha256)

    def with_solver(self, **settings) -> "Case":
        """The same study with some solver settings changed (threads=1, time_limit_s=60).
        Nothing the Case derives depends on them: the data are kept, not derived again (for
        a sampled study that would draw and reduce its paths once more)."""
        solver = self.study.solver.model_copy(update=settings)
        return replace(self, study=self.study.model_copy(update={"solver": solver}))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    for file in files:
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _sampled(tables: dict[str, pd.DataFrame], study: Study) -> dict[str, pd.DataFrame]:
    """The tables over the study's sampled paths: `scenarios` paths drawn, or, with `draw`
    greater, `draw` paths reduced to `scenarios` (reduction.py) with their summed
    probabilities."""
    s, years, model = study.sample, study.years, event_model(tables)
    if s.draw is None or s.draw == s.scenarios:
        return sampled_tables(tables, model, years, s.scenarios, s.seed, s.stratified)
    paths = sampled_paths(model, years, s.draw, s.seed, s.stratified)
    plain, names = study.model_copy(update={"sample": None}), list(paths)
    features = pd.concat([scenario_features(build_case(path_tables(
        tables, {w: paths[w] for w in names[i:i + FEATURES_PER_BUILD]}, years), plain))
        for i in range(0, len(names), FEATURES_PER_BUILD)]).fillna(0.0)
    kept = forward_selection(features, pd.Series(1.0 / len(names), index=names), s.scenarios)
    return path_tables(tables, {w: paths[w] for w in kept.index}, years, kept.to_dict())


def build_case(tables: dict[str, pd.DataFrame], study: Study, sha: str = "") -> Case:
    """Index the checked tables and derive the scenario data (scenario index last).

    A study with `sample` first replaces the scenario tables by paths drawn from the event
    model (events.py). Demand shocks multiply. Disruptions: see supply_data (the `*` baseline
    regime, each scenario's own rows replacing it, the most severe of overlapping rows).
    """
    years, t = study.years, tables
    if study.sample is not None:
        t = _sampled(t, study)
    scen = t["scenarios"].set_index("scenario")
    ids = list(scen.index)
    mats = t["materials"].set_index("material")
    srcs = t["sources"].set_index("source")
    shocks = t["demand_shocks"]

    base = t["demand"][t["demand"]["year"].isin(years)]
    entries = grid({"material": list(base["material"].unique()), "year": years, "scenario": ids})
    entries = entries.merge(base[["material", "year", "demand_t"]], on=["material", "year"])
    mult, _ = fold(entries, shocks, {"scenario": "scenario", "material": "material"},
                   "multiplier", np.multiply, 1.0)
    demand = entries.set_index(["material", "year", "scenario"])["demand_t"].astype(float) * mult
    availability, price, disrupted = disruption_data(srcs, list(mats.index), years, ids,
                                                     t["disruptions"])

    subs = t["substitutes"].set_index("option")
    subs["available_from"] = subs["available_from"].fillna(study.horizon.start)
    facs = t["facilities"].set_index("facility")
    facs["available_from"] = facs["available_from"].fillna(study.horizon.start)
    return Case(
        study=study, materials=mats, countries=t["countries"].set_index("country"),
        sources=srcs, facilities=facs, recipes=t["recipes"].copy(),
        scrap=t["scrap"][t["scrap"]["year"].isin(years)].set_index(["material", "year"]),
        scenarios=scen, substitutes=subs, demand=demand,
        capacity=source_path(srcs, t["source_capacity"], years, "capacity_t_per_yr"),
        availability=availability, price_multiplier=price,
        disrupted=disrupted, inputs_sha256=sha, tables=t,
    )


def load_case(study: Study) -> Case:
    """Read, check and index the study's dataset; raise InputError with every problem found."""
    inputs = Path(study.inputs)
    if not (inputs.is_dir() or inputs.is_file() and inputs.suffix.lower() in (".xlsx", ".xlsm")):
        what = "is a file of another kind" if inputs.is_file() else "does not exist"
        raise InputError([Problem(str(study.path or "study"), None, "inputs", str(inputs),
                                  "a dataset folder of CSV files or an .xlsx workbook; this "
                                  f"path {what}")])
    tables, where, problems = read_tables(inputs)
    if set(tables) == set(TABLES):   # checks across tables need every table read
        empty = empty_tables(tables, where)
        problems += empty or cross_check(tables, where, study)
    if problems:
        raise InputError(problems)
    warn_unusual(tables, where, study)
    case = build_case(tables, study, _sha256(Path(study.inputs)))
    log.info("case %s: %d materials, %d sources, %d facilities, %d years, %d scenarios",
             study.name, len(case.materials), len(case.sources), len(case.facilities),
             len(case.years), len(case.scenarios))
    return case


