"""Excel out: the input template, a dataset as one workbook, and a run's results as one.

Input workbooks keep the CSV layout exactly: one sheet per table, the header in row 1 and data
from row 2, so a filled template reads back as it is and errors name the row Excel shows.
What each column means lives where the reader never looks for data: a comment on each header
cell (unit, kind, default, meaning), a `readme` sheet listing every column, and drop-down
lists on choice and true/false columns. The reader skips the sheets `readme` and `SOURCES.md`.
"""
from __future__ import annotations

import io
import json
import logging
import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..data import FALSE, TRUE, read_raw
from ..errors import InputError
from ..results import Results
from ..schema import TABLES, Column, Table, provenance_column
from .writer import OutputExists

log = logging.getLogger(__name__)
HEADER = Font(bold=True, color="FFFFFF")
REQUIRED, OPTIONAL = PatternFill("solid", fgColor="1F4E79"), PatternFill("solid", fgColor="5B7FA6")
EXCEL_ROWS = 1_048_576
KIND_TEXT = {"id": "id (lower-case snake_case)", "id*": "id, or * for all", "text": "text",
             "float": "number", "int": "whole number", "bool": "true or false",
             "choice": "one of"}
USAGE = ("One sheet per table, named as the CSV files. Row 1 is the header (hover over a header "
         "cell for its unit and meaning; dark = required, light = optional). Fill rows from "
         "row 2; leave an optional cell blank for its default. Optional tables may be left "
         "with the header only. crmplan ignores this sheet and the sheet SOURCES.md.")


def _describe(col: Column) -> dict[str, str]:
    kind = KIND_TEXT[col.kind] + (f" {', '.join(col.choices)}" if col.choices else "")
    lo, hi = col.bounds if col.kind in ("int", "float") else (-math.inf, math.inf)
    bounds = [f"from {lo:g} to {hi:g}"] if -math.inf < lo and hi < math.inf else \
        [f">= {lo:g}" if lo > -math.inf else "", f"<= {hi:g}" if hi < math.inf else ""]
    default = "" if col.required else ("blank" if col.default in (None, "") else
                                       f"{col.default:g}" if isinstance(col.default, float)
                                       else str(col.default))
    return {"unit": col.unit, "kind": " ".join([kind, *filter(None, bounds)]),
            "required": "required" if col.required else f"optional (default {default})",
            "description": col.description}


def _columns(table: Table) -> list[Column]:
    ref = provenance_column(table.name)
    return list(table.columns) + [Column(ref, "text", "the SOURCES.md entries behind this row",
                                         required=False, default="")]


def _header(sheet, columns: list[Column]) -> None:
    for i, col in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=i, value=col.name)
        cell.font, cell.fill = HEADER, REQUIRED if col.required else OPTIONAL
        d = _describe(col)
        text = "\n".join(filter(None, [f"{col.name} [{d['unit']}]" if d["unit"] else col.name,
                                       d["description"], d["kind"], d["required"]]))
        cell.comment = Comment(text, "crmplan", width=300, height=120)
        sheet.column_dimensions[get_column_letter(i)].width = max(12, len(col.name) + 3)
        choices = col.choices or (("true", "false") if col.kind == "bool" else ())
        if choices:
            rule = DataValidation(type="list", formula1=f'"{",".join(choices)}"',
                                  allow_blank=not col.required)
            sheet.add_data_validation(rule)
            rule.add(f"{get_column_letter(i)}2:{get_column_letter(i)}{EXCEL_ROWS}")
    sheet.freeze_panes = "A2"


def _typed(text: str, col: Column):
    """A CSV cell as a spreadsheet value: numbers as numbers, true/false as booleans, and
    anything that does not parse as the text it is (so the reader reports it as the CSV would)."""
    if text.strip() == "":
        return None
    if col.kind == "bool" and text.strip().lower() in TRUE | FALSE:
        return text.strip().lower() in TRUE
    if col.kind in ("int", "float"):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return text


def _readme(book: Workbook) -> None:
    sheet = book.create_sheet("readme", 0)
    sheet.append([USAGE])
    sheet["A1"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells("A1:G1")
    sheet.row_dimensions[1].height = 60
    sheet.append([])
    sheet.append(["sheet", "column", "unit", "kind", "required", "description", "table"])
    for cell in sheet[3]:
        cell.font, cell.fill = HEADER, REQUIRED
    for table in TABLES.values():
        for col in _columns(table):
            d = _describe(col)
            sheet.append([table.name, col.name, d["unit"], d["kind"], d["required"],
                          d["description"], table.description + (" (optional table)"
                                                                 if table.optional else "")])
    for letter, width in zip("ABCDEFG", (14, 28, 14, 34, 24, 60, 50)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A4"


def dataset_workbook(tables: dict[str, pd.DataFrame] | None = None, notes: str = "") -> Workbook:
    """One sheet per table: the tables as read from CSV (text cells), or headers only."""
    book = Workbook()
    book.remove(book.active)
    _readme(book)
    for name, table in TABLES.items():
        sheet = book.create_sheet(name)
        frame = (tables or {}).get(name)
        columns = _columns(table)
        if frame is not None:
            known = {c.name: c for c in columns}
            columns = [known.get(c, Column(c, "text", "not a column of this table")) for c in frame]
        _header(sheet, columns)
        for row in (frame.itertuples(index=False) if frame is not None else ()):
            sheet.append([_typed(v, c) for v, c in zip(row, columns)])
    if notes:
        sheet = book.create_sheet("SOURCES.md")
        sheet.column_dimensions["A"].width = 120
        for line in notes.splitlines():
            sheet.append([line])
    return book


def _save(book: Workbook, path: Path) -> Path:
    path = Path(path)
    if path.exists():
        raise OutputExists(f"{path} exists; choose another path or move it away")
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    log.info("wrote %s", path)
    return path


def write_template(path: str | Path) -> Path:
    """An empty input workbook: headers with units and meanings, ready to fill."""
    return _save(dataset_workbook(), Path(path))


def export_dataset(folder: str | Path, path: str | Path) -> Path:
    """A dataset folder of CSV files as one workbook, cell for cell (bad cells included, so
    the workbook reports the same problems), with SOURCES.md as a sheet."""
    folder = Path(folder)
    raw, _, problems = read_raw(folder)
    if problems:
        raise InputError(problems)
    notes = folder / "SOURCES.md"
    book = dataset_workbook(raw, notes.read_text() if notes.is_file() else "")
    return _save(book, Path(path))


def _summary_rows(summary: dict, prefix: str = "") -> list[list]:
    rows = []
    for key, value in summary.items():
        if isinstance(value, dict):
            rows += _summary_rows(value, f"{prefix}{key}.")
        else:
            rows.append([prefix + key, json.dumps(value) if isinstance(value, list) else value])
    return rows


def results_workbook(folder: str | Path) -> bytes:
    """Every table of a results folder (and its analysis tables) as one workbook."""
    folder = Path(folder)
    book = Workbook(write_only=True)
    summary = folder / "summary.json"
    if summary.is_file():
        sheet = book.create_sheet("summary")
        sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 28, 70
        for row in _summary_rows(json.loads(summary.read_text())):
            sheet.append(row)
    names = [n for n in Results.TABLES if (folder / f"{n}.csv").is_file()]
    names += sorted(p.stem for p in folder.glob("*.csv") if p.stem not in names)
    for name in names:
        frame = pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])
        if len(frame) >= EXCEL_ROWS:
            raise ValueError(f"{name}.csv has {len(frame)} rows, more than a sheet holds; "
                             "use the CSV file")
        sheet = book.create_sheet(name[:31])
        sheet.freeze_panes = "A2"
        for i, column in enumerate(frame.columns, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = max(11, len(column) + 2)
        sheet.append(list(frame.columns))
        for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
