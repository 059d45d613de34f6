"""`crmplan solve` as one call: a study file -> Case -> solve (run.py, or the L-shaped method of
decomposition/ when solver.method asks for it) -> Results, with the
out-of-sample check (analysis/out_of_sample.py) when the study asks for it. It sits above
run.py and analysis/, so that neither imports the other's way up."""
from __future__ import annotations

from pathlib import Path

from .case import load_case
from .results import Results
from .run import solve_case
from .study import Study, load_study


def solve(study: Study | str | Path, duals: bool = True) -> Results:
    """Solve a study (a Study or the path of its YAML) and return its Results.

    Raises InputError for bad input. An infeasible study returns Results with status
    infeasible and the conflicting policy rows in `results.conflicts`. A study with the key
    `out_of_sample` also has its plan evaluated on an independent sample (summary key
    out_of_sample, analysis/out_of_sample.py).
    """
    study = study if isinstance(study, Study) else load_study(study)
    if study.solver.method == "lshaped" and study.solver.workers != 1:
        from .decomposition.subproblems import start_fork_server
        start_fork_server()      # its imports meanwhile: the workers start 1.5 s sooner
    case = load_case(study)
    solve_with = solve_case
    if study.solver.method != "extensive":
        from .decomposition import choose_method, solve_lshaped
        if choose_method(case) == "lshaped":
            solve_with = solve_lshaped
    if study.out_of_sample is None:
        return solve_with(case, duals=duals, ranges=study.solver.decision_ranges)
    from .analysis.out_of_sample import out_of_sample_check   # analysis loads only when asked
    check = out_of_sample_check(case)
    return check(solve_with(case, duals=duals, ranges=study.solver.decision_ranges))
