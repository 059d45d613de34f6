"""A plan's first stage read back from its output tables (in memory or a run folder).

The tables hold every first-stage decision: contracts.csv the volumes (rows above 1e-6 t),
builds.csv the units built, stockpile.csv the stock capacity, and flows.csv the tonnes each
demand-side option avoids, t = substitution_share[o,y]·demand_t[m,y,w], from which the share
is recovered with the demand of the case the plan was solved on. An option with capex counts
as adopted when it avoids anything.
"""
from __future__ import annotations

from pathlib import Path

from ..case import Case, load_case
from ..errors import InputError, Problem
from ..report.writer import read
from ..results import Results
from ..run import solve_case
from ..study import Study, load_study

# plan entry -> (what its index names first, where the case lists them)
NAMED = {"contract": ("source", "sources"), "units_built": ("facility", "facilities"),
         "stock_capacity": ("material", "materials"),
         "substitution_share": ("option", "substitutes"), "adopted": ("option", "substitutes")}


def plan_from_results(results: Results, case: Case) -> dict[str, dict]:
    """{first-stage variable: {index: value}} of a plan solved on `case`."""
    contracts = {(r.source, int(r.year)): float(r.volume_t) for r in results.contracts.itertuples()}
    units = {(r.facility, int(r.year_built)): float(r.units) for r in results.builds.itertuples()}
    stock = {r.material: float(r.capacity_t) for r in results.stockpile.itertuples()}
    flows = results.flows
    subs = case.substitutes
    shares = {}
    for r in flows[flows["flow"] == "substitution"].itertuples():
        option = r.source_or_facility
        mat = subs.at[option, "material"] if option in subs.index else None
        demand = case.demand.get((mat, int(r.year), r.scenario), 0.0)
        if demand > 0:
            shares[option, int(r.year)] = float(r.t) / demand
    adopted = {o: float(any(share > 0 for (p, _), share in shares.items() if p == o))
               for o in subs.index[subs["capex_eur"] > 0]}
    plan = {"contract": contracts, "units_built": units, "stock_capacity": stock,
            "substitution_share": shares, "adopted": adopted}
    check_plan(plan, case)
    return plan


def check_plan(plan: dict[str, dict], case: Case) -> None:
    """Every source, facility, material and option the plan names exists in the case."""
    problems = []
    for name, (what, table) in NAMED.items():
        known = set(getattr(case, table).index)
        named = {k[0] if isinstance(k, tuple) else k for k in plan.get(name, {})}
        problems += [Problem(f"plan {name}", None, what, item,
                             f"a {what} of the study's dataset {case.study.inputs}")
                     for item in sorted(named - known)]
    if problems:
        raise InputError(problems)


def load_run(folder: Path) -> tuple[Results, Study]:
    """A finished run and the study it was solved for (the study file it names)."""
    folder = Path(folder)
    if not (folder / "summary.json").is_file():
        raise InputError([Problem(str(folder), None, None, None,
                                  "a results folder with summary.json")])
    results = read(folder)
    if not results.ok:
        raise InputError([Problem(str(folder / "summary.json"), None, "status", results.status,
                                  "a run that found a plan")])
    path = results.summary.get("study_file")
    if not path or not Path(path).is_file():
        raise InputError([Problem(str(folder / "summary.json"), None, "study_file", path,
                                  "the study file of the run, still in place")])
    return results, load_study(path)


def plan_of(path: Path) -> tuple[Case, dict]:
    """The plan of a run folder with its study's case, or of a study file solved now."""
    if Path(path).is_dir():
        results, study = load_run(path)
        case = load_case(study)
    else:
        case = load_case(load_study(path))
        results = solve_case(case, duals=False)
        if not results.ok:
            raise RuntimeError(f"{case.study.name} has no plan: {results.status}")
    return case, plan_from_results(results, case)
