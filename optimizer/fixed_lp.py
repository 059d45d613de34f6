"""The LP left when every integer of a solved model is fixed at its plan, and its duals: the
price of each policy row and of each material balance that explain.py and run.py report."""
from __future__ import annotations

import dataclasses
import logging

import highspy
import numpy as np
import pyomo.environ as pyo

from .block_solve import solve_in_blocks
from .blocks import split
from .highs import MS, loaded_highs, run_highs, standard_form, to_highs
from .solve import integer_vars
from .study import Solver

log = logging.getLogger(__name__)


def fixed_lp_duals(model: pyo.ConcreteModel, settings: Solver, constraints: list[str],
                   form: tuple | None = None, row_dual: np.ndarray | None = None
                   ) -> dict[tuple[str, object], float]:
    """Duals of the named constraints in the LP left when every integer is fixed at its plan.

    Returns {(constraint name, index): shadow price}, the rise in the objective per unit by
    which the row is tightened (positive when it binds). Rows whose variables are all fixed
    drop out of the LP and get no dual. `form`, the solve's standard form (Outcome.form),
    spares compiling the model again: its integer columns are fixed by their bounds.
    `row_dual`, that LP's row duals when the solve already gave them (Outcome.row_dual),
    spares solving it.
    """
    if form is None:
        ints = [v for v in integer_vars(model) if not v.fixed]
        for v in ints:
            v.fix(round(v.value or 0.0))
        try:
            return _fixed_lp_duals(model, settings, constraints, standard_form(model))
        finally:
            for v in ints:
                v.unfix()
    held, rows, columns = form
    # a row over fixed columns alone drops out, as it does from a compiled model
    free_entries = np.diff(held.A.tocsr()[:, ~held.integer].tocsr().indptr)
    kept = [(con, sense) if n else (None, sense) for (con, sense), n in zip(rows, free_entries)]
    if row_dual is not None:
        return _priced(model, constraints, kept, row_dual)
    integers = np.flatnonzero(held.integer)
    lower, upper = held.lower.copy(), held.upper.copy()
    lower[integers] = upper[integers] = [round(columns[j].value or 0.0) for j in integers]
    fixed = dataclasses.replace(held, lower=lower, upper=upper,
                                integer=np.zeros_like(held.integer))
    return _fixed_lp_duals(model, settings, constraints, (fixed, kept, columns))


def _fixed_lp_duals(model, settings: Solver, constraints: list[str], form: tuple) -> dict:
    """fixed_lp_duals on the standard form of the LP (a row named None gets no dual)."""
    blocks = split(form[0]) if settings.blocks else None
    if blocks is not None:
        result, _ = solve_in_blocks(form[0], blocks, {"threads": int(settings.threads)},
                                    run_highs, loaded_highs)
        row_dual = result.row_dual if result.status == "optimal" else None
    else:
        h = to_highs(model, form).highs
        h.setOptionValue("threads", int(settings.threads))
        highspy.Highs.resetGlobalScheduler(True)
        run_highs(h)
        row_dual = h.getSolution().row_dual if h.getModelStatus() == MS.kOptimal else None
    if row_dual is None:
        log.warning("the LP with integers fixed did not solve: no duals")
        return {}
    return _priced(model, constraints, form[1], row_dual)


def _priced(model, constraints: list[str], rows: list, row_dual) -> dict:
    """{(constraint name, index): shadow price} of the named constraints from the LP's row
    duals, in the order of `rows` ((constraint or None, sense) per row)."""
    wanted = set(constraints)
    scale = getattr(model, "eur_per_objective_unit", 1.0)
    duals = {}
    for (con, sense), dual in zip(rows, row_dual):
        name = con.parent_component().name if con is not None else None
        if name in wanted:
            # HiGHS' row dual is d objective / d bound: negative for a binding upper bound
            price = (-dual if sense == 1 else dual) * scale
            duals[name, con.index()] = duals.get((name, con.index()), 0.0) + float(price)
    return duals
