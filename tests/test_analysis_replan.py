"""Replanning: nothing changes when nothing is new; a shock in time changes course."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import optimizer
from conftest import TINY
from optimizer.analysis import plan_of, replan
from optimizer.analysis.held import HeldModel
from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.plan import Plan

YEAR = 2029


@pytest.fixture(scope="module")
def tiny():
    case = optimizer.load_case(optimizer.load_study(TINY))
    results = optimizer.solve_case(case)
    return case, results, Plan.of(results, case)


@pytest.fixture(scope="module")
def harsh_study(tmp_path_factory):
    """tiny, but the Chinese cut is total, lasts 2029-2033 and is as likely as calm."""
    folder = tmp_path_factory.mktemp("harsh")
    data = folder / "data"
    shutil.copytree(TINY.parent.parent / "inputs" / "tiny", data)
    pd.DataFrame({"scenario": ["calm", "cn_export_ban"], "probability": [0.5, 0.5]}).to_csv(
        data / "scenarios.csv", index=False)
    cut = pd.read_csv(data / "disruptions.csv").assign(year_to=2033, available_share=0.0)
    cut.to_csv(data / "disruptions.csv", index=False)
    study = yaml.safe_load(TINY.read_text()) | {"name": "harsh", "inputs": str(data)}
    path = folder / "harsh.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


@pytest.mark.parametrize("year", [2026, YEAR, 2035])
def test_replanning_under_the_same_assumptions_changes_nothing(tiny, year):
    case, results, plan = tiny
    again, changes = replan(case, plan, year)
    assert again.summary["objective_eur"] == pytest.approx(results.summary["objective_eur"],
                                                           rel=1e-4)
    if year > 2026:   # with everything before `year` held the optimum is the old plan
        assert changes.empty


def test_a_replan_sits_between_the_fresh_optimum_and_the_old_plan(tiny, harsh_study):
    """fresh ≤ replanned ≤ old plan held, under the harsh assumptions; the decisions before
    2029 are kept and later ones change."""
    _, _, plan = tiny
    harsh = optimizer.load_case(optimizer.load_study(harsh_study))
    fresh = optimizer.solve_case(harsh).summary["objective_eur"]
    results, changes = replan(harsh, plan, YEAR)
    held = HeldModel(harsh, plan).solve().objective
    assert fresh <= results.summary["objective_eur"] * (1 + 1e-4)
    assert results.summary["objective_eur"] <= held * (1 + 1e-9)
    assert held - results.summary["objective_eur"] > 1e6     # changing course is worth it
    assert not changes.empty and (changes["year"] >= YEAR).all()
    kept = Plan.of(results, harsh)["contract"]
    for (source, year), volume in plan["contract"].items():
        if year < YEAR:
            assert kept.get((source, year), 0.0) == pytest.approx(volume, abs=1e-6)


def test_cli_replan(tmp_path, harsh_study):
    run = tmp_path / "run"
    runner = CliRunner()
    assert runner.invoke(main, ["solve", str(TINY), "--out", str(run), "-q"]).exit_code == 0
    out = tmp_path / "replan"
    result = runner.invoke(main, ["replan", str(run), "--year", str(YEAR), "--study",
                                  str(harsh_study), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "plan" / "summary.json").is_file()
    assert (pd.read_csv(out / "replan.csv")["year"] >= YEAR).all()
    outside = runner.invoke(main, ["replan", str(run), "--year", "1999", "-q"])
    assert outside.exit_code == 2


def test_a_plan_read_back_from_its_run_folder_is_the_plan(tmp_path, harsh_study):
    """Contracts, builds, stock and the demand-side shares (recovered from the substitution
    flows) survive the round trip through the CSV files."""
    harsh = optimizer.load_case(optimizer.load_study(harsh_study))
    results = optimizer.solve_case(harsh)
    optimizer.write(results, tmp_path / "run")
    case, plan = plan_of(tmp_path / "run")
    in_memory = Plan.from_tables(results, harsh)
    assert any(v > 0 for v in in_memory["substitution_share"].values())
    for name, values in in_memory.items():
        assert plan[name] == pytest.approx(values, rel=1e-12), name
    assert HeldModel(case, plan).solve().objective == pytest.approx(
        results.summary["objective_eur"], rel=1e-9)


def test_a_plan_naming_what_the_study_lacks_is_an_input_error(tiny):
    case, _, plan = tiny
    with pytest.raises(InputError):
        replan(case, {**plan, "contract": {("nowhere_src", 2026): 5.0}}, YEAR)
