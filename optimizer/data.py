"""Read a dataset (a folder of CSV files or one .xlsx workbook) and check each table on its own.

Every cell is checked against its declaration in `schema.py`; problems are collected, never
raised one by one. Cross-table checks live in `case.py`.
"""
from __future__ import annotations

import logging
import math
import re
from pathlib import Path

import pandas as pd

from .errors import Problem, suggest
from .files import read_csv_rows, read_workbook_rows
from .schema import TABLES, YEAR_COLUMNS, Column, Table, provenance_column

log = logging.getLogger(__name__)

ID = re.compile(r"^[a-z][a-z0-9_]*$")
TRUE, FALSE = {"true", "yes", "1"}, {"false", "no", "0"}
DTYPES = {"float": float, "int": "int64", "bool": bool}
NOTES = ("readme", "sources.md")   # sheets of a workbook that hold notes, not tables


def _unique(header: list[str]) -> list[str]:
    """Repeated column names made distinct (x, x.1), so that they are reported."""
    seen: dict[str, int] = {}
    out = []
    for name in header:
        out.append(f"{name}.{seen[name]}" if name and name in seen else name)
        seen[name] = seen.get(name, 0) + 1
    return out


def _frame(rows: list[list[str]]) -> pd.DataFrame:
    """Rows of text cells (header first) as a frame indexed by each row's line as a spreadsheet
    shows it (header = 1), blank rows dropped. A column with no header and no values is
    dropped; one with values but no header keeps its letter as its name, so it is reported."""
    from openpyxl.utils import get_column_letter

    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header = _unique(rows[0]) if rows else []
    frame = pd.DataFrame(rows[1:], columns=[h or f"column {get_column_letter(i + 1)}"
                                            for i, h in enumerate(header)], dtype=str)
    keep = [i for i, h in enumerate(header) if h or (frame.iloc[:, i] != "").any()]
    frame = frame.iloc[:, keep]
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame[(frame != "").any(axis=1)] if len(frame.columns) else frame


def _read_workbook(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str], list[Problem]]:
    sheets, problems = read_workbook_rows(path)
    if not sheets and problems:    # not a workbook at all: no sheet is missing
        return {}, {}, problems
    by_name = {title.strip().lower().removesuffix(".csv"): title for title in sheets}
    for name in sorted(set(by_name) - set(TABLES) - set(NOTES)):
        log.warning("%s: sheet %s is not one of the tables; ignored%s", path.name, name,
                    suggest(name, TABLES))
    raw = {name: _frame(sheets[by_name[name]]) for name in TABLES if name in by_name}
    where = {name: f"{path.name}, sheet {name}" for name in TABLES}
    problems = [p for p in problems if p.file in where.values()]
    for name in {name for name in where if where[name] in {p.file for p in problems}}:
        raw.pop(name, None)   # a formula without a value: the whole sheet waits for a save
    return raw, where, problems


def _read_folder(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str], list[Problem]]:
    raw, problems = {}, []
    where = {name: table.file for name, table in TABLES.items()}
    for name, table in TABLES.items():
        file = path / table.file
        if file.is_file():
            rows, found = read_csv_rows(file, table.file)
            problems += found
            if rows is not None:
                raw[name] = _frame(rows)
    others = {p.name for p in path.glob("*.csv")} - set(where.values())
    for name in sorted(others):
        log.warning("%s: %s is not one of the tables; ignored%s", path, name,
                    suggest(name, where.values()))
    return raw, where, problems


def read_raw(path: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str], list[Problem]]:
    """Every table as strings, with the name each is reported under (file or sheet).

    A file that cannot be read as a table (empty, not UTF-8, a row with the wrong number of
    fields) is reported and left out, without also being reported missing.
    """
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        raw, where, problems = _read_workbook(path)
    elif path.is_dir():
        raw, where, problems = _read_folder(path)
    else:
        what = "is a file" if path.is_file() else "does not exist"
        return {}, {}, [Problem(str(path), None, None, None, "a dataset folder of CSV files or "
                                f"an .xlsx workbook; this path {what}")]
    unreadable = {p.file for p in problems}
    for name, table in TABLES.items():
        if where and name not in raw and not table.optional and where[name] not in unreadable:
            problems.append(Problem(where[name], None, None, None, f"the {name} table "
                                    f"({', '.join(c.name for c in table.columns if c.required)})"))
    return raw, where, problems


def _number(x: float) -> str:
    return f"{x:g}".replace("e+0", "e").replace("e+", "e")


def _out_of_range(number: float, col: Column) -> str | None:
    lo, hi = col.bounds
    if lo <= number <= hi:
        return None
    if col.name in YEAR_COLUMNS:
        return f"a year from {lo:.0f} to {hi:.0f}"
    unit = f" {col.unit}" if col.unit else ""
    return f"a number from {_number(lo)} to {_number(hi)}{unit}"


def _cell(value: str, col: Column):
    """(parsed value, expectation text or None when fine)."""
    text = value.strip()
    if text == "":
        if col.required:
            return None, "a value (the cell is empty)"
        return col.default, None
    if col.kind in ("id", "id*"):
        if ID.match(text) or (col.kind == "id*" and text == "*"):
            return text, None
        return text, "a lower-case snake_case id" + (" or *" if col.kind == "id*" else "")
    if col.kind == "text":
        return text, None
    if col.kind == "choice":
        if text in col.choices:
            return text, None
        return text, f"one of {', '.join(col.choices)}{suggest(text, col.choices)}"
    if col.kind == "bool":
        low = text.lower()
        return (low in TRUE), None if low in TRUE | FALSE else "true or false"
    whole = col.kind == "int"
    what = "a whole number" if whole else "a number"
    try:
        number = float(text)
    except ValueError:
        hint = " with a point for decimals and no thousands separator" if "," in text else ""
        return text, what + hint
    if not math.isfinite(number):
        blank = " (leave the cell blank for no limit)" if col.default == math.inf else ""
        return text, f"a finite number{blank}"
    if whole and not number.is_integer():
        return text, what
    out = _out_of_range(number, col)
    if out:
        return text, out
    return (int(number) if whole else number), None


def parse_table(table: Table, raw: pd.DataFrame, where: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed frame of one table, with defaults filled and every bad cell reported."""
    problems = []
    present = set(raw.columns)
    for col in table.columns:
        if col.required and col.name not in present:
            problems.append(Problem(where, 1, col.name, None, "this column in the header"))
    ref = provenance_column(table.name)
    known = {c.name for c in table.columns} | {ref}
    for name in sorted(present - known):
        problems.append(Problem(where, 1, name, None, f"one of the columns "
                                f"{', '.join(sorted(known))}{suggest(name, known - present)}"))
    header = [c for c in raw.columns if not c.startswith("column ")]
    repeats = (raw[header] == pd.Series(header, index=header)).all(axis=1) if header else []
    for row in raw.index[repeats]:
        problems.append(Problem(where, int(row), None, None, "data; this row repeats the header"))
    raw = raw[~repeats] if len(header) else raw
    data = {}
    for col in table.columns:
        values = raw[col.name].tolist() if col.name in present else [""] * len(raw)
        parsed = []
        for row, value in zip(raw.index, values):
            v, expected = _cell(value, col) if col.name in present else (col.default, None)
            if expected and col.name in present:
                problems.append(Problem(where, int(row), col.name, value, expected))
                v = None   # reported once here, not again by a check that reads it
            parsed.append(v)
        data[col.name] = parsed
    data[ref] = raw[ref].tolist() if ref in present else [""] * len(raw)
    frame = pd.DataFrame(data, columns=[c.name for c in table.columns] + [ref])
    frame.index = pd.Index(raw.index, name="row")
    if frame.empty:   # typed, so that a header-only table joins like a filled one
        frame = frame.astype({c.name: DTYPES.get(c.kind, object) for c in table.columns})
    keyed = frame[list(table.key)].dropna()
    first = {}
    for row, key in zip(keyed.index, keyed.itertuples(index=False, name=None)):
        if key in first:
            shown = ", ".join(f"{k}={v}" for k, v in zip(table.key, key))
            problems.append(Problem(where, int(row), table.key[0], shown,
                                    f"a unique ({', '.join(table.key)}); row {first[key]} "
                                    "has the same"))
        first.setdefault(key, int(row))
    return frame, problems


def read_tables(path: str | Path) -> tuple[dict[str, pd.DataFrame], dict[str, str], list[Problem]]:
    """Typed tables of a dataset, the name each is reported under, and every problem found.

    Optional tables that are absent come back empty with their declared columns; a table
    that could not be read is left out, so that checks across tables know not to run.
    """
    raw, where, problems = read_raw(Path(path))
    tables, unreadable = {}, {p.file for p in problems}
    for name, table in TABLES.items():
        if name not in raw and (not table.optional or not where or where[name] in unreadable):
            continue   # unreadable or missing: reported by read_raw, and left out
        frame = raw.get(name, pd.DataFrame({c.name: [] for c in table.columns}, dtype=str))
        frame, found = parse_table(table, frame, where[name])
        problems += found
        if not any(p.row == 1 and p.value is None for p in found):
            tables[name] = frame   # a table with a column missing is left out of cross-checks
    log.debug("read %s: %s", path, {k: len(v) for k, v in tables.items()})
    return tables, where, problems
