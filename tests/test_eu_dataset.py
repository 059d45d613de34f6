"""inputs/eu-2025: every row names its sources, every source is listed, estimates say so;
every study preset solves and its headline answers what it asks."""
from __future__ import annotations

import re

import pandas as pd

from optimizer.schema import TABLES, provenance_column
from conftest import ROOT

EU = ROOT / "inputs" / "eu-2025"
KINDS = {"reported", "secondary", "derived", "estimate"}


def sources_md() -> pd.DataFrame:
    """The table of SOURCES.md whose header starts with `| id | kind |`."""
    lines = (EU / "SOURCES.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\|\s*id\s*\|\s*kind\s*\|", line))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    header = [c.strip() for c in lines[start].strip().strip("|").split("|")]
    return pd.DataFrame([r[:len(header)] for r in rows], columns=header)


def test_every_row_names_sources_listed_in_sources_md():
    listed = set(sources_md()["id"])
    missing = []
    for name, table in TABLES.items():
        path = EU / table.file
        if not path.exists():
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        column = provenance_column(name)
        assert column in frame.columns, f"{table.file} has no {column} column"
        for row, cell in frame[column].items():
            ids = [i.strip() for i in cell.split(";") if i.strip()]
            if not ids:
                missing.append(f"{table.file} row {row + 2}: no source")
            missing += [f"{table.file} row {row + 2}: {i} not in SOURCES.md"
                        for i in ids if i not in listed]
    assert not missing, "\n".join(missing[:20])


def test_every_source_entry_says_what_kind_it_is():
    table = sources_md()
    assert table["id"].is_unique
    assert set(table["kind"]) <= KINDS
    estimates = table[table["kind"] == "estimate"]
    assert len(estimates) > 0
    assert (estimates["what it supports"].str.len() > 10).all()
