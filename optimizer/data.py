"""Read a dataset (a folder of CSV files or one .xlsx workbook) and check each table on its own.

Every cell is checked against its declaration in `schema.py`; problems are collected, never
raised one by one. Cross-table checks live in `case.py`.
"""
from __future__ import annotations

import logging
import math
import re
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from .errors import Problem
from .schema import TABLES, Column, Table, provenance_column

log = logging.getLogger(__name__)

ID = re.compile(r"^[a-z][a-z0-9_]*$")
TRUE, FALSE = {"true", "yes", "1"}, {"false", "no", "0"}
NOTES = ("readme", "sources.md")   # sheets of a workbook that hold notes, not tables


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


def _numbered(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows indexed by their line as a spreadsheet shows it (header = 1), blank rows dropped."""
    frame = frame.fillna("").astype(str)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame[(frame.apply(lambda col: col.str.strip()) != "").any(axis=1)]


def _unique(header: list[str]) -> list[str]:
    """Repeated column names made distinct as pandas does for CSV (x, x.1), so they are reported."""
    seen: dict[str, int] = {}
    out = []
    for name in header:
        out.append(f"{name}.{seen[name]}" if name and name in seen else name)
        seen[name] = seen.get(name, 0) + 1
    return out


def read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet of a workbook as text cells, keyed by its lower-case name without .csv.

    A column with no header and no values is dropped; one with values but no header keeps
    its letter as its name, so that it is reported.
    """
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    book = load_workbook(path, read_only=True, data_only=True)
    sheets = {}
    try:
        for sheet in book.worksheets:
            rows = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            width = max((len(r) for r in rows), default=0)
            rows = [r + [""] * (width - len(r)) for r in rows]
            header = _unique(rows[0]) if rows else []
            frame = pd.DataFrame(rows[1:], columns=[h or f"column {get_column_letter(i + 1)}"
                                                    for i, h in enumerate(header)], dtype=str)
            keep = [i for i, h in enumerate(header) if h or (frame.iloc[:, i] != "").any()]
            name = sheet.title.strip().lower().removesuffix(".csv")
            sheets[name] = _numbered(frame.iloc[:, keep])
    finally:
        book.close()
    return sheets


def read_raw(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str], list[Problem]]:
    """Every table as strings, with the name each is reported under (file or sheet)."""
    raw, where, problems = {}, {}, []
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        sheets = read_workbook(path)
        for name in sorted(set(sheets) - set(TABLES) - set(NOTES)):
            log.warning("%s: sheet %s is not one of the tables; ignored", path.name, name)
        for name in TABLES:
            if name in sheets:
                raw[name] = sheets[name]
            where[name] = f"{path.name}, sheet {name}"
    elif path.is_dir():
        for name, table in TABLES.items():
            file = path / table.file
            where[name] = table.file
            if file.is_file():
                raw[name] = _numbered(pd.read_csv(file, dtype=str, keep_default_na=False,
                                                  skipinitialspace=True, skip_blank_lines=False))
    else:
        problems.append(Problem(str(path), None, None, None,
                                "a dataset folder of CSV files or an .xlsx workbook"))
        return raw, where, problems
    for name, table in TABLES.items():
        if name not in raw and not table.optional:
            problems.append(Problem(where[name], None, None, None, f"the {name} table "
                                    f"({', '.join(c.name for c in table.columns if c.required)})"))
    return raw, where, problems


def _cell(value: str, col: Column):
    """(parsed value, expectation text or None when fine)."""
    text = value.strip()
    if text == "":
        if col.required:
            return None, "a value"
        return col.default, None
    if col.kind in ("id", "id*"):
        if ID.match(text) or (col.kind == "id*" and text == "*"):
            return text, None
        return text, "a lower-case snake_case id" + (" or *" if col.kind == "id*" else "")
    if col.kind == "text":
        return text, None
    if col.kind == "choice":
        return text, None if text in col.choices else f"one of {', '.join(col.choices)}"
    if col.kind == "bool":
        low = text.lower()
        return (low in TRUE), None if low in TRUE | FALSE else "true or false"
    try:
        number = float(text)
    except ValueError:
        return text, "an integer" if col.kind == "int" else "a number"
    if math.isnan(number) or (col.kind == "int" and not number.is_integer()):
        return text, "an integer" if col.kind == "int" else "a number"
    if not col.lo <= number <= col.hi:
        bounds = f"{col.lo:g}..{col.hi:g}" if col.hi < math.inf else f">= {col.lo:g}"
        return text, f"a number in {bounds}"
    return (int(number) if col.kind == "int" else number), None


def parse_table(table: Table, raw: pd.DataFrame, where: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed frame of one table, with defaults filled and every bad cell reported."""
    problems = []
    present = set(raw.columns)
    for col in table.columns:
        if col.required and col.name not in present:
            problems.append(Problem(where, 1, col.name, None, "this column in the header"))
    ref = provenance_column(table.name)
    known = {c.name for c in table.columns} | {ref}
    for name in present - known:
        problems.append(Problem(where, 1, name, None,
                                f"one of the columns {', '.join(sorted(known))}"))
    data = {}
    for col in table.columns:
        values = raw[col.name].tolist() if col.name in present else [""] * len(raw)
        parsed = []
        for row, value in zip(raw.index, values):
            v, expected = _cell(value, col) if col.name in present else (col.default, None)
            if expected and col.name in present:
                problems.append(Problem(where, int(row), col.name, value, expected))
            parsed.append(v)
        data[col.name] = parsed
    data[ref] = raw[ref].tolist() if ref in present else [""] * len(raw)
    frame = pd.DataFrame(data, columns=[c.name for c in table.columns] + [ref])
    frame.index = pd.Index(raw.index, name="row")
    keyed = frame[list(table.key)]
    for row in frame.index[keyed.duplicated(keep="first")]:
        key = ", ".join(f"{k}={frame.at[row, k]}" for k in table.key)
        problems.append(Problem(where, int(row), table.key[0], key,
                                f"a unique ({', '.join(table.key)}); this one is repeated"))
    return frame, problems


def read_tables(path: str | Path) -> tuple[dict[str, pd.DataFrame], dict[str, str], list[Problem]]:
    """Typed tables of a dataset, the name each is reported under, and every problem found.

    Optional tables that are absent come back empty with their declared columns.
    """
    raw, where, problems = read_raw(Path(path))
    tables = {}
    for name, table in TABLES.items():
        frame = raw.get(name, pd.DataFrame({c.name: [] for c in table.columns}, dtype=str))
        tables[name], found = parse_table(table, frame, where.get(name, table.file))
        problems += found
    log.debug("read %s: %s", path, {k: len(v) for k, v in tables.items()})
    return tables, where, problems
