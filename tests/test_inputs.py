"""Bad input: every problem reported at once, with file, row and column; exit 2; nothing written."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import optimizer
from optimizer.cli import main
from conftest import TINY


@pytest.fixture
def broken(tmp_path) -> Path:
    """The tiny dataset with one fault in each of six files."""
    data = tmp_path / "data"
    shutil.copytree(TINY.parent.parent / "inputs" / "tiny", data)

    def edit(name, row, column, value):
        frame = pd.read_csv(data / f"{name}.csv", dtype=str, keep_default_na=False)
        if column is None:
            frame = frame.drop(index=row)
        else:
            frame.loc[row, column] = value
        frame.to_csv(data / f"{name}.csv", index=False)

    edit("sources", 1, "price_eur_per_t", "-5")
    edit("facilities", 0, "country", "atlantis")
    edit("scenarios", 0, "probability", "0.7")
    edit("recipes", 0, "input", "ndfeb_magnet")
    edit("disruptions", 0, "available_share", "1.5")
    edit("demand", 3, None, None)
    study = yaml.safe_load(TINY.read_text())
    study["inputs"] = "data"
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(study))
    return tmp_path / "study.yaml"


EXPECTED = [  # (file, row, column) of each fault planted above
    ("sources.csv", 3, "price_eur_per_t"),
    ("facilities.csv", 2, "country"),
    ("scenarios.csv", None, "probability"),
    ("recipes.csv", 2, "input"),
    ("disruptions.csv", 2, "available_share"),
    ("demand.csv", None, "year"),
]


def test_every_fault_is_reported_together(broken):
    with pytest.raises(optimizer.InputError) as info:
        optimizer.solve(broken)
    found = {(p.file, p.row, p.column) for p in info.value.problems}
    assert set(EXPECTED) <= found
    assert len(info.value.problems) == len(EXPECTED)
    text = str(info.value)
    assert "ndpr_oxide in every horizon year" in text and "-5" in text


@pytest.mark.parametrize("command", ["solve", "validate"])
def test_bad_input_exits_2_and_writes_nothing(broken, tmp_path, command, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [command, str(broken)] + (["--out", str(tmp_path / "out")] if command == "solve" else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    for file, row, column in EXPECTED:
        assert file in result.stderr and column in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists()


def test_unknown_study_keys_are_rejected(tmp_path):
    study = yaml.safe_load(TINY.read_text())
    study["inputs"] = str(TINY.parent.parent / "inputs" / "tiny")
    study["policy"] = {"max_country_shares": 0.5}
    study["horizon"] = {"start": 2030, "end": 2026}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(study))
    with pytest.raises(optimizer.InputError) as info:
        optimizer.load_study(path)
    columns = {p.column for p in info.value.problems}
    assert "policy.max_country_shares" in columns and "horizon" in columns


def test_header_only_tables_and_absent_optional_tables_are_valid(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(TINY.parent.parent / "inputs" / "tiny", data)
    (data / "substitutes.csv").unlink()
    (data / "demand_shocks.csv").unlink()
    pd.read_csv(data / "disruptions.csv").iloc[0:0].to_csv(data / "disruptions.csv", index=False)
    study = yaml.safe_load(TINY.read_text())
    study["inputs"] = "data"
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(study))
    assert optimizer.solve(tmp_path / "s.yaml").status == "optimal"


def test_an_infeasible_study_exits_1_and_names_the_conflict(tmp_path):
    """Recycling cannot start before 2028 (2-year lead time), so a share from 2026 fails."""
    study = yaml.safe_load(TINY.read_text())
    study["inputs"] = str(TINY.parent.parent / "inputs" / "tiny")
    study["policy"] = {"min_recycling_share": 0.05}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(study))
    result = CliRunner().invoke(main, ["solve", str(tmp_path / "s.yaml"), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "policy.min_recycling_share for ndpr_oxide in 2026-2027" in result.stderr
    assert "lead time" in result.stderr
    conflicts = pd.read_csv(tmp_path / "out" / "conflicts.csv")
    assert set(conflicts["constraint"]) == {"recycling_share"}
    assert set(conflicts["year"]) == {2026, 2027}
