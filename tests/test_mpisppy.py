"""`crmplan solve --engine mpisppy`: PH over MPI ranks on the critical-fractile case (three
scenarios, optimum worked out in test_hand_optima; with CVaR also split into four and bundled
in twos) lands within the asked gap of the extensive form and writes the same files; with
--hub-only its bound is the bundles solved alone, worked out by hand; Ctrl-C stops the
ranks and leaves nothing. Skipped, with the
reason, without the `mpi` extra (mpi-sppy, mpi4py and the MPICH wheel with its mpiexec)."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.mpisppy.driver import EngineUnavailable, check_available

try:
    check_available()
    from mpi4py import MPI  # noqa: F401 - loads the MPI library: fails if there is none
except (EngineUnavailable, ImportError, RuntimeError) as exc:
    pytest.skip(f"no MPI: {exc}", allow_module_level=True)

import optimizer  # noqa: E402
import pyomo.environ as pyo  # noqa: E402
from conftest import write_dataset, write_study  # noqa: E402
from optimizer.case import load_case  # noqa: E402
from optimizer.cli import main  # noqa: E402
from optimizer.formulation import build_model  # noqa: E402
from optimizer.mpisppy import solve as ph_solve  # noqa: E402
from optimizer.mpisppy.lean_highs import NAME  # noqa: E402
from optimizer.study import load_study  # noqa: E402
from test_hand_optima import fractile_case  # noqa: E402
from test_signals import slow_study, start, stop_after  # noqa: E402,F401 - slow_study: a fixture

GAP = 0.01


def study(folder, tables=None, **keys):
    write_dataset(folder / "data", tables or fractile_case())
    return write_study(folder, solver={"mip_rel_gap": GAP, "time_limit_s": 60, "threads": 1},
                       **keys)


def test_ph_lands_within_the_gap_and_writes_the_extensive_forms_files(tmp_path):
    path = study(tmp_path / "case")
    ef = optimizer.solve(path)
    result = CliRunner().invoke(main, ["solve", str(path), "--engine", "mpisppy", "--ranks", "3",
                                       "--out", str(tmp_path / "ph"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "ph" / "summary.json").read_text())
    optimum = ef.summary["objective_eur"]                   # 29200, worked out by hand
    assert summary["engine"] == "mpisppy" and summary["status"] == "optimal"
    assert summary["outer_bound_eur"] <= optimum * (1 + 1e-6)
    assert optimum * (1 - 1e-9) <= summary["objective_eur"] <= optimum * (1 + GAP)
    assert summary["mip_gap"] <= GAP
    assert summary["objective_eur"] == pytest.approx(summary["expected_cost_eur"], rel=1e-9)
    assert summary["inner_bound_eur"] == pytest.approx(summary["objective_eur"], rel=1e-6)
    ef_dir = optimizer.write(ef, tmp_path / "ef")
    assert {p.name for p in (tmp_path / "ph").iterdir()} >= \
        {p.name for p in ef_dir.iterdir() if p.suffix == ".csv"}


def calm_split_in_two():
    """The fractile case with its calm scenario as two of probability 0.25 each: the same
    optimum, and four scenarios to bundle in twos (calm + calm, mid + bad)."""
    tables = fractile_case()
    tables["scenarios"] = [{"scenario": "calm_a", "probability": 0.25},
                           {"scenario": "calm_b", "probability": 0.25}] + tables["scenarios"][1:]
    return tables


@pytest.mark.parametrize("bundle", [1, 2])
def test_cvar_goes_through_a_bounded_value_at_risk(tmp_path, bundle):
    """With weight 10 on CVaR_0.8 the optimal stock is 80 t (test_hand_optima), with each
    scenario a PH subproblem or two bundles of two."""
    path = study(tmp_path / "case", calm_split_in_two(),
                 risk={"measure": "cvar", "alpha": 0.8, "weight": 10.0})
    optimum = optimizer.solve(path).summary["objective_eur"]
    results = ph_solve(path, ranks=3, bundle_size=bundle)
    assert results.status == "optimal"
    assert optimum * (1 - 1e-9) <= results.summary["objective_eur"] <= optimum * (1 + GAP)
    assert results.summary["outer_bound_eur"] <= optimum * (1 + 1e-6)


def test_hub_only_bounds_by_the_bundles_alone_and_reports_the_plan_closest_to_consensus(
        tmp_path):
    """PH on one rank, no spokes, bundles (calm_a + calm_b) and (mid + bad). Its outer bound is
    the bundles solved alone: calm needs no stock, 10,000; mid + bad (probabilities 0.6 and
    0.4 within the bundle) stock the 80 t gap since P(g > 40) = 0.4 > 1/3: fill 8,000 +
    holding 24,000 + 0.6 * (6,000 - 4,000 stock left) + 0.4 * 2,000 = 34,000; 0.5 * 10,000 +
    0.5 * 34,000 = 22,000. The plan reported is a bundle's (XhatClosest), read back at its
    cost in the extensive form: after PH's 200 iterations (no inner bound stops it early)
    the bundles agree on the 40 t stock of the 29,200 optimum."""
    path = study(tmp_path / "case", calm_split_in_two())
    optimum = optimizer.solve(path).summary["objective_eur"]
    results = ph_solve(path, ranks=1, bundle_size=2, hub_only=True)
    summary = results.summary
    assert summary["hub_only"] and summary["outer_bound_eur"] == pytest.approx(22000.0)
    assert optimum * (1 - 1e-9) <= summary["objective_eur"] <= optimum * (1 + GAP)
    assert summary["inner_bound_eur"] == pytest.approx(summary["objective_eur"], rel=1e-6)
    assert summary["status"] == "feasible"          # 25% above the bound: PH cannot tell
    assert summary["mip_gap"] == pytest.approx(1 - 22000.0 / summary["objective_eur"])


def test_the_lean_solver_finds_what_highs_finds_and_keeps_no_copy_between_solves(tmp_path):
    """--hub-only's subproblem solver (lean_highs): same optimum and values as Pyomo's highs,
    loaded from the results as mpi-sppy loads them, twice, with no HiGHS model held after."""
    case = load_case(load_study(study(tmp_path / "case")))
    solved = {}
    for name in ("highs", NAME):
        model, solver = build_model(case), pyo.SolverFactory(name)
        for _ in range(2):
            results = solver.solve(model, load_solutions=False)
            model.solutions.load_from(results)
            solved[name] = (pyo.value(model.total_cost), model.stock_capacity["x"].value)
        held = solver._solver_model is not None
        assert held == (name == "highs")
    assert solved[NAME] == pytest.approx(solved["highs"])


def test_a_rank_count_no_cylinder_layout_fits_is_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="--ranks 5"):
        ph_solve(study(tmp_path / "case"), ranks=5)
    result = CliRunner().invoke(main, ["solve", str(study(tmp_path / "cli")), "--engine",
                                       "mpisppy", "--ranks", "5", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "--ranks 5" in result.output    # a usage error
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("ranks, hub_only", [(12, False), (4, True)])
def test_more_ranks_a_cylinder_than_subproblems_are_refused_before_any_work(
        tmp_path, ranks, hub_only):
    """Three scenarios, three subproblems: 12 ranks are three cylinders of 4, and 4 hub-only
    ranks one cylinder of 4."""
    with pytest.raises(ValueError, match="subproblems"):
        ph_solve(study(tmp_path / "case"), ranks=ranks, hub_only=hub_only)


@pytest.mark.parametrize("size", [2, 3])
def test_bundles_that_do_not_divide_the_scenarios_or_make_one_are_refused_before_any_work(
        tmp_path, size):
    with pytest.raises(ValueError, match=f"--bundle-size {size}"):
        ph_solve(study(tmp_path / "case"), ranks=3, bundle_size=size)


def processes_naming(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode(errors="replace"):
                found.append(cmdline.parent.name)
        except OSError:                                   # gone meanwhile
            pass
    return found


def test_ctrl_c_stops_the_ranks_and_leaves_nothing(slow_study, tmp_path):
    proc = start(tmp_path, "solve", str(slow_study), "--engine", "mpisppy", "--ranks", "2")
    scratch = tmp_path / "tmp"                            # the ranks' files were in there
    try:
        # 1 s after PH starts: the ranks build their scenarios
        assert stop_after(proc, "PH on 2 ranks", 1, signal.SIGINT)[0] == 130
    except BaseException:              # ranks a failed stop leaves would slow every later test
        for pid in processes_naming(str(scratch)):
            os.kill(int(pid), signal.SIGKILL)
        raise
    for _ in range(20):                                   # SIGKILLed ranks take a moment
        if not processes_naming(str(scratch)):
            break
        time.sleep(0.1)
    assert processes_naming(str(scratch)) == []
    assert list(scratch.iterdir()) == [] and list((tmp_path / "results").iterdir()) == []
