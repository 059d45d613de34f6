"""Backtests: recorded supply events replayed on the data as they stood before them.

A replay is a study (models/backtest/<event>.yaml) over a small dataset
(inputs/backtest/<event>/) whose one scenario, `recorded`, holds the cut as it happened, and
whose observed.csv gives the EU's observed imports per material and year. The replay

1. solves the study's data without the cut (every available_share 1, prices normal): the
   contracts the EU held before the event, which it did not foresee;
2. holds that plan and solves the recorded scenario (the second stage: spot purchases,
   stock draws, shortfall);
3. compares, per material m and year y, the observed imports with

       accessible[m,y] = Σ_{s of m} A[s,y]                 what the EU could obtain
       A[s,y] = a[s,y]·cap[s]                              if s's country is cut (a < 1)
              = c[s,y] + e_m·(cap[s] − c[s,y])             if another country of m is cut
              = cap[s]                                     otherwise
       imports[m,y]   = Σ_s (a[s,y]·c[s,y] + spot[s,y])     contract deliveries and spot bought
       shortfall[m,y]                                       unmet demand of the replay
       ratio[m,y]     = accessible[m,y] / observed[m,y]
       imports_ratio  = imports[m,y] / observed[m,y]

   with a the available_share, cap the capacity, c the contracted volume and e_m the
   material's eu_import_share (the EU's share of what the others can spare when competing
   buyers turn to them; 1 when the materials table has no such column). A ratio within
   0.7-1.3 counts as reproducing the year.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..case import Case, load_case
from ..errors import InputError, Problem
from ..plan import Plan
from ..run import solve_case
from ..scenarios import with_scenarios
from ..study import load_study
from .disruptions import calm
from .held import HeldModel

log = logging.getLogger(__name__)

RECORDED = "recorded"
TOLERANCE = 0.3
OBSERVED_COLUMNS = ("material", "year", "eu_imports_t", "source")
COLUMNS = ["event", "material", "year", "observed_t", "demand_t", "accessible_t", "imports_t",
           "shortfall_t", "ratio", "imports_ratio", "within_30pct"]


def replay_studies(folder: Path = Path("models") / "backtest") -> list[Path]:
    """The replay studies of a folder, by name."""
    return sorted(Path(folder).glob("*.yaml"))


def read_observed(case: Case) -> pd.DataFrame:
    """observed.csv of the replay's dataset: material, year, eu_imports_t, source.

    Raises InputError listing every bad cell (file, row, column, what was expected).
    """
    path = Path(case.study.inputs) / "observed.csv"
    if not path.is_file():
        raise InputError([Problem(str(path), None, None, None,
                                  "a file of observed EU imports (" + ", ".join(OBSERVED_COLUMNS)
                                  + ")")])
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    raw.index = pd.RangeIndex(2, len(raw) + 2)
    problems = [Problem(path.name, 1, c, None, "this column in the header")
                for c in OBSERVED_COLUMNS if c not in raw.columns]
    if problems:
        raise InputError(problems)
    years, tonnes = (pd.to_numeric(raw[c], errors="coerce") for c in ("year", "eu_imports_t"))
    for row, r in raw.iterrows():
        if r["material"] not in case.materials.index:
            problems.append(Problem(path.name, row, "material", r["material"],
                                    "a material of the replay's materials.csv"))
        if years[row] not in case.years:
            problems.append(Problem(path.name, row, "year", r["year"],
                                    f"a year of the horizon {case.years[0]}-{case.years[-1]}"))
        if not tonnes[row] >= 0:
            problems.append(Problem(path.name, row, "eu_imports_t", r["eu_imports_t"],
                                    "a number >= 0"))
        if not r["source"].strip():
            problems.append(Problem(path.name, row, "source", "", "the SOURCES.md ids"))
    if problems:
        raise InputError(problems)
    return pd.DataFrame({"material": raw["material"], "year": years.astype(int),
                         "observed_t": tonnes.astype(float), "source": raw["source"]})


def accessible_volume(case: Case, contracts: dict, scenario: str = RECORDED) -> pd.Series:
    """accessible[m,y] of the module docstring, from the case and the contracted volumes
    {(source, year): t}."""
    src = case.sources
    share = case.availability.xs(scenario, level="scenario")
    competing = case.materials["eu_import_share"] if "eu_import_share" in case.materials \
        else pd.Series(1.0, index=case.materials.index)
    frame = share.rename("share").reset_index()
    frame["material"] = frame["source"].map(src["material"])
    frame["capacity"] = frame["source"].map(src["capacity_t_per_yr"]).astype(float)
    frame["contract"] = [contracts.get((s, y), 0.0) for s, y in zip(frame["source"], frame["year"])]
    cut = frame["share"] < 1.0
    any_cut = cut.groupby([frame["material"], frame["year"]]).transform("any")
    e = frame["material"].map(competing).astype(float)
    frame["accessible"] = frame["capacity"]
    frame.loc[any_cut, "accessible"] = (frame["contract"]
                                        + e * (frame["capacity"] - frame["contract"]))[any_cut]
    frame.loc[cut, "accessible"] = (frame["share"] * frame["capacity"])[cut]
    return frame.groupby(["material", "year"])["accessible"].sum()


def replay(case: Case) -> pd.DataFrame:
    """One row per material and year of a replay study (COLUMNS); observed where known."""
    if RECORDED not in case.scenario_ids:
        raise InputError([Problem(str(Path(case.study.inputs) / "scenarios.csv"), None,
                                  "scenario", None, f"a scenario named {RECORDED}")])
    observed = read_observed(case)
    before = with_scenarios(case, {"before": (1.0, calm(case))})
    planned = solve_case(before, duals=False)
    if not planned.ok:
        raise RuntimeError(f"{case.study.name}: the plan before the event is {planned.status}")
    plan = Plan.of(planned, before)
    held = HeldModel(case, plan)
    evaluation = held.solve()
    if not evaluation.ok:
        raise RuntimeError(f"{case.study.name}: the recorded scenario is {evaluation.status}")
    results = held.results(evaluation)
    flows = results.flows[(results.flows["scenario"] == RECORDED)
                          & results.flows["flow"].isin(["contract", "spot"])]
    imports = flows.groupby(["material", "year"])["t"].sum()
    shortfall = results.shortfall.set_index(["material", "year"])["shortfall_t"]
    demand = case.demand.xs(RECORDED, level="scenario")
    accessible = accessible_volume(case, plan["contract"])
    table = demand.rename("demand_t").to_frame().reset_index()
    keys = pd.MultiIndex.from_frame(table[["material", "year"]])
    table["accessible_t"] = accessible.reindex(keys, fill_value=0.0).to_numpy()
    table["imports_t"] = imports.reindex(keys, fill_value=0.0).to_numpy()
    table["shortfall_t"] = shortfall.reindex(keys, fill_value=0.0).to_numpy()
    table = table.merge(observed[["material", "year", "observed_t"]], how="left",
                        on=["material", "year"])
    table["ratio"] = table["accessible_t"] / table["observed_t"]
    table["imports_ratio"] = table["imports_t"] / table["observed_t"]
    table["within_30pct"] = ((table["ratio"] - 1.0).abs() <= TOLERANCE).astype(object)
    table.loc[table["observed_t"].isna(), "within_30pct"] = None
    table.insert(0, "event", Path(case.study.path).stem if case.study.path else case.study.name)
    log.info("%s: %d material-years, %d observed", case.study.name, len(table),
             int(table["observed_t"].notna().sum()))
    return table[COLUMNS]


def backtest(studies: list[Path]) -> pd.DataFrame:
    """The replays of the given study files, one table (every problem of every replay's
    input reported at once)."""
    cases, problems = [], []
    for path in studies:
        try:
            case = load_case(load_study(path))
            read_observed(case)
            cases.append(case)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    if not cases:
        raise InputError([Problem("backtest", None, None, None, "at least one replay study")])
    return pd.concat([replay(case) for case in cases], ignore_index=True)
