"""`crmplan_highs`: Pyomo's HiGHS interface, holding no copy of a subproblem between solves.

mpi-sppy keeps one solver object per subproblem, and Pyomo's HiGHS interface (`highs`) keeps
in it, between solves, the HiGHS model and the maps from Pyomo's rows and columns to it:
107 MB for a 20-scenario EU bundle whose Pyomo model is 76 MB. `--hub-only` runs use this
interface instead, which lets go of both after each solve (the values are in the results
object by then) and builds them again at the next: about 3 s for that bundle, against 70 s
or more of HiGHS.
"""
from __future__ import annotations

import pyomo.environ as pyo
from pyomo.contrib.solver.common.base import LegacySolverWrapper
from pyomo.contrib.solver.solvers.highs import Highs

NAME = "crmplan_highs"


class LeanHighs(LegacySolverWrapper, Highs):
    """The `highs` solver of Pyomo's legacy SolverFactory, released after every solve."""

    def solve(self, model, *args, **kwds):
        try:
            return super().solve(model, *args, **kwds)
        finally:
            options = self.options
            self._reinit()                   # a new, empty HiGHS and empty maps
            self.options = options
            self._model = None               # so that the next solve builds the model again


if NAME not in pyo.SolverFactory:
    pyo.SolverFactory.register(NAME, doc=LeanHighs.__doc__)(LeanHighs)
