"""The atomic results writer: a run never overwrites another, nor anything a user had.

Files are written to a hidden temporary folder beside the target and renamed into place when
complete, so a results folder either holds every file of a run or does not exist.
"""
from __future__ import annotations

import json
import logging
import math
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..results import Results

log = logging.getLogger(__name__)
DEFAULT_ROOT = Path("results")


class OutputExists(Exception):
    """--out names a folder that exists and is not empty."""


def run_dir(study_name: str, root: Path = DEFAULT_ROOT) -> Path:
    """results/<study>-<timestamp>, with a suffix if that already exists."""
    slug = re.sub(r"[^a-z0-9]+", "-", study_name.lower()).strip("-") or "study"
    base = root / f"{slug}-{datetime.now():%Y%m%d-%H%M%S}"
    path, n = base, 2
    while path.exists():
        path, n = Path(f"{base}-{n}"), n + 1
    return path


def _clean(value):
    """JSON-safe: NaN and infinities become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def summary_json(results: Results) -> str:
    return json.dumps(_clean(results.summary), indent=2, default=str)


def write(results: Results, out: Path | None = None, root: Path = DEFAULT_ROOT) -> Path:
    """Write every output file of the run; return the folder."""
    target = Path(out) if out is not None else run_dir(results.summary["study"], root)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise OutputExists(f"{target} exists and is not empty; choose another --out")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        (tmp / "summary.json").write_text(summary_json(results) + "\n")
        for name, frame in results.tables.items():
            frame.to_csv(tmp / f"{name}.csv", index=False)
        if results.solver_log:
            (tmp / "highs.log").write_text(results.solver_log)
        if target.exists():
            target.rmdir()          # empty, checked above
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("wrote %s", target)
    return target


def read(folder: Path) -> Results:
    """The Results of a finished run, read back from its folder (the inverse of `write`).

    Only empty cells are missing values, so an id such as `nan` or `null` stays an id.
    """
    folder = Path(folder)
    summary = json.loads((folder / "summary.json").read_text())
    tables = {name: pd.read_csv(folder / f"{name}.csv", keep_default_na=False, na_values=[""])
              for name in Results.TABLES if (folder / f"{name}.csv").is_file()}
    log_file = folder / "highs.log"
    return Results(summary, tables, log_file.read_text() if log_file.is_file() else "")
