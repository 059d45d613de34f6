"""crmplan: plan EU critical raw material supply under disruption (Pyomo + HiGHS).

    import optimizer
    study = optimizer.load_study("models/tiny.yaml")
    results = optimizer.solve(study)
    results.builds, results.stockpile, results.flows, results.costs   # pandas DataFrames
    optimizer.write(results)                                          # results/<study>-<time>/
"""
from .case import Case, load_case
from .errors import InputError, Problem
from .report.writer import write
from .results import Results
from .pipeline import solve
from .run import solve_case
from .study import Study, load_study

__all__ = ["Case", "InputError", "Problem", "Results", "Study", "load_case", "load_study",
           "solve", "solve_case", "write"]
