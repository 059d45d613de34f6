"""Where an analysis finds a plan: a finished run folder, or a study solved now
(the Plan itself, and how it is read from tables: optimizer.plan)."""
from __future__ import annotations

from pathlib import Path

from ..case import Case, load_case
from ..errors import InputError, Problem
from ..plan import Plan
from ..report.writer import read
from ..results import Results
from ..run import solve_case
from ..study import Study, load_study


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


def plan_of(path: Path) -> tuple[Case, Plan]:
    """The plan of a run folder with its study's case, or of a study file solved now."""
    if Path(path).is_dir():
        results, study = load_run(path)
        case = load_case(study)
    else:
        case = load_case(load_study(path))
        results = solve_case(case, duals=False)
        if not results.ok:
            raise RuntimeError(f"{case.study.name} has no plan: {results.status}")
    return case, Plan.of(results, case)
