"""Decomposition: the L-shaped (Benders) method on HiGHS worker processes.

    from optimizer.decomposition import solve_lshaped
    results = solve_lshaped(case)          # the same Results as run.solve_case(case)

See lshaped.py for the loop, master.py and subproblems.py for its two halves, and
docs/scale-out.md for when to use it.
"""
from .engine import choose_method, solve_lshaped  # noqa: F401
from .lshaped import Decomposition, decompose
from .master import NotDecomposable

__all__ = ["Decomposition", "NotDecomposable", "choose_method", "decompose", "solve_lshaped"]
