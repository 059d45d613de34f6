"""Excel in and out: a dataset as one workbook, the template, and bad cells reported by sheet."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

import optimizer
from conftest import ROOT, TINY
from optimizer.cli import main
from optimizer.data import read_tables
from optimizer.report.excel import export_dataset, write_template
from optimizer.report.writer import OutputExists
from optimizer.schema import TABLES

DATASET = ROOT / "inputs" / "tiny"


def study_on(tmp_path: Path, inputs: Path) -> Path:
    study = yaml.safe_load(TINY.read_text())
    study["inputs"] = str(inputs)
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


def test_exported_dataset_solves_to_the_same_objective(tiny_results, tmp_path):
    book = export_dataset(DATASET, tmp_path / "tiny.xlsx")
    results = optimizer.solve(study_on(tmp_path, book))
    assert results.status == "optimal"
    assert results.summary["objective_eur"] == pytest.approx(
        tiny_results.summary["objective_eur"], rel=1e-9)
    assert results.builds.equals(tiny_results.builds)


def test_exported_cells_are_typed_and_read_back_as_in_the_csv(tmp_path):
    book = export_dataset(DATASET, tmp_path / "tiny.xlsx")
    sheet = load_workbook(book)["facilities"]
    assert sheet["E2"].value == 500 and sheet["A1"].comment.text.startswith("facility")
    csv, _, csv_problems = read_tables(DATASET)
    xlsx, where, xlsx_problems = read_tables(book)
    assert csv_problems == xlsx_problems == []
    assert where["demand"] == "tiny.xlsx, sheet demand"
    for name in TABLES:
        pd.testing.assert_frame_equal(csv[name], xlsx[name], check_dtype=False)


def test_a_filled_template_reads_back_cleanly(tiny_results, tmp_path):
    template = write_template(tmp_path / "template.xlsx")
    book = load_workbook(template)
    assert book.sheetnames[0] == "readme" and set(TABLES) <= set(book.sheetnames)
    for name, table in TABLES.items():
        header = [c.value for c in book[name][1]]
        assert header[:len(table.columns)] == [c.name for c in table.columns]
        assert book[name]["A1"].comment is not None
        assert book[name].max_row == 1                     # headers only: nothing to skip
        frame = pd.read_csv(DATASET / f"{name}.csv", dtype=str, keep_default_na=False)
        for row in frame.itertuples(index=False):          # fill as a planner would type
            values = dict(zip(frame.columns, row))
            book[name].append([_as_typed(values.get(h, "")) for h in header])
    book.save(template)
    results = optimizer.solve(study_on(tmp_path, template))
    assert results.summary["objective_eur"] == pytest.approx(
        tiny_results.summary["objective_eur"], rel=1e-9)


def _as_typed(text: str):
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return {"true": True, "false": False}.get(text, text)


def test_bad_cells_are_reported_by_sheet_row_and_column_all_at_once(tmp_path):
    path = export_dataset(DATASET, tmp_path / "bad.xlsx")
    book = load_workbook(path)
    book["sources"]["D3"] = "cheap"                 # price_eur_per_t of ndpr_au, not a number
    book["materials"]["C2"] = "liquid"              # stage: not a choice
    book["facilities"]["I3"] = 1.5                  # lead_time_yr: not an integer
    book["scenarios"]["B2"] = -0.2                  # probability below 0
    book["demand"].insert_rows(4)                   # a blank row: later rows keep their numbers
    book["demand"]["C6"] = None                     # demand_t missing
    book["countries"]["E1"] = "population"          # a column no table has
    book.save(path)
    with pytest.raises(optimizer.InputError) as error:
        optimizer.load_case(optimizer.load_study(study_on(tmp_path, path)))
    found = {(p.file, p.row, p.column) for p in error.value.problems}
    assert {("bad.xlsx, sheet sources", 3, "price_eur_per_t"),
            ("bad.xlsx, sheet materials", 2, "stage"),
            ("bad.xlsx, sheet facilities", 3, "lead_time_yr"),
            ("bad.xlsx, sheet scenarios", 2, "probability"),
            ("bad.xlsx, sheet demand", 6, "demand_t"),
            ("bad.xlsx, sheet countries", 1, "population")} <= found
    assert "bad.xlsx, sheet sources, row 3, column price_eur_per_t: expected a number " \
           "(got 'cheap')" in str(error.value)


def test_cli_exports_and_never_overwrites(tmp_path, monkeypatch):
    runner = CliRunner()
    target = tmp_path / "tiny.xlsx"
    result = runner.invoke(main, ["export-dataset", str(DATASET), str(target), "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["export-dataset", str(DATASET), str(target), "-q"])
    assert result.exit_code == 2 and "exists" in result.output
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["export-template", "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "crmplan-template.xlsx").is_file()
    with pytest.raises(OutputExists):
        write_template(target)


def test_template_units_read_back_as_each_column_means(tmp_path):
    """Every column's unit as the template shows it (header comment and readme sheet): money
    per tonne in EUR/t (not [t]), per year /yr, shares as fractions, tonnes in t."""
    import re

    from openpyxl import load_workbook

    from optimizer.report.excel import write_template
    from optimizer.schema import TABLES

    book = load_workbook(write_template(tmp_path / "template.xlsx"))
    readme = {(r[0], r[1]): r[2] or "" for r in book["readme"].iter_rows(min_row=4,
                                                                          values_only=True)}
    expected = {"price_eur_per_t": "EUR/t", "shortage_cost_eur_per_t": "EUR/t",
                "stockpile_capex_eur_per_t": "EUR/t", "holding_cost_eur_per_t_yr": "EUR/(t·yr)",
                "ramp_share_per_yr": "fraction/yr", "capacity_t_per_yr": "t/yr",
                "demand_t": "t", "t_per_t_output": "t/t", "capex_eur_per_unit": "EUR/unit",
                "available_share": "fraction", "lead_time_yr": "yr", "capex_eur": "EUR"}
    seen = set()
    for table in TABLES.values():
        sheet = book[table.name]
        for cell in sheet[1]:
            if cell.value is None or cell.value not in {c.name for c in table.columns}:
                continue
            found = re.match(rf"{re.escape(cell.value)}(?: \[(.+)\])?\n", cell.comment.text)
            unit = found.group(1) or ""
            assert unit == readme[(table.name, cell.value)], (table.name, cell.value)
            name = cell.value
            if "_eur" in name:
                assert unit.startswith("EUR"), (name, unit)
            if "_per_t" in name and name.startswith(("price", "cost", "shortage", "stockpile")):
                assert unit.startswith("EUR/"), (name, unit)
            if name.endswith("_share"):
                assert unit == "fraction", (name, unit)
            if name.endswith("_t") and not name.endswith("_per_t"):
                assert unit == "t", (name, unit)
            if name.endswith("_per_yr"):
                assert unit.endswith("/yr") or unit.endswith("yr)"), (name, unit)
            if name in expected:
                assert unit == expected[name], (name, unit)
                seen.add(name)
    assert seen == set(expected)
