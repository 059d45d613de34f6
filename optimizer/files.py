"""Files as rows of text cells: a CSV file or the sheets of a workbook, or the problems that
stop them being read (empty, not UTF-8, a row with the wrong number of fields, a workbook that
is not one, a formula with no saved value). Nothing here knows the tables; `data.py` does.
"""
from __future__ import annotations

import codecs
import csv
import io
import logging
import zipfile
from datetime import date, datetime, time
from pathlib import Path

from .errors import Problem

log = logging.getLogger(__name__)

Rows = list[list[str]]
ZIP, UTF16 = b"PK\x03\x04", (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
SAVE_AS = "save it as 'CSV UTF-8' (Excel) or with UTF-8 encoding"


def _text(value) -> str:
    """A workbook cell as the text a CSV file would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value).strip()


def _decoded(data: bytes, name: str) -> tuple[str | None, list[Problem]]:
    """The text of a CSV file, or why it is not UTF-8 text."""
    if data.startswith(ZIP):
        return None, [Problem(name, None, None, None, "a CSV text file; this one is a "
                              "workbook or other zip archive (export the sheet as CSV UTF-8)")]
    if data.startswith(UTF16):
        return None, [Problem(name, None, None, None, f"text in UTF-8; this file is UTF-16 "
                              f"({SAVE_AS})")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        byte = data[exc.start]
        return None, [Problem(name, line, None, None,
                              f"text in UTF-8; byte 0x{byte:02x} on line {line} is not UTF-8 "
                              f"(a Latin-1 or Windows file? {SAVE_AS})")]


def _extra_field_hint(cells: list[str], width: int) -> str:
    if len(cells) == width + 1 and cells[-1].strip() == "":
        return " (a trailing comma?)"
    if len(cells) > width:
        return (" (a number written with a comma, such as 3,000 or 1,5? write 3000 or 1.5, "
                "or quote the cell)")
    return " (a missing comma?)"


def read_csv_rows(file: Path, name: str) -> tuple[Rows | None, list[Problem]]:
    """The records of a CSV file, header first, every cell stripped; None and the problems
    when the file cannot be read as a table (each bad row named, the others not blamed)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        return None, [Problem(name, None, None, None, f"a readable file ({exc.strerror})")]
    if not data.strip():
        return None, [Problem(name, None, None, None, "a header row naming the columns; "
                              "the file is empty")]
    text, problems = _decoded(data, name)
    if text is None:
        return None, problems
    if "\x00" in text:
        return None, [Problem(name, None, None, None, "a CSV text file; this one holds "
                              "NUL bytes (a binary file?)")]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, skipinitialspace=True)
    rows: Rows = []
    try:
        for record in reader:
            rows.append([cell.strip() for cell in record])
    except csv.Error:
        return None, [Problem(name, len(rows) + 1, None, None,
                              "CSV with closed quotes: a quote opened on this row is not "
                              "closed, or text follows a closing quote")]
    header = rows[0]
    if not any(header):
        return None, [Problem(name, 1, None, None, "a header row naming the columns; "
                              "row 1 is blank")]
    widths = {len(cells) for cells in rows[1:] if any(cells)}
    if len(rows) > 2 and len(widths) == 1 and widths != {len(header)}:
        return None, [Problem(name, 1, None, None, f"a header with as many names as every row "
                              f"has fields ({widths.pop()}); the header has {len(header)}")]
    for number, cells in enumerate(rows[1:], start=2):
        if any(cells) and len(cells) != len(header):
            problems.append(Problem(name, number, None, None,
                                    f"as many fields as the header ({len(header)}); this row "
                                    f"has {len(cells)}" + _extra_field_hint(cells, len(header))))
    return (None if problems else rows), problems


def _formula_problems(path: Path, where: dict[str, str], cached: dict[str, Rows]) -> list[Problem]:
    """Every formula cell whose result Excel never saved (openpyxl reads those as blank)."""
    from openpyxl import load_workbook

    problems = []
    book = load_workbook(path, read_only=True, data_only=False)
    try:
        for sheet in book.worksheets:
            values = cached.get(sheet.title, [])
            for r, row in enumerate(sheet.iter_rows(), start=1):
                for c, cell in enumerate(row):
                    formula = getattr(cell, "data_type", None) == "f"
                    empty = r > len(values) or c >= len(values[r - 1]) or values[r - 1][c] == ""
                    if formula and empty:
                        header = values[0][c] if values and c < len(values[0]) else None
                        problems.append(Problem(
                            where.get(sheet.title, sheet.title), r, header or None, None,
                            f"a saved value: cell {cell.coordinate} holds a formula whose result "
                            f"was never saved (open the workbook in Excel and save it)"))
    finally:
        book.close()
    return problems


def read_workbook_rows(path: Path) -> tuple[dict[str, Rows], list[Problem]]:
    """Every sheet's rows of text cells, keyed by the sheet's title."""
    from openpyxl import load_workbook

    name = path.name
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else \
            "this file is not one (a CSV file renamed .xlsx, or a damaged file?)"
        return {}, [Problem(name, None, None, None, f"an Excel workbook (.xlsx); {reason}")]
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        log.debug("openpyxl could not open %s: %r", path, exc)
        return {}, [Problem(name, None, None, None, "an Excel workbook (.xlsx) that opens; "
                            "this one is damaged (open it in Excel and save it again)")]
    sheets: dict[str, Rows] = {}
    try:
        for sheet in book.worksheets:
            sheets[sheet.title] = [[_text(v) for v in row]
                                   for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    where = {title: f"{name}, sheet {title.strip().lower().removesuffix('.csv')}"
             for title in sheets}
    return sheets, _formula_problems(path, where, sheets)
