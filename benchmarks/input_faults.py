"""The mutation harness of issue 14: bad inputs and faults against the tiny study, through the CLI.

    python benchmarks/input_faults.py [--only WORD] [--in-process] [-v] [--write table.csv]

Each fault copies inputs/tiny and models/tiny.yaml into a temporary folder, spoils one thing
(a file's bytes, a row's fields, a cell, a study key, a workbook) and runs
`crmplan solve STUDY --out OUT -q` in a process of its own (or, with --in-process, through
click's test runner in this one). How the run ended is classed:

* `refused, file named`: exit 2, the spoilt file named on stderr, nothing written;
* `accepted`: exit 0 for a fault the planner may mean (a BOM, CRLF, a header-only optional
  table, a disruption outside the horizon); `warned` when a warning names the file or key;
* anything else is a failure: `refused, file not named`, `wrote output on exit 2`,
  `accepted silently` (a fault that should be refused ran), `library text` (a traceback or a
  library's own words on stderr) or `exit N`.

The counts per class are printed at the end (and every run with --write).
"""
from __future__ import annotations

import argparse
import codecs
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "inputs" / "tiny"
STUDY = (ROOT / "models" / "tiny.yaml").read_text().replace("../inputs/tiny", "data")
LIBRARY = ("Traceback", "np.float64", "Extra inputs are not permitted", "Input should be",
           "codec can't decode", "No columns to parse", "Error tokenizing", "not a zip file",
           "trying to merge", "KeyError", "has no attribute", "could not convert",
           "invalid literal", "pydantic", "errors.pydantic.dev", "Value error,", "NoneType")
CRMPLAN = [sys.executable, "-c", "from optimizer.cli import main; main()"]


@dataclass
class Fault:
    name: str
    spoil: Callable[[Path], None]     # edits the folder holding study.yaml and data/
    named: str                        # what stderr must name (a file, sheet or study key)
    expect: str = "refuse"            # refuse | accept | warn


def rows(folder: Path, file: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((folder / "data" / file).read_text())))


def write_rows(folder: Path, file: str, table: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(table)
    (folder / "data" / file).write_text(buffer.getvalue())


def cell(file: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    def spoil(folder: Path) -> None:
        table = rows(folder, file)
        table[row][table[0].index(column)] = value
        write_rows(folder, file, table)
    return spoil


def raw_text(file: str, edit: Callable[[str], str]) -> Callable[[Path], None]:
    def spoil(folder: Path) -> None:
        path = folder / "data" / file
        path.write_text(edit(path.read_text()))
    return spoil


def raw_bytes(file: str, edit: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def spoil(folder: Path) -> None:
        path = folder / "data" / file
        path.write_bytes(edit(path.read_bytes()))
    return spoil


def study(edit: Callable[[str], str]) -> Callable[[Path], None]:
    def spoil(folder: Path) -> None:
        (folder / "study.yaml").write_text(edit((folder / "study.yaml").read_text()))
    return spoil


def workbook(edit: Callable[[Path], None] | None = None) -> Callable[[Path], None]:
    """The dataset exported as data.xlsx (crmplan export-dataset), the study pointed at it."""
    def spoil(folder: Path) -> None:
        sys.path.insert(0, str(ROOT))
        from optimizer.report.excel import export_dataset
        export_dataset(folder / "data", folder / "data.xlsx")
        (folder / "study.yaml").write_text(STUDY.replace("inputs: data", "inputs: data.xlsx"))
        if edit:
            edit(folder / "data.xlsx")
    return spoil


def sheet_cell(sheet: str, ref: str, value) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        from openpyxl import load_workbook
        book = load_workbook(path)
        book[sheet][ref] = value
        book.save(path)
    return edit


def faults() -> list[Fault]:
    files = sorted(p.name for p in TINY.glob("*.csv"))
    optional = {"demand_shocks.csv", "substitutes.csv"}
    # facilities.csv may be header-only, but not while recipes.csv names its facilities
    header_only_ok = optional | {"scrap.csv", "disruptions.csv", "recipes.csv"}
    out: list[Fault] = []
    for f in files:
        has_rows = len(rows_of(f)) > 1
        out += [
            Fault(f"{f}: empty file", raw_bytes(f, lambda b: b""), f),
            Fault(f"{f}: header only", raw_text(f, lambda t: t.splitlines()[0] + "\n"), f,
                  "accept" if f in header_only_ok else "refuse"),
            Fault(f"{f}: deleted", lambda d, f=f: (d / "data" / f).unlink(), f,
                  "accept" if f in optional else "refuse"),
            Fault(f"{f}: UTF-16", raw_bytes(f, lambda b: codecs.BOM_UTF16_LE
                                            + b.decode().encode("utf-16-le")), f),
            Fault(f"{f}: a workbook saved as .csv", raw_bytes(f, lambda b: zipped(b)), f),
            Fault(f"{f}: UTF-8 BOM", raw_bytes(f, lambda b: codecs.BOM_UTF8 + b), f, "accept"),
            Fault(f"{f}: CRLF line ends", raw_text(f, lambda t: t.replace("\n", "\r\n")), f,
                  "accept"),
            Fault(f"{f}: first column renamed", raw_text(f, lambda t: "X" + t), f),
        ]
        if has_rows:
            out += [
                Fault(f"{f}: Latin-1 byte", raw_bytes(f, lambda b: latin1(b)), f),
                Fault(f"{f}: trailing comma on row 2", raw_text(f, lambda t: edit_line(
                    t, 1, lambda line: line + ",")), f),
                Fault(f"{f}: row 2 one field short", raw_text(f, lambda t: edit_line(
                    t, 1, lambda line: line.rsplit(",", 1)[0])), f),
                Fault(f"{f}: unclosed quote on row 2", raw_text(f, lambda t: edit_line(
                    t, 1, lambda line: '"' + line)), f),
                Fault(f"{f}: blank line between rows", raw_text(f, lambda t: edit_line(
                    t, 1, lambda line: line + "\n")), f, "accept"),
            ]
        for column in numeric_columns(f) if has_rows else ():
            for value in ("inf", "nan", "1e308", "-1"):
                out.append(Fault(f"{f}: {column} = {value}", cell(f, 1, column, value), f))
    out += [
        Fault("demand.csv: unquoted 3,000", raw_text("demand.csv", lambda t: t.replace(
            "ndfeb_magnet,2026,3000", "ndfeb_magnet,2026,3,000")), "demand.csv"),
        Fault("sources.csv: decimal comma", raw_text("sources.csv", lambda t: t.replace(
            ",1.3\n", ",1,3\n", 1)), "sources.csv"),
        Fault("demand.csv: quoted 3,000", cell("demand.csv", 11, "demand_t", "3,000"),
              "demand.csv"),
        Fault("demand.csv: misspelt material on one row", cell("demand.csv", 1, "material",
                                                               "ndpr_oxid"), "demand.csv"),
        Fault("materials.csv: misspelt material id", cell("materials.csv", 1, "material",
                                                          "ndpr_oxid"), "materials.csv"),
        Fault("sources.csv: unknown country", cell("sources.csv", 1, "country", "atlantis"),
              "sources.csv"),
        Fault("sources.csv: duplicate source id", cell("sources.csv", 2, "source", "ndpr_cn"),
              "sources.csv"),
        Fault("demand.csv: year missing", raw_text("demand.csv", lambda t: edit_line(
            t, 3, lambda line: "")), "demand.csv"),
        Fault("scenarios.csv: probabilities sum to 0.9", cell("scenarios.csv", 1, "probability",
                                                               "0.7"), "scenarios.csv"),
        Fault("materials.csv: stage misspelt", cell("materials.csv", 1, "stage", "refind"),
              "materials.csv"),
        Fault("countries.csv: eu = maybe", cell("countries.csv", 1, "eu", "maybe"),
              "countries.csv"),
        Fault("facilities.csv: lead time 12 years", cell("facilities.csv", 2, "lead_time_yr",
                                                         "12"), "facilities.csv", "warn"),
        Fault("disruptions.csv: years 2040-2041", raw_text("disruptions.csv", lambda t: t.replace(
            "2029,2030", "2040,2041")), "disruptions.csv", "warn"),
        Fault("demand.csv: all zero", all_zero_demand, "demand.csv", "warn"),
        Fault("data/sources.csv is a folder", folder_for("sources.csv"), "sources.csv"),
        Fault("stray file Sources.csv", lambda d: shutil.copy(d / "data" / "sources.csv",
                                                              d / "data" / "Sources.csv"),
              "Sources.csv", "warn"),
    ]
    out += [
        Fault("study: duplicate key", study(lambda t: t + "discount_rate: 0.1\n"),
              "discount_rate"),
        Fault("study: misspelt key", study(lambda t: t + "policy: {max_country_shar: 0.65}\n"),
              "max_country_shar"),
        Fault("study: budget .inf", study(lambda t: t + "policy: {budget_eur: .inf}\n"),
              "budget_eur"),
        Fault("study: discount .nan", study(lambda t: t.replace("discount_rate: 0.04",
                                                                "discount_rate: .nan")),
              "discount_rate"),
        Fault("study: negative share", study(lambda t: t + "policy: {max_country_share: -1}\n"),
              "max_country_share"),
        Fault("study: threads 512", study(lambda t: t.replace("threads: 1", "threads: 512")),
              "threads", "warn"),
        Fault("study: inputs missing folder", study(lambda t: t.replace("inputs: data",
                                                                        "inputs: nowhere")),
              "inputs"),
        Fault("study: inputs a CSV file", study(lambda t: t.replace(
            "inputs: data", "inputs: data/demand.csv")), "inputs"),
        Fault("study: horizon reversed", study(lambda t: t.replace(
            "{start: 2026, end: 2035}", "{start: 2035, end: 2026}")), "horizon"),
        Fault("study: horizon year as text", study(lambda t: t.replace(
            "start: 2026", "start: twenty")), "horizon.start"),
        Fault("study: no name", study(lambda t: t.replace("name: tiny\n", "")), "name"),
        Fault("study: YAML syntax", study(lambda t: t + "risk: {measure: cvar\n"), "study.yaml"),
        Fault("study: a list", study(lambda t: "- 1\n- 2\n"), "study.yaml"),
        Fault("study: empty file", study(lambda t: ""), "study.yaml"),
        Fault("study: Latin-1 bytes", lambda d: (d / "study.yaml").write_bytes(
            STUDY.replace("name: tiny", "name: tïny").encode("latin-1")), "study.yaml"),
        Fault("study: risk measure misspelt", study(lambda t: t.replace(
            "measure: expected", "measure: expectd")), "measure"),
        Fault("study: unknown limits country", study(lambda t: t + "policy: {limits: "
                                                     "{countries: [nll], land_ha: 10}}\n"),
              "nll"),
        Fault("workbook: as exported", workbook(), "data.xlsx", "accept"),
        Fault("workbook: a CSV renamed .xlsx", lambda d: (
            shutil.copy(d / "data" / "demand.csv", d / "data.xlsx"),
            (d / "study.yaml").write_text(STUDY.replace("inputs: data", "inputs: data.xlsx"))),
            "data.xlsx"),
        Fault("workbook: truncated", workbook(lambda p: p.write_bytes(p.read_bytes()[:2000])),
              "data.xlsx"),
        Fault("workbook: formula without a saved value", workbook(sheet_cell(
            "demand", "C2", "=400*1")), "C2"),
        Fault("workbook: text in a price cell", workbook(sheet_cell("sources", "D2", "cheap")),
              "sheet sources"),
        Fault("workbook: inf price", workbook(sheet_cell("sources", "D2", "inf")),
              "sheet sources"),
        Fault("workbook: sheet renamed", workbook(rename_sheet("demand", "demands")),
              "sheet demand"),
    ]
    return out


def rows_of(file: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((TINY / file).read_text())))


def numeric_columns(file: str) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from optimizer.schema import TABLES
    table = TABLES[file.removesuffix(".csv")]
    header = rows_of(file)[0]
    return [c.name for c in table.columns if c.kind in ("float", "int") and c.name in header]


def edit_line(text: str, index: int, edit: Callable[[str], str]) -> str:
    lines = text.split("\n")
    lines[index] = edit(lines[index])
    return "\n".join(lines)


def latin1(data: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[1] = lines[1].replace(b",", "\u00e9,".encode("latin-1"), 1)
    return b"\n".join(lines)


def zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sheet.csv", data)
    return buffer.getvalue()


def all_zero_demand(folder: Path) -> None:
    table = rows(folder, "demand.csv")
    write_rows(folder, "demand.csv", [table[0]] + [r[:2] + ["0"] for r in table[1:]])


def folder_for(file: str) -> Callable[[Path], None]:
    def spoil(folder: Path) -> None:
        (folder / "data" / file).unlink()
        (folder / "data" / file).mkdir()
    return spoil


def rename_sheet(old: str, new: str) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        from openpyxl import load_workbook
        book = load_workbook(path)
        book[old].title = new
        book.save(path)
    return edit


def in_process(folder: Path) -> tuple[int, str]:
    """`crmplan solve` through click's test runner: the same command, without a new Python."""
    import logging
    from click.testing import CliRunner
    from optimizer.cli import main as crmplan

    logging.getLogger().handlers.clear()      # each run logs to its own captured stderr
    result = CliRunner().invoke(crmplan, ["solve", str(folder / "study.yaml"), "--out",
                                          str(folder / "out"), "-q"])
    err = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        err += "Traceback: " + repr(result.exception)
    return result.exit_code, err


def in_subprocess(folder: Path) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([*CRMPLAN, "solve", "study.yaml", "--out", "out", "-q"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stderr


def run(fault: Fault, invoke: Callable[[Path], tuple[int, str]]) -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copytree(TINY, folder / "data")
        (folder / "study.yaml").write_text(STUDY)
        fault.spoil(folder)
        returncode, err = invoke(folder)
        wrote = (folder / "out").exists() or (folder / "results").exists()
    if any(phrase in err for phrase in LIBRARY):
        return "library text", err
    if returncode == 2:
        if wrote:
            return "wrote output on exit 2", err
        if fault.expect != "refuse":
            return "refused a valid input", err
        return ("refused, file named" if fault.named in err else "refused, file not named"), err
    if returncode == 0:
        if fault.expect == "refuse":
            return "accepted silently", err
        if fault.expect == "warn":
            return ("warned" if fault.named in err and "WARNING" in err
                    else "accepted without a warning"), err
        return "accepted", err
    return f"exit {returncode}", err


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the faults whose name contains this")
    parser.add_argument("--write", type=Path, help="a CSV of fault, class and first stderr line")
    parser.add_argument("-v", "--verbose", action="store_true", help="print stderr of failures")
    parser.add_argument("--in-process", action="store_true",
                        help="run the command through click's test runner in this process "
                        "(several times faster; a crash shows as a Traceback line)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    invoke = in_process if args.in_process else in_subprocess
    chosen = [f for f in faults() if not args.only or args.only in f.name]
    counts: Counter = Counter()
    table = [["fault", "expected", "class", "stderr"]]
    good = {"refused, file named", "accepted", "warned"}
    for fault in chosen:
        outcome, err = run(fault, invoke)
        counts[outcome] += 1
        lines = [line for line in err.splitlines() if line.strip()]
        table.append([fault.name, fault.expect, outcome, " | ".join(lines[:3])])
        mark = " " if outcome in good else "!"
        print(f"{mark} {outcome:28} {fault.name}", flush=True)
        if args.verbose and outcome not in good:
            print("    " + err.replace("\n", "\n    "))
    print(f"\n{len(chosen)} faults:")
    for outcome, n in counts.most_common():
        print(f"  {n:4}  {outcome}")
    if args.write:
        with args.write.open("w", newline="") as out:
            csv.writer(out).writerows(table)


if __name__ == "__main__":
    main()
