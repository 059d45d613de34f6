"""Backtests: a replay whose volumes are known by hand, the competition share read when the
materials table has it, bad observed data reported, and `crmplan backtest` on the replays of
models/backtest with one event-year's accessible volume re-derived from its case."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from optimizer.analysis.backtest import (RECORDED, accessible_volume, backtest, read_observed,
                                         replay, replay_studies)
from optimizer.case import build_case, load_case
from optimizer.cli import main
from optimizer.data import read_tables
from optimizer.errors import InputError
from optimizer.schema import TABLES, provenance_column
from optimizer.study import load_study

ROOT = Path(__file__).resolve().parents[1]

REPLAY_FILES = {
    "materials.csv": "material,name,stage,shortage_cost_eur_per_t,holding_cost_eur_per_t_yr\n"
                     "x,X metal,refined,1000,1\n",
    "demand.csv": "material,year,demand_t\nx,2020,100\nx,2021,100\n",
    "countries.csv": "country,name,eu\ncn,China,false\nau,Australia,false\n",
    "sources.csv": "source,material,country,price_eur_per_t,capacity_t_per_yr,spot_premium\n"
                   "x_cn,x,cn,10,80,1.2\nx_au,x,au,12,40,1.2\n",
    "facilities.csv": "facility,kind,country,output,capacity_t_per_yr,capex_eur_per_unit,"
                      "fixed_opex_eur_per_unit_yr,variable_cost_eur_per_t,lead_time_yr\n",
    "recipes.csv": "facility,input,t_per_t_output\n",
    "scrap.csv": "material,year,available_t\n",
    "scenarios.csv": "scenario,probability\nrecorded,1\n",
    "disruptions.csv": "scenario,material,country,year_from,year_to,available_share,"
                       "price_multiplier\nrecorded,x,cn,2021,2021,0.25,3\n",
    "observed.csv": "material,year,eu_imports_t,source\nx,2020,80,obs\nx,2021,50,obs\n",
}


def write_replay(folder: Path, **changes: str) -> Path:
    """A two-year replay: demand 100 t; China 80 t at 10 EUR/t, Australia 40 t at 12; China
    cut to 25% in 2021 with spot prices x3. Returns its study file."""
    data = folder / "inputs"
    data.mkdir()
    for name, text in {**REPLAY_FILES, **changes}.items():
        (data / name).write_text(text)
    study = folder / "event.yaml"
    study.write_text("name: event\ninputs: inputs\nhorizon: {start: 2020, end: 2021}\n"
                     "solver: {mip_rel_gap: 0, threads: 1}\n")
    return study


def test_hand_replay(tmp_path):
    """Before the event the EU contracts 80 t from China and 20 from Australia (cheapest
    first). In 2021 China ships 25% of 80 = 20 t; Australia has 40 - 20 = 20 t spare, bought
    spot at 12 x 1.2 x 3 = 43.2 EUR/t < 1000: accessible 20 + 40 = 60 = imports, shortfall
    100 - 60 = 40, ratio 60 / 50 = 1.2. In 2020 accessible is every capacity, 120 t, and
    the EU imports its demand, 100 t: against 80 t observed, 1.5 (outside 30%) and 1.25."""
    table = replay(load_case(load_study(write_replay(tmp_path)))).set_index("year")
    assert table.at[2021, "accessible_t"] == pytest.approx(60)
    assert table.at[2021, "imports_t"] == pytest.approx(60)
    assert table.at[2021, "shortfall_t"] == pytest.approx(40)
    assert table.at[2021, "ratio"] == pytest.approx(1.2)
    assert table.at[2021, "imports_ratio"] == pytest.approx(1.2)
    assert bool(table.at[2021, "within_30pct"])
    assert table.at[2020, "accessible_t"] == pytest.approx(120)
    assert table.at[2020, "imports_t"] == pytest.approx(100)
    assert table.at[2020, "shortfall_t"] == pytest.approx(0)
    assert table.at[2020, "ratio"] == pytest.approx(1.5)
    assert table.at[2020, "imports_ratio"] == pytest.approx(1.25)
    assert not bool(table.at[2020, "within_30pct"])


def test_competition_share_is_read_when_present(tmp_path):
    """With eu_import_share 0.5 and 20 t of Australia contracted, Australia's accessible
    volume in the cut year is 20 + 0.5 x (40 - 20) = 30, China's 0.25 x 80 = 20."""
    tables, _, problems = read_tables(write_replay(tmp_path).parent / "inputs")
    assert not problems
    tables["materials"]["eu_import_share"] = 0.5
    case = build_case(tables, load_study(tmp_path / "event.yaml"))
    contracts = {("x_cn", 2020): 80.0, ("x_cn", 2021): 80.0, ("x_au", 2020): 20.0,
                 ("x_au", 2021): 20.0}
    accessible = accessible_volume(case, contracts, RECORDED)
    assert accessible["x", 2021] == pytest.approx(20 + 30)
    assert accessible["x", 2020] == pytest.approx(120)      # nobody cut: every capacity


def test_bad_observed_reported_together(tmp_path):
    study = write_replay(tmp_path, **{"observed.csv": "material,year,eu_imports_t,source\n"
                                      "y,2020,10,obs\nx,2030,-1,\n"})
    with pytest.raises(InputError) as err:
        read_observed(load_case(load_study(study)))
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(2, "material"), (3, "year"), (3, "eu_imports_t"), (3, "source")}


def test_cli_backtest_on_the_replays(tmp_path):
    """Every replay runs; each event-year's ratio is its accessible volume over the observed
    imports; the antimony ban's 2025 accessible volume re-derived from its case by hand:
    the share left to each source times its capacity (all non-Chinese sources uncut)."""
    out = tmp_path / "bt"
    result = CliRunner().invoke(main, ["backtest", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "backtest.csv")
    assert set(table["event"]) == {p.stem for p in replay_studies(ROOT / "models" / "backtest")}
    seen = table.dropna(subset=["observed_t"])
    assert len(seen) >= 3
    assert (seen["ratio"] - seen["accessible_t"] / seen["observed_t"]).abs().max() < 1e-9
    case = load_case(load_study(ROOT / "models" / "backtest" / "antimony_2024.yaml"))
    share = case.availability.xs((2025, RECORDED), level=("year", "scenario"))
    by_hand = sum(share[s] * case.sources.at[s, "capacity_t_per_yr"] for s in case.sources.index)
    row = table[(table["event"] == "antimony_2024") & (table["year"] == 2025)].iloc[0]
    assert row["accessible_t"] == pytest.approx(by_hand)
    assert row["imports_t"] <= row["accessible_t"] + 1e-6
    assert row["shortfall_t"] == pytest.approx(row["demand_t"] - row["imports_t"], abs=1e-6)


def test_backtest_reports_every_replay_problem(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_replay(tmp_path / "a",
                         **{"observed.csv": "material,year,eu_imports_t,source\ny,2020,1,o\n"})
    second = write_replay(tmp_path / "b", **{"observed.csv": "material,year,source\n"})
    with pytest.raises(InputError) as err:
        backtest([first, second])
    assert {p.column for p in err.value.problems} == {"material", "eu_imports_t"}


def listed_sources(folder: Path) -> dict[str, str]:
    """{id: kind} of the table of a SOURCES.md whose header starts with `| id | kind |`."""
    lines = (folder / "SOURCES.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\|\s*id\s*\|\s*kind\s*\|", line))
    kinds = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        kinds[cells[0]] = cells[1]
    return kinds


@pytest.mark.parametrize("folder", sorted((ROOT / "inputs" / "backtest").iterdir()),
                         ids=lambda p: p.name)
def test_replay_rows_name_listed_sources(folder):
    """Every row of every table and of observed.csv names ids of its SOURCES.md, and an id
    is an estimate exactly when it starts with est-."""
    kinds = listed_sources(folder)
    assert {i for i, k in kinds.items() if k == "estimate"} == \
        {i for i in kinds if i.startswith("est-")}
    files = {t.file: provenance_column(name) for name, t in TABLES.items()}
    files["observed.csv"] = "source"
    missing = []
    for file, column in files.items():
        if not (folder / file).exists():
            continue
        frame = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
        for row, cell in frame[column].items():
            ids = [i.strip() for i in cell.split(";") if i.strip()]
            missing += [f"{file} row {row + 2}: {i or 'no source'}"
                        for i in ids or [""] if i not in kinds]
    assert not missing, "\n".join(missing)


def test_cli_bad_replay_exits_2_and_writes_nothing(tmp_path):
    study = write_replay(tmp_path, **{"observed.csv": "material,year,eu_imports_t,source\n"
                                      "x,2020,lots,obs\n"})
    out = tmp_path / "bt"
    result = CliRunner().invoke(main, ["backtest", str(study), "--out", str(out)])
    assert result.exit_code == 2
    assert "observed.csv, row 2, column eu_imports_t" in result.output
    assert not out.exists()
