"""Progressive hedging over MPI ranks, then the plan's extensive form.

`solve_case` runs mpi-sppy's `generic_cylinders` as a subprocess,

    mpiexec -np N python -m mpi4py -m mpisppy.generic_cylinders \\
        --module-name optimizer.mpisppy.scenarios ...

with a PH hub, an xhatshuffle spoke (the inner bound: the best plan found, evaluated on every
scenario) and, when N is a multiple of 3, a Lagrangian spoke (the outer bound; with N even
and not a multiple of 3 the only outer bound is PH's wait-and-see bound). PH stops at the
relative gap asked for, the study's time limit or max_iterations. The best plan is read back,
fixed in the extensive form (by the same builder, through `run.solve_case(prepare=...)`) and
its second stage solved there as an LP, so that every results table means what it means for
the extensive form.
"""
from __future__ import annotations

import json
import logging
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

import pyomo.environ as pyo

from ..case import Case
from ..errors import SettingsError
from ..formulation import build_model, first_stage_vars, in_decisions
from ..formulation.terms import MONEY
from . import lean_highs

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]       # the folder holding the optimizer package
PLAN_FILE, BOUNDS_FILE = "first_stage.json", "bounds.json"
# Most scenarios in one model built whole (bounds, the plan's results): 100 EU scenarios are
# 330,000 variables and 2.8 GB.
SCENARIOS_PER_MODEL = 100
# The proximal term (x' − x̄')², x' on [0, 1] (scenarios.scaled_plan), is linearised to within
# 1e-6, mpi-sppy's x-tolerance sqrt(1e-6) = 0.1% of a variable's range (its default, 0.1,
# leaves 32% and PH oscillates).
PROX_TOLERANCE = 1e-6
SPOKE_PAUSE_S = 0.05                             # see scenarios.hub_and_spoke_dict_callback
# mpiexec is killed after 2 × the time limit + SETUP_S: PH checks its time limit only between
# iterations, and building the scenarios and tearing down come on top.
SETUP_S = 300.0
ITERATION = re.compile(r"^\[\s*[\d.]+\]\s+(\d+\s|Iter\.)")   # PH's progress table


class EngineUnavailable(RuntimeError):
    """mpi-sppy, mpi4py or mpiexec is missing."""


@dataclass
class PH:
    """What a PH run hands back: the best plan (None if none was found) and the bounds."""

    plan: dict[str, float] | None
    inner: float | None
    outer: float | None
    iterations: int | None
    wall_s: float
    log: str


def mpiexec() -> str | None:
    """The MPI launcher: the one beside this Python (the `mpich` wheel of the `mpi` extra
    installs it in the virtual environment's bin/, which need not be on PATH), else PATH's."""
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if os.access(beside, os.X_OK) else shutil.which("mpiexec")


def check_available() -> None:
    missing = [name for name in ("mpisppy", "mpi4py") if find_spec(name) is None]
    if mpiexec() is None:
        missing.append("mpiexec")
    if missing:
        raise EngineUnavailable(
            f"--engine mpisppy needs {', '.join(missing)}: pip install 'crmplan[mpi]' (MPICH "
            "comes with it from the package index); see docs/scale-out.md")


def mpi_versions() -> dict[str, str]:
    found = {}
    for name in ("mpi-sppy", "mpi4py"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            pass
    return found


def cylinders(ranks: int, hub_only: bool = False) -> tuple[list[str], int]:
    """The spokes' options for `ranks` MPI ranks, and the ranks of each cylinder (mpi-sppy
    gives every cylinder the same rank count).

    `hub_only`: PH alone on every rank, so that the scenarios are held once rather than once
    per cylinder; its plan is the xhat closest to PH's consensus (our --xhat-closest, mpi-sppy's
    XhatClosest extension) and its outer bound the wait-and-see bound of iteration 0."""
    if hub_only:
        if ranks < 1:
            raise SettingsError(f"--ranks {ranks}: --hub-only needs at least one rank")
        return ["--xhat-closest"], ranks
    if ranks >= 3 and ranks % 3 == 0:
        return ["--lagrangian", "--xhatshuffle"], ranks // 3
    if ranks >= 2 and ranks % 2 == 0:
        return ["--xhatshuffle"], ranks // 2
    raise SettingsError(f"--ranks {ranks}: use 2, 4, ... (PH + xhat), a multiple of 3 "
                        "(PH + Lagrangian bound + xhat), or --hub-only")


def check_bundles(scenarios: int, bundle_size: int, ranks_per_cylinder: int = 1) -> None:
    """Bundles are equal (so that mpi-sppy's scenario count is theirs): their size must divide
    the scenario count, and be smaller (one bundle is the extensive form, and PH, converged at
    iteration 0, stops before its inner bound spoke has a plan); and each rank of a cylinder
    needs a bundle of its own (mpi-sppy refuses more ranks than subproblems, but only once
    every rank has started)."""
    if bundle_size < 1 or scenarios % bundle_size or (scenarios > 1 and bundle_size == scenarios):
        raise SettingsError(f"--bundle-size {bundle_size}: it must divide the study's "
                            f"{scenarios} scenarios into at least two bundles (one is the "
                            "extensive form: --engine ef)")
    if scenarios // bundle_size < ranks_per_cylinder:
        raise SettingsError(f"--ranks: {ranks_per_cylinder} ranks a cylinder for "
                            f"{scenarios // bundle_size} subproblems ({scenarios} scenarios in "
                            f"bundles of {bundle_size}); use fewer ranks or smaller bundles")


def value_at_risk_bounds(case: Case) -> tuple[float, float]:
    """Bounds on value_at_risk that keep an optimum, from models of `case` over at most
    SCENARIOS_PER_MODEL scenarios each (the extensive form may not fit in memory).

    lower L: no scenario costs less than −Σ_m normal_price·initial_stock_t (every cost is
    non-negative but resale, at most the contract cost it offsets, and the end value of the
    stock, at most its fill cost plus the value of the initial stock).
    upper U = ((1+λ)·max_w A_w − L)/λ, where A_w is scenario w's cost with no plan and all
    demand short. Any plan x has F(x) ≥ L + λ·VaR(x), so no plan whose VaR exceeds U beats
    doing nothing, when doing nothing is feasible; policy floors can forbid it, so
    `engine.solve_case` checks U against the plan found. In the model's money unit (as
    value_at_risk).
    """
    ids, worst = case.scenario_ids, []
    for start in range(0, len(ids), SCENARIOS_PER_MODEL):
        model = build_model(case, ids[start:start + SCENARIOS_PER_MODEL])
        lower = -float(sum(pyo.value(model.normal_price_eur_per_t[m] * model.initial_stock_t[m])
                           for m in model.initial_stock_t))
        for var in model.component_data_objects(pyo.Var, active=True):
            var.set_value(0.0, skip_validation=True)
        for var in first_stage_vars(model):
            for v in var.values():
                v.set_value(v.lb or 0.0, skip_validation=True)
        for v in model.shortfall.values():
            v.set_value(v.ub)
        worst += [float(pyo.value(in_decisions(model, model.first_stage_cost
                                               + model.scenario_cost[w]))) for w in model.W]
    weight = case.study.risk.weight
    return lower, ((1 + weight) * max(worst) - lower) / weight


def wider_var_bounds(case: Case, bounds: tuple[float, float], objective_eur: float
                     ) -> tuple[float, float] | None:
    """None when U ≥ (F̂ − L)/λ, so that no plan with VaR above U can beat the plan found
    (objective F̂); else (L, 2·(F̂ − L)/λ). The bounds are in the model's money unit."""
    lower, upper = bounds
    objective = objective_eur * MONEY
    if upper >= (objective - lower) / case.study.risk.weight:
        return None
    return lower, 2.0 * (objective - lower) / case.study.risk.weight


def _environment(ranks: int) -> tuple[list[str], dict[str, str]]:
    """mpiexec and its flags, and the environment of the ranks."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    launcher = [mpiexec()]
    about = subprocess.run(launcher + ["--version"], capture_output=True, text=True).stdout
    openmpi = "Open MPI" in about or "OpenRTE" in about
    if openmpi and hasattr(os, "geteuid") and os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    if openmpi and ranks > (os.cpu_count() or 1):
        launcher.append("--oversubscribe")
    return launcher + ["-np", str(ranks)], env


def run_ph(case: Case, ranks: int, rel_gap: float, max_iterations: int,
           var_bounds: tuple[float, float] | None, rho_multiplier: float,
           bundle_size: int = 1, hub_only: bool = False) -> PH:
    """One PH run in a subprocess; its files live in a temporary folder. rho is
    `rho_multiplier` × mpi-sppy's SEP rho (cost coefficient over the spread of the scenarios'
    first solutions). Each subproblem is a bundle of `bundle_size` scenarios (scenarios.py).
    The cylinders are those of `cylinders(ranks, hub_only)`; with `hub_only`, subproblems
    are solved by `lean_highs`, which keeps no copy of them between solves."""
    spokes, _ = cylinders(ranks, hub_only)
    settings = case.study.solver
    launcher, env = _environment(ranks)
    with tempfile.TemporaryDirectory(prefix="crmplan-ph-") as tmp:
        out = Path(tmp)
        with (out / "case.pkl").open("wb") as f:
            pickle.dump(case, f)
        command = launcher + [
            sys.executable, "-m", "mpi4py", "-m", "mpisppy.generic_cylinders",
            "--module-name", "optimizer.mpisppy.scenarios", "--study", str(out / "case.pkl"),
            "--num-scens", str(len(case.scenario_ids) // bundle_size),
            "--bundle-size", str(bundle_size), "--crmplan-out", str(out),
            "--solver-name", lean_highs.NAME if hub_only else "highs",
            "--max-solver-threads", "1",
            "--solver-options", f"mip_rel_gap={rel_gap / 10:g} random_seed={settings.seed}",
            "--max-iterations", str(max_iterations),
            "--time-limit", str(int(settings.time_limit_s)), "--rel-gap", f"{rel_gap:g}",
            "--sep-rho", "--sep-rho-multiplier", repr(float(rho_multiplier)),
            "--linearize-proximal-terms", "--proximal-linearization-tolerance",
            f"{PROX_TOLERANCE:g}", *spokes]
        if ranks > (os.cpu_count() or 1):
            command += ["--spoke-pause", str(SPOKE_PAUSE_S)]
        if var_bounds is not None:
            command += ["--var-lower", repr(var_bounds[0]), "--var-upper", repr(var_bounds[1])]
        log.info("PH on %d ranks: %s", ranks, " ".join(command))
        start = time.perf_counter()
        returncode, text = _follow(command, env, tmp, 2 * settings.time_limit_s + SETUP_S)
        wall_s = time.perf_counter() - start
        if returncode != 0 or not (out / BOUNDS_FILE).is_file():
            tail = "\n".join(text.strip().splitlines()[-15:])
            raise RuntimeError(f"mpi-sppy failed (exit {returncode}):\n{tail}")
        bounds = json.loads((out / BOUNDS_FILE).read_text())
        plan_file = out / PLAN_FILE
        plan = json.loads(plan_file.read_text()) if plan_file.is_file() else None
    finite = [b if b is not None and abs(b) != float("inf") else None
              for b in (bounds["inner"], bounds["outer"])]
    log.info("PH: %s iterations in %.1f s, inner bound %s, outer bound %s",
             bounds["iterations"], wall_s, *finite)
    return PH(plan, *finite, bounds["iterations"], wall_s, text)


def _follow(command: list[str], env: dict, cwd: str, timeout_s: float) -> tuple[int, str]:
    """Run mpiexec, logging PH's iteration lines as they come (INFO; the rest at DEBUG), and
    kill its process group if it outlives `timeout_s`."""
    lines = []
    with subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True) as proc:
        watchdog = threading.Timer(timeout_s, os.killpg, (proc.pid, signal.SIGKILL))
        watchdog.start()
        try:
            for line in proc.stdout:
                lines.append(line)
                log.log(logging.INFO if ITERATION.match(line) else logging.DEBUG, line.rstrip())
        except BaseException:            # Ctrl-C or SIGTERM: the ranks are in their own session
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            watchdog.cancel()
        returncode = proc.wait()
    if returncode == -signal.SIGKILL:
        raise RuntimeError(f"mpi-sppy did not finish within {timeout_s:.0f} s")
    return returncode, "".join(lines)
