"""Issue 14: every bad file, number or study key is an input error in the planner's words
(exit 2, the file and row named, nothing written), and what is allowed but probably a slip
is a warning. Each test spoils one real copy of the tiny dataset."""
from __future__ import annotations

import codecs
import logging
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import optimizer
from conftest import ROOT, TINY
from optimizer.cli import main
from optimizer.report.excel import export_dataset

LIBRARY = re.compile(r"Traceback|np\.float64|Extra inputs|Input should|codec can't|No columns to "
                     r"parse|tokenizing|zip file|trying to merge|KeyError|errors\.pydantic")


@pytest.fixture
def tiny(tmp_path) -> Path:
    """A copy of the tiny study and its dataset (tmp_path/study.yaml, tmp_path/data)."""
    shutil.copytree(ROOT / "inputs" / "tiny", tmp_path / "data")
    (tmp_path / "study.yaml").write_text(TINY.read_text().replace("../inputs/tiny", "data"))
    return tmp_path


def refused(folder: Path, *named: str) -> list[str]:
    """Run `crmplan solve`; assert exit 2, every string in `named` on stderr, no library
    text, nothing written. The problem lines."""
    result = CliRunner().invoke(main, ["solve", str(folder / "study.yaml"),
                                       "--out", str(folder / "out")])
    assert result.exit_code == 2, result.output
    assert not LIBRARY.search(result.stderr), result.stderr
    for text in named:
        assert text in result.stderr, result.stderr
    assert not (folder / "out").exists()
    return [line for line in result.stderr.splitlines() if line.startswith("  - ")]


def edit(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / "data" / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


# 2. Every read failure is an input error, named where it is, without a cascade

def test_an_empty_file_is_named(tiny):
    (tiny / "data" / "sources.csv").write_bytes(b"")
    assert refused(tiny, "sources.csv", "the file is empty") == [
        "  - sources.csv: expected a header row naming the columns; the file is empty"]


def test_a_header_only_demand_is_refused_not_solved(tiny):
    (tiny / "data" / "demand.csv").write_text("material,year,demand_t\n")
    assert len(refused(tiny, "demand.csv", "only its header")) == 1


def test_header_only_facilities_and_scrap_solve(tiny):
    for name in ("facilities", "recipes", "scrap"):
        path = tiny / "data" / f"{name}.csv"
        path.write_text(path.read_text().splitlines()[0] + "\n")
    results = optimizer.solve(tiny / "study.yaml")
    assert results.status == "optimal" and results.builds.empty


def test_bytes_that_are_not_utf8_are_named_with_their_line(tiny):
    path = tiny / "data" / "countries.csv"
    path.write_bytes(path.read_bytes().replace(b"France", "Fran\u00e7e".encode("latin-1")))
    lines = refused(tiny, "countries.csv, row 5", "byte 0xe7", "not UTF-8")
    assert len(lines) == 1


def test_a_utf16_file_is_named_as_such(tiny):
    path = tiny / "data" / "scenarios.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + path.read_text().encode("utf-16-le"))
    refused(tiny, "scenarios.csv", "UTF-16")


def test_a_utf8_bom_and_crlf_line_ends_are_read(tiny, tiny_results):
    path = tiny / "data" / "sources.csv"
    path.write_bytes(codecs.BOM_UTF8 + path.read_bytes().replace(b"\n", b"\r\n"))
    assert optimizer.solve(tiny / "study.yaml").summary["objective_eur"] == pytest.approx(
        tiny_results.summary["objective_eur"], rel=1e-9)


@pytest.mark.parametrize("file, old, new, row, fields, hint", [
    ("demand.csv", "ndfeb_magnet,2026,3000", "ndfeb_magnet,2026,3,000", 12, "has 4", "3,000"),
    ("sources.csv", "magnet_jp,ndfeb_magnet,jp,80000,1200,1.3",
     "magnet_jp,ndfeb_magnet,jp,80000,1200,1,3", 5, "has 7", "1.5"),
    ("countries.csv", "cn,China,false,3.1", "cn,China,false,3.1,", 2, "has 5", "trailing comma"),
    ("facilities.csv", ",3,2,1,2026,20,60,150", ",3,2,1,2026,20,60", 2, "has 14", "missing"),
])
def test_a_row_with_the_wrong_number_of_fields_is_the_only_problem(tiny, file, old, new, row,
                                                                   fields, hint):
    edit(tiny, file, old, new)
    lines = refused(tiny, f"{file}, row {row}", fields, hint)
    assert len(lines) == 1, lines   # no other row, file or cross-check blamed


def test_an_unclosed_quote_is_named(tiny):
    edit(tiny, "scenarios.csv", "calm,0.8", '"calm,0.8')
    refused(tiny, "scenarios.csv", "quote")


def test_a_file_that_is_not_a_workbook_is_named(tiny):
    shutil.copy(tiny / "data" / "demand.csv", tiny / "data.xlsx")
    (tiny / "study.yaml").write_text(TINY.read_text().replace("../inputs/tiny", "data.xlsx"))
    assert len(refused(tiny, "data.xlsx", "an Excel workbook", "not one")) == 1


@pytest.mark.parametrize("inputs, says", [("nowhere", "does not exist"),
                                          ("data/demand.csv", "a file of another kind")])
def test_inputs_that_are_not_a_dataset_are_named_in_the_study(tiny, inputs, says):
    (tiny / "study.yaml").write_text(TINY.read_text().replace("../inputs/tiny", inputs))
    assert len(refused(tiny, "study.yaml", "key inputs", says)) == 1


# 3. Numbers HiGHS cannot take

@pytest.mark.parametrize("file, column, old, new, expected", [
    ("sources.csv", "price_eur_per_t", "ndpr_cn,ndpr_oxide,cn,60000", "ndpr_cn,ndpr_oxide,cn,inf",
     "a finite number"),
    ("sources.csv", "price_eur_per_t", "ndpr_cn,ndpr_oxide,cn,60000",
     "ndpr_cn,ndpr_oxide,cn,1e308", "a number from 0 to 1e9 EUR/t"),
    ("demand.csv", "demand_t", "ndpr_oxide,2026,400", "ndpr_oxide,2026,2e8",
     "a number from 0 to 1e8 t"),
    ("materials.csv", "max_stock_t", "6000,500,0,", "6000,500,0,inf", "blank for no limit"),
    ("disruptions.csv", "price_multiplier", "0.1,3", "0.1,NaN", "a finite number"),
    ("facilities.csv", "capex_eur_per_unit", "120000000", "1.2e13",
     "a number from 0 to 1e12 EUR/unit"),
    ("demand.csv", "year", "ndpr_oxide,2026,400", "ndpr_oxide,1e308,400",
     "a year from 1900 to 2200"),
])
def test_numbers_outside_the_documented_range_are_refused(tiny, file, column, old, new,
                                                          expected):
    edit(tiny, file, old, new)
    lines = refused(tiny, file, f"column {column}", expected)
    assert len(lines) == 1, lines


def test_numbers_at_the_edge_of_the_range_still_solve(tiny):
    """Demand, capacity and prices at their documented maxima: HiGHS gets a full model."""
    for file, old, new in [("demand.csv", ",400\n", ",1e8\n"),
                           ("sources.csv", ",60000,6000,", ",1e8,1e8,"),
                           ("materials.csv", ",400000,", ",1e9,")]:
        edit(tiny, file, old, new)
    results = optimizer.solve(tiny / "study.yaml")
    assert results.status == "optimal"
    flows = results.flows
    bought = flows[(flows["material"] == "ndpr_oxide") & (flows["year"] == 2026)
                   & flows["flow"].isin(["contract", "spot"]) & (flows["scenario"] == "calm")]
    assert bought["t"].sum() == pytest.approx(1e8, abs=650)   # EU plants make at most 650 t


def test_a_non_finite_study_number_is_refused(tiny):
    with open(tiny / "study.yaml", "a") as study:
        study.write("policy: {budget_eur: .inf}\n")
    refused(tiny, "key policy.budget_eur", "a finite number")


# 6. No silent acceptance

def test_a_study_key_given_twice_is_refused_with_both_lines(tiny):
    with open(tiny / "study.yaml", "a") as study:
        study.write("discount_rate: 0.1\n")
    [line] = refused(tiny)
    assert line.endswith("study.yaml, line 9, key discount_rate: expected each key once in a "
                         "mapping; discount_rate is first given on line 6")


def test_a_formula_without_a_saved_value_is_named_by_sheet_and_cell(tiny):
    book_path = export_dataset(tiny / "data", tiny / "data.xlsx")
    book = load_workbook(book_path)
    book["demand"]["C3"] = "=416*1"       # openpyxl saves a formula with no cached result
    book.save(book_path)
    (tiny / "study.yaml").write_text(TINY.read_text().replace("../inputs/tiny", "data.xlsx"))
    lines = refused(tiny, "data.xlsx, sheet demand, row 3, column demand_t", "cell C3",
                    "open the workbook in Excel and save it")
    assert len(lines) == 1


def test_allowed_slips_are_warned_about(tiny, caplog, monkeypatch):
    edit(tiny, "disruptions.csv", "2029,2030", "2040,2041")
    edit(tiny, "facilities.csv", "ndfeb_magnet,2000,90000000,5000000,22000,2,",
         "ndfeb_magnet,2000,90000000,5000000,22000,12,")
    path = tiny / "study.yaml"
    path.write_text(path.read_text().replace("threads: 1", "threads: 4"))
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    with caplog.at_level(logging.WARNING):
        optimizer.load_case(optimizer.load_study(path))
    text = caplog.text
    assert "disruptions.csv, row 2: years 2040-2041 lie wholly outside the horizon" in text
    assert "facilities.csv, row 3: lead time 12 years" in text
    assert "solver.threads 4 is more than this machine's 2 cores" in text
    assert "every demand" not in text


def test_all_zero_demand_is_warned_about(tiny, caplog):
    path = tiny / "data" / "demand.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0]] + [line.rsplit(",", 1)[0] + ",0"
                                            for line in lines[1:]]) + "\n")
    with caplog.at_level(logging.WARNING):
        optimizer.load_case(optimizer.load_study(tiny / "study.yaml"))
    assert "demand.csv: every demand in 2026-2035 is 0" in caplog.text


# 7. Messages in the planner's words

def test_a_misspelt_study_key_gets_a_suggestion_not_library_text(tiny):
    with open(tiny / "study.yaml", "a") as study:
        study.write("policy: {max_country_shar: 0.65}\nrisk2: {alpha: 1.5}\n")
    path = tiny / "study.yaml"
    path.write_text(path.read_text().replace("measure: expected", "measure: expectd"))
    lines = refused(tiny, "did you mean 'max_country_share'?", "did you mean 'expected'?",
                    "key risk2", "did you mean 'risk'?")
    assert len(lines) == 3


def test_a_misspelt_id_is_said_once_with_a_suggestion_and_no_year_cascade(tiny):
    edit(tiny, "demand.csv", "ndpr_oxide,2027,416", "ndpr_oxid,2027,416")
    lines = refused(tiny, "demand.csv, row 3, column material", "'ndpr_oxid' is not one",
                    "did you mean 'ndpr_oxide'?")
    assert lines[1:] == ["  - demand.csv, column year: expected a demand row for ndpr_oxide in "
                         "every horizon year 2026-2035; 2027 is missing"]


def test_a_misspelt_material_definition_is_said_once_per_file(tiny):
    edit(tiny, "materials.csv", "ndpr_oxide,NdPr", "ndpr_oxid,NdPr")
    lines = refused(tiny, "demand.csv, row 2, column material", "the same on rows 3-11",
                    "did you mean 'ndpr_oxid'?")
    assert len(lines) == 4   # demand, sources, facilities, recipes: one line each


def test_values_are_shown_as_written_and_missing_ones_said_missing(tiny):
    edit(tiny, "scenarios.csv", "calm,0.8", "calm,0.7")
    edit(tiny, "sources.csv", "ndpr_au,ndpr_oxide,au,72000", "ndpr_au,ndpr_oxide,au,")
    lines = refused(tiny, "(got 0.9)", "the cell is empty")
    assert not any("np." in line for line in lines)


def test_a_misspelt_column_is_said_once_and_checks_that_need_it_wait(tiny):
    edit(tiny, "materials.csv", "stage,", "stag,")
    edit(tiny, "facilities.csv", "facility,", "facilty,")
    lines = refused(tiny, "did you mean 'stage'?", "did you mean 'facility'?")
    assert len(lines) == 4   # per file: the column missing, the unknown one; no scrap or
    #                          recipe row blamed for the missing stages and facility ids


def test_the_fault_harness_classes_a_refusal_an_acceptance_and_a_warning(monkeypatch):
    """benchmarks/input_faults.py, whose counts go into the issue: each class as it should be."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import input_faults

    faults = {f.name: f for f in input_faults.faults()}
    assert len(faults) == len(input_faults.faults()) >= 100   # names are unique
    for name, outcome in [("demand.csv: unquoted 3,000", "refused, file named"),
                          ("sources.csv: UTF-8 BOM", "accepted"),
                          ("demand.csv: all zero", "warned")]:
        assert input_faults.run(faults[name], input_faults.in_process)[0] == outcome, name
