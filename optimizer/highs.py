"""HiGHS from a Pyomo model: the hand-over in bulk, checked, and a run that Ctrl-C stops.

The model goes to HiGHS in bulk: Pyomo's standard-form compiler turns it into sparse arrays
that highspy takes in one `passModel` call, several times faster than Pyomo's persistent
interface, which adds rows one by one (../shared/notes, §2). Values and duals come back by
column and row position. A model HiGHS refuses raises HandoverError instead of leaving an
empty model to solve.

HiGHS runs in a thread of its own while the main thread waits (run_highs), so that Ctrl-C
(or SIGTERM, which the CLI turns into an exception too) is seen at once; HiGHS's interrupt
callbacks then stop it within a second and the exception goes on up.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from .blocks import Form
from .progress import SolverProgress

log = logging.getLogger(__name__)
MS = highspy.HighsModelStatus
STATUS = {MS.kOptimal: "optimal", MS.kInfeasible: "infeasible",
          MS.kUnboundedOrInfeasible: "infeasible", MS.kUnbounded: "unbounded",
          MS.kTimeLimit: "time_limit", MS.kIterationLimit: "time_limit",
          MS.kSolutionLimit: "time_limit", MS.kInterrupt: "time_limit"}


@dataclass
class Handover:
    """A model in HiGHS: the solver object and the Pyomo row and column of each position."""

    highs: highspy.Highs
    rows: list          # [(ConstraintData, +1 for an upper bound, -1 lower, 0 equality)]
    columns: list       # [VarData]


class HandoverError(RuntimeError):
    """HiGHS refused the model handed to it; it would otherwise solve an empty one."""


@contextmanager
def _banner_aside():
    """HiGHS prints its banner on the C-level stdout when first created; stdout is reserved
    for results (`--json`), so point file descriptor 1 at stderr meanwhile, or at nothing
    when the log is quiet (`-q`)."""
    sys.stdout.flush()
    saved = os.dup(1)
    quiet = not log.isEnabledFor(logging.INFO)
    sink = os.open(os.devnull, os.O_WRONLY) if quiet else os.dup(2)
    try:
        os.dup2(sink, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(sink)


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance."""
    with _banner_aside():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def _pass_model(h: highspy.Highs, lp: highspy.HighsLp, has_variables: bool) -> None:
    """passModel, checked: when HiGHS refuses the model (an infinite or huge coefficient, a
    NaN bound) it keeps an empty one, which must never be solved; say why instead."""
    messages = []

    def keep(event):
        messages.append(event.message.strip())

    h.setOptionValue("output_flag", True)
    h.setOptionValue("log_to_console", False)
    h.cbLogging.subscribe(keep)
    try:
        status = h.passModel(lp)
    finally:
        h.cbLogging.unsubscribe(keep)
        h.setOptionValue("output_flag", False)
    held = (h.getNumCol(), h.getNumRow())
    if status == highspy.HighsStatus.kError or held != (lp.num_col_, lp.num_row_):
        said = "; ".join(m for m in messages if m) or f"passModel returned {status.name}"
        raise HandoverError(f"HiGHS refused the model ({lp.num_col_} columns, {lp.num_row_} "
                            f"rows; it holds {held[0]} and {held[1]}): {said}. A number in "
                            "the inputs is out of the range HiGHS takes; see docs/data.md")
    if lp.num_col_ == 0 and has_variables:
        raise HandoverError("the model has variables but none is in a constraint or the "
                            "objective: HiGHS would solve an empty model")
    if status == highspy.HighsStatus.kWarning:
        log.warning("HiGHS took the model with a warning: %s", "; ".join(messages))


def run_highs(h: highspy.Highs) -> None:
    """h.run() in a worker thread; the main thread waits where Python sees signals. On
    Ctrl-C or SIGTERM the interrupt callbacks stop HiGHS and the exception is raised again."""
    stop = threading.Event()

    def interrupt(event):
        if stop.is_set():
            event.interrupt()

    callbacks = (h.cbSimplexInterrupt, h.cbIpmInterrupt, h.cbMipInterrupt)
    progress = SolverProgress() if logging.getLogger("optimizer.progress").isEnabledFor(
        logging.INFO) else None
    for callback in callbacks:
        callback.subscribe(interrupt)
        if progress is not None:
            callback.subscribe(progress)
    worker = threading.Thread(target=h.run, name="highs", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except BaseException:
        stop.set()
        log.info("stopping HiGHS")
        worker.join()
        raise
    finally:
        for callback in callbacks:
            callback.unsubscribe(interrupt)
            if progress is not None:
                callback.unsubscribe(progress)


def standard_form(model: pyo.ConcreteModel) -> tuple[Form, list, list]:
    """The model in standard form, with the Pyomo row and column of each position."""
    sf = LinearStandardFormCompiler().write(model, mixed_form=True)
    n = len(sf.columns)
    cost = np.asarray(sf.c.toarray()[0] if sf.c.shape[0] else np.zeros(n), dtype=float)
    inf = highspy.kHighsInf
    sense = np.array([s for _, s in sf.rows], dtype=int)
    rhs = np.asarray(sf.rhs, dtype=float)
    form = Form(cost=cost, offset=float(sf.c_offset[0]) if len(sf.c_offset) else 0.0,
                lower=np.array([-inf if v.lb is None else v.lb for v in sf.columns], dtype=float),
                upper=np.array([inf if v.ub is None else v.ub for v in sf.columns], dtype=float),
                row_lower=np.where(sense == 1, -inf, rhs), row_upper=np.where(sense == -1, inf, rhs),
                A=sf.A.tocsc(), integer=np.array([v.is_integer() for v in sf.columns], dtype=bool))
    return form, list(sf.rows), list(sf.columns)


def to_highs(model: pyo.ConcreteModel, form: tuple | None = None) -> Handover:
    """Compile the model to standard form (or take `form`, standard_form's answer) and pass
    it to a new HiGHS instance in one call."""
    form, rows, columns = form or standard_form(model)
    lp = form.lp()
    return Handover(loaded_highs(lp, lp.num_col_ > 0 or any(
        not v.fixed for v in model.component_data_objects(pyo.Var, active=True))), rows, columns)


def loaded_highs(lp: highspy.HighsLp, has_variables: bool = True) -> highspy.Highs:
    """A new silent HiGHS instance holding `lp` (checked: _pass_model)."""
    h = new_highs()
    _pass_model(h, lp, has_variables)
    return h


def status_of(h: highspy.Highs) -> str:
    """The status name of h's last run: STATUS's, feasible when the time limit stopped it with
    a plan, error when it says optimal without one."""
    status = STATUS.get(h.getModelStatus(), "error")
    has_solution = h.getInfo().primal_solution_status == 2
    if status == "time_limit" and has_solution:
        return "feasible"
    if status == "optimal" and not has_solution:
        return "error"
    return status
