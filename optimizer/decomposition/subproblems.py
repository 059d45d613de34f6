"""The second stage, one HiGHS LP per scenario, kept between plans; and worker processes.

For a plan x (the first-stage variables, in the order of `plan_keys`) scenario w's LP is

    Q_w(x) = min { scenario_cost[w] : second-stage rows of w, first stage held at x }

built by the same builder: a one-scenario model with mutable scenario data (analysis/held.py;
rows over the plan alone are the master's and left out), compiled once with its numbers
affine in the scenario data (analysis/held_lp.KeptLP), so that each scenario's LP is those
numbers at its data, handed to a HiGHS of its own in bulk (compiling each scenario's model
took about 0.3 s a scenario, 160 s of the start of 1,000 EU scenarios on 2 workers); only
HiGHS's copies are kept (about 5 MB for an EU scenario), and the one template, which reads
the plan's tables off the LPs' solutions at the end (plan_tables.py). A
plan is given by the bounds lb = ub = x of the first-stage columns, so that HiGHS starts
from the last basis. The first-stage cost columns (first_stage_component) cost nothing
here: the master counts them. Q_w is convex in x and the reduced costs d_j of the held
columns are a subgradient (the change of Q_w per unit of x_j, in million EUR like the
objective):

    Q_w(x') ≥ Q_w(x) + Σ_j d_j·(x'_j − x_j)

and each Cut also carries Q_w's share of each independent block, whose own cut takes the
block's d_j alone (block_cuts.py).

Workers are processes started from a fork server (clean of the parent's HiGHS threads),
each holding a share of the scenarios and answering plans sent over a pipe. They ignore
SIGINT: the parent, which sees Ctrl-C, terminates them.
"""
from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
import signal
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.visitor import identify_variables

from ..analysis.disruptions import calm
from ..analysis.held import HeldModel
from ..scenarios import case_scenario, with_scenarios
from ..case import Case
from ..formulation import first_stage_vars
from ..analysis.held_lp import KeptLP
from ..highs import loaded_highs
from .block_cuts import ObjectiveSplit, plan_blocks
from .plan_tables import Part, Reader, first_stage, row_senses

log = logging.getLogger(__name__)
POLL_S = 0.05
PRELOAD = ["optimizer.decomposition.subproblems"]    # what the fork server imports


def start_fork_server() -> None:
    """Start the fork server the workers come from, without waiting for it: its imports
    (Pyomo, HiGHS, pandas) take about 1.5 s, which a caller that starts it before drawing
    the case spends on that instead (pipeline.solve)."""
    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    multiprocessing.forkserver.ensure_running()


def plan_keys(model) -> list[tuple[str, object]]:
    """The first-stage variables of a model as (name, index), in the builder's order."""
    return [(c.local_name, i) for c in first_stage_vars(model) for i in c]


@dataclass
class Cut:
    """Q_w at a plan and its subgradient, dense over the plan's keys, and Q_w's share of
    each block (block_cuts.py; None: LP not solved)."""

    scenario: str
    status: str
    value: float | None
    gradient: np.ndarray | None
    blocks: np.ndarray | None = None


class ScenarioLPs:
    """The LPs of `scenarios` of `case`, in one process."""

    def __init__(self, case: Case, scenarios: list[str], threads: int = 1):
        template = with_scenarios(case, {"sample": (1.0, calm(case))})
        held = HeldModel(template, {}, mutable=True, threads=threads)
        keys = plan_keys(held.model)
        self.size = len(keys)
        key_of = {id(var): k for k, var in enumerate(
            v for c in first_stage_vars(held.model) for v in c.values())}
        free_cost = {id(v) for v in held.model.first_stage_component.values()}
        for row in held.model.component_data_objects(pyo.Constraint, active=True):
            if all(id(v) in key_of or id(v) in free_cost for v in identify_variables(row.body)):
                row.deactivate()     # the master's (a held plan meets it or not)
        highspy.Highs.resetGlobalScheduler(True)
        kept = KeptLP(held)          # compiled once; a scenario is its numbers (held_lp.py)
        plan_columns = self._plan_columns(kept.columns, key_of)
        unpaid = [j for j, var in enumerate(kept.columns) if id(var) in free_cost]
        calm_form = kept.form()
        self.block_of_plan = plan_blocks(calm_form, plan_columns)     # the calm scenario's
        self.case, self.keys = case, keys
        self.reader = Reader(held, kept, row_senses(calm_form))      # for the plan's tables
        held_at = np.flatnonzero(plan_columns >= 0)
        data = [case_scenario(case, w) for w in scenarios]
        self.lps = []
        for w, scenario, spare in zip(scenarios, data, held.spare_shares(data)):
            kept.set_scenario(scenario, spare)
            form = kept.form()
            form.cost[unpaid] = 0.0
            h = loaded_highs(form.lp())
            h.setOptionValue("threads", threads)
            h.setOptionValue("time_limit", float(case.study.solver.time_limit_s))
            self.lps.append((w, h, held_at, plan_columns[held_at].astype(np.int32),
                             ObjectiveSplit(form, self.block_of_plan, plan_columns)))

    def _plan_columns(self, columns: list, key_of: dict) -> np.ndarray:
        """The column of each plan variable among `columns` (-1: in no row of this LP)."""
        out = np.full(self.size, -1, dtype=np.int64)
        for j, var in enumerate(columns):
            if id(var) in key_of:
                out[key_of[id(var)]] = j
        return out

    def evaluate(self, plan: np.ndarray) -> list[Cut]:
        """Q_w(plan) and a subgradient for each scenario held here."""
        cuts = []
        for w, h, held_at, columns, split in self.lps:
            if not _solved_at(h, plan[held_at], columns):
                cuts.append(Cut(w, h.modelStatusToString(h.getModelStatus()), None, None))
                continue
            solution = h.getSolution()
            gradient = np.zeros(self.size)
            gradient[held_at] = np.asarray(solution.col_dual)[columns]
            cuts.append(Cut(w, "optimal", h.getInfo().objective_function_value, gradient,
                            split.values(np.asarray(solution.col_value))))
        return cuts

    def tables(self, plan: np.ndarray, duals: bool) -> Part:
        """The plan's tables over the scenarios held here (plan_tables.py): each LP solved
        at the plan and read off the template."""
        reader, ids = self.reader, [w for w, *_ in self.lps]
        # read again rather than kept from the start: about 0.3 s for 50 EU scenarios, where
        # keeping them would hold 20 MB per 100 scenarios (measured) for the whole run
        data = [case_scenario(self.case, w) for w in ids]
        for (w, h, held_at, columns, _), scenario, spare in zip(
                self.lps, data, reader.held.spare_shares(data)):
            if not _solved_at(h, plan[held_at], columns):
                raise RuntimeError(f"scenario {w}'s LP is "
                                   f"{h.modelStatusToString(h.getModelStatus())} at the plan")
            solution = h.getSolution()
            reader.add(w, scenario, spare, solution.col_value, solution.row_dual, duals)
        return reader.part(first_stage(reader.held.case, reader.held.model, self.keys, plan))


def _solved_at(h: highspy.Highs, values: np.ndarray, columns: np.ndarray) -> bool:
    """Solve a scenario's LP with its plan columns held at `values` (from its last basis)."""
    h.changeColsBounds(len(columns), columns, values, values)
    h.run()
    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def _serve(conn, case: Case, scenarios: list[str]) -> None:
    """A worker: build the LPs of `scenarios`, then answer each plan sent until None."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    lps = ScenarioLPs(case, scenarios)
    conn.send(lps.block_of_plan)
    try:
        while (message := conn.recv()) is not None:
            if isinstance(message, tuple):         # ("tables", plan, duals)
                conn.send(lps.tables(*message[1:]))
            else:
                conn.send(lps.evaluate(message))
    except (EOFError, BrokenPipeError):    # the parent is gone (interrupted)
        return


class Workers:
    """The scenarios of `case` shared round-robin among `workers` processes (in this process
    when workers is 1). `evaluate(plan)` returns the cuts in the case's scenario order."""

    def __init__(self, case: Case, workers: int):
        ids = case.scenario_ids
        self.order = {w: i for i, w in enumerate(ids)}
        self.local = None
        self.processes, self.pipes = [], []
        if workers <= 1:
            self.local = ScenarioLPs(case, ids)
            self.block_of_plan = self.local.block_of_plan
            return
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        try:
            for k in range(workers):
                parent, child = context.Pipe()
                process = context.Process(target=_serve, args=(child, case, ids[k::workers]),
                                          name=f"lshaped-worker-{k}", daemon=True)
                process.start()
                child.close()
                self.processes.append(process)
                self.pipes.append(parent)
            found = [self._receive(pipe) for pipe in self.pipes]
            if any(not np.array_equal(found[0], other) for other in found[1:]):
                raise RuntimeError("the workers found different blocks in the same template")
            self.block_of_plan = found[0]
        except BaseException:
            self.close(at_once=True)
            raise

    def _receive(self, pipe):
        """The next message on `pipe`, waiting where Python sees Ctrl-C."""
        while not pipe.poll(POLL_S):
            for process in self.processes:
                if not process.is_alive():
                    raise RuntimeError(f"{process.name} stopped (exit code {process.exitcode})")
        return pipe.recv()

    def evaluate(self, plan: np.ndarray) -> list[Cut]:
        if self.local is not None:
            return self.local.evaluate(plan)
        for pipe in self.pipes:
            pipe.send(plan)
        cuts = [cut for pipe in self.pipes for cut in self._receive(pipe)]
        return sorted(cuts, key=lambda cut: self.order[cut.scenario])

    def tables(self, plan: np.ndarray, duals: bool) -> list[Part]:
        """Each worker's share of the plan's tables (plan_tables.py)."""
        if self.local is not None:
            return [self.local.tables(plan, duals)]
        for pipe in self.pipes:
            pipe.send(("tables", plan, duals))
        return [self._receive(pipe) for pipe in self.pipes]

    def close(self, at_once: bool = False) -> None:
        """Stop the workers: by a message when idle, or `at_once` (SIGTERM: within a second
        of Ctrl-C, whatever they are doing)."""
        for pipe in self.pipes if not at_once else []:
            try:
                pipe.send(None)
            except (BrokenPipeError, OSError):
                pass
        for process in self.processes:
            if at_once:
                process.terminate()
        for process in self.processes:
            process.join(0.5 if not at_once else None)
            if process.is_alive():
                process.terminate()
                process.join()
        self.processes, self.pipes = [], []

    def __enter__(self):
        return self

    def __exit__(self, kind, *_):
        self.close(at_once=kind is not None)
