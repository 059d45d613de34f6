"""The atomic results writer: a run never overwrites another, nor anything a user had.

Files are written to a hidden temporary folder beside the target and renamed into place when
complete, so a results folder either holds every file of a run or does not exist. The
temporary folder is named `.<target>.crmplan-<host>-<pid>.<random>`; one whose process is
gone (a run killed with SIGKILL, or a power cut) is removed by the next run writing into the
same parent folder, while those of runs still going are left alone.
"""
from __future__ import annotations

import errno
import json
import logging
import math
import os
import re
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..results import Results

log = logging.getLogger(__name__)
DEFAULT_ROOT = Path("results")
HOST = re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname()) or "host"
TEMPORARY = re.compile(r"^\..*\.crmplan-(?P<host>[A-Za-z0-9-]+)-(?P<pid>\d+)\.[A-Za-z0-9_]{8}$")
# A temporary folder untouched this long is swept even if its pid is alive (the pid reused,
# or the run on another host sharing the folder): a run adds to its folder far more often.
STALE_AFTER_S = 24 * 3600
# Errors that say the output cannot be written, wherever they arise while writing it.
WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


class OutputExists(Exception):
    """--out names a folder that exists and is not empty."""


class OutputUnwritable(Exception):
    """--out cannot be written: under a file, or in a folder that is not writable. Found
    before any work, like OutputExists."""


class OutputFailed(Exception):
    """The operating system refused a write (disk full, permission, read-only file system):
    the path and the reason; nothing of the folder is left behind."""

    def __init__(self, target: Path, reason: str):
        self.target, self.reason = target, reason
        super().__init__(f"could not write {target}: {reason}; nothing was written")


def _writable_ancestor(folder: Path) -> None:
    """The nearest existing folder at or above `folder` must be a folder we can write in."""
    ancestor = Path(folder).absolute()
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputUnwritable(f"{ancestor} is a file, not a folder; choose another --out")
    if os.access(ancestor, os.W_OK | os.X_OK) and not _read_only(ancestor):
        return
    reason = "read-only file system" if _read_only(ancestor) else "permission denied"
    raise OutputUnwritable(f"cannot write in {ancestor} ({reason}); choose another --out")


def _read_only(folder: Path) -> bool:
    return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)


def check_out(target: Path | None, root: Path = DEFAULT_ROOT) -> None:
    """Refuse, before any work, an output folder that exists and is not empty, lies under a
    file, or lies in a folder that cannot be written (None: a new folder under `root`)."""
    if target is None:
        _writable_ancestor(root)
        return
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputExists(f"{target} is a file; choose another --out")
    if target.exists() and any(target.iterdir()):
        raise OutputExists(f"{target} exists and is not empty; choose another --out")
    _writable_ancestor(target.parent)


def _alive(host: str, pid: int) -> bool:
    if host != HOST:
        return True                                  # cannot tell: only age sweeps it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True                                  # another user's process
    return True


def sweep_stale(parent: Path) -> list[Path]:
    """Remove the temporary folders of killed runs in `parent` (see the module's docstring);
    return them."""
    swept, now = [], time.time()
    for entry in Path(parent).iterdir():
        found = TEMPORARY.match(entry.name)
        if found is None or not entry.is_dir():
            continue
        try:
            untouched_s = now - entry.stat().st_mtime
        except OSError:                              # gone meanwhile
            continue
        if not _alive(found["host"], int(found["pid"])) or untouched_s > STALE_AFTER_S:
            shutil.rmtree(entry, ignore_errors=True)
            log.info("removed %s, left behind by a run that was killed", entry)
            swept.append(entry)
    return swept


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _failure(target: Path, exc: OSError) -> OutputFailed:
    return OutputFailed(target, str(exc.strerror or exc))


def _move(tmp: Path, target: Path) -> None:
    """Rename the finished folder to `target`, which another run may have taken meanwhile."""
    try:
        if target.exists():
            target.rmdir()          # empty when checked
        tmp.rename(target)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
            raise OutputExists(f"{target} was written by something else meanwhile; this run's "
                               "results were not kept: choose another --out") from exc
        raise


@contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """A temporary folder beside `target`, renamed to it when the block completes; removed
    if the block fails or is interrupted. The folder gets the user's usual permissions
    (mkdtemp's are 0700). An OS error writing it becomes OutputFailed."""
    target = Path(target)
    check_out(target)
    prefix = "." + re.sub(r"[^A-Za-z0-9_-]+", "-", target.name) + f".crmplan-{HOST}-{os.getpid()}."
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(target.parent)
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    except OSError as exc:
        raise _failure(target, exc) from exc
    try:
        yield tmp
        tmp.chmod(0o777 & ~_umask())
        _move(tmp, target)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and (exc.errno in WRITE_ERRNOS or str(tmp) in str(
                exc.filename or "")):
            raise _failure(target, exc) from exc
        if isinstance(exc, OutputFailed):            # a folder written inside this one
            raise OutputFailed(target, exc.reason) from exc
        raise
    log.info("wrote %s", target)


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
    with atomic_folder(target) as tmp:
        (tmp / "summary.json").write_text(summary_json(results) + "\n")
        for name, frame in results.tables.items():
            frame.to_csv(tmp / f"{name}.csv", index=False)
        if results.solver_log:
            (tmp / "highs.log").write_text(results.solver_log)
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
