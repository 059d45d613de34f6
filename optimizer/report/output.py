"""Adding a report's files to a finished folder without ever overwriting a user's file.

A manifest lists what the last report wrote. A file may be replaced only if that manifest
names it; files of the last report that this one does not write again are removed. Each file
is written beside its target and renamed into place, so none is ever half-written.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from .writer import OutputExists

log = logging.getLogger(__name__)
MANIFEST = ".crmplan-report.json"


def previous(folder: Path) -> set[str]:
    """Files written by the last report in this folder (relative paths)."""
    manifest = folder / MANIFEST
    return set(json.loads(manifest.read_text())["files"]) if manifest.is_file() else set()


def publish(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Write {relative path: content} into folder; raise OutputExists, before writing
    anything, if one of them would replace a file that no earlier report wrote."""
    folder = Path(folder)
    ours = previous(folder)
    foreign = sorted(name for name in files if (folder / name).exists() and name not in ours)
    if foreign:
        names = ", ".join(str(folder / n) for n in foreign)
        raise OutputExists(f"{names}: not written by crmplan report, so not replaced; "
                           "move away first")
    _manifest(folder, ours | set(files))     # claim first, so a crash leaves nothing foreign
    written = []
    for name, content in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(target)
    for stale in sorted(ours - set(files)):
        (folder / stale).unlink(missing_ok=True)
        log.debug("removed %s of an earlier report", stale)
    _manifest(folder, set(files))
    return written


def _manifest(folder: Path, names: set[str]) -> None:
    tmp = folder / f"{MANIFEST}.tmp"
    tmp.write_text(json.dumps({"files": sorted(names)}, indent=1) + "\n")
    os.replace(tmp, folder / MANIFEST)
