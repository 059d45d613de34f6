"""Where results go: --out refused before any work when it cannot be written (exit 2), an OS
error while writing named with its reason and nothing left (exit 3), results folders with
the user's usual permissions; `--version`; `-q` silences HiGHS; a model HiGHS refuses is an
error, never an empty model solved."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyomo.environ as pyo
import pytest
from click.testing import CliRunner

import optimizer
from conftest import ROOT, TINY
from optimizer.cli import main
from optimizer.report.writer import OutputExists, atomic_folder
from optimizer.highs import HandoverError, to_highs

MISSING_STUDY = "no-such-study.yaml"     # --out is refused before the study is even read


def crmplan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "optimizer", *args], capture_output=True,
                          text=True, env=env, cwd=cwd)


def refused(out: Path) -> str:
    result = CliRunner().invoke(main, ["solve", MISSING_STUDY, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "no-such-study" not in result.output
    return result.output


def test_out_that_exists_and_is_not_empty_is_refused_first(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "mine.txt").write_text("keep")
    assert "exists and is not empty" in refused(tmp_path / "run")
    assert (tmp_path / "run" / "mine.txt").read_text() == "keep"


def test_out_that_is_a_file_is_refused_first(tmp_path):
    (tmp_path / "file").write_text("x")
    assert f"{tmp_path / 'file'} is a file" in refused(tmp_path / "file").replace("\n", "")


def test_out_under_a_file_is_refused_first(tmp_path):
    (tmp_path / "file").write_text("x")
    said = refused(tmp_path / "file" / "deeper" / "run")
    assert f"{tmp_path / 'file'} is a file" in said.replace("\n", "")


@pytest.fixture
def mount(tmp_path):
    """mount(options) -> a fresh tmpfs with those options (root only, where allowed)."""
    points = []

    def make(options: str) -> Path:
        point = tmp_path / f"mnt{len(points)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        points.append(point)
        return point

    yield make
    for point in points:
        subprocess.run(["umount", str(point)], check=True)


def test_out_in_a_folder_that_cannot_be_written_is_refused_first(tmp_path, mount):
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        reason = "permission denied"
    else:                       # root writes anywhere, except on a read-only file system
        locked, reason = mount("ro,size=1m"), "read-only file system"
    said = refused(locked / "run")
    assert f"cannot write in {locked} ({reason})" in said.replace("\n", "")


def test_a_full_disk_is_said_with_the_path_and_leaves_nothing(tmp_path, mount):
    disk = mount("size=8k")
    done = crmplan("solve", str(TINY), "--out", str(disk / "run"))
    assert done.returncode == 3, done.stderr
    assert f"error: could not write {disk / 'run'}: No space left on device" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(disk.iterdir()) == []


def test_an_os_error_while_writing_leaves_nothing(tmp_path, monkeypatch):
    def disk_full(self, path, **kwargs):
        Path(path).write_text("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    result = CliRunner().invoke(main, ["solve", str(TINY), "--out", str(tmp_path / "run")])
    assert result.exit_code == 3
    assert f"could not write {tmp_path / 'run'}: No space left on device" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_analysis_names_its_own_folder_when_a_write_fails(tmp_path, monkeypatch):
    """The failing write is a point's results inside the analysis's temporary folder."""
    def disk_full(self, path, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    result = CliRunner().invoke(main, ["sweep", str(TINY), "--param", "policy.max_country_share",
                                       "--values", "0.8", "--workers", "1",
                                       "--out", str(tmp_path / "sweep")])
    assert result.exit_code == 3
    assert f"error: could not write {tmp_path / 'sweep'}: No space left on device; nothing " \
           "was written" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_folder_another_run_wrote_meanwhile_is_kept_and_this_one_dropped(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(OutputExists, match="written by something else meanwhile"):
        with atomic_folder(target) as folder:
            (folder / "ours.csv").write_text("a\n1\n")
            target.mkdir()                                # the other run finishes first
            (target / "theirs.csv").write_text("b\n2\n")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert [p.name for p in target.iterdir()] == ["theirs.csv"]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_results_folders_get_the_users_permissions(tiny_results, tmp_path, umask):
    before = os.umask(umask)
    try:
        folder = optimizer.write(tiny_results, tmp_path / "run")
    finally:
        os.umask(before)
    assert folder.stat().st_mode & 0o777 == 0o777 & ~umask
    assert (folder / "summary.json").stat().st_mode & 0o777 == 0o666 & ~umask


def test_version_names_crmplan_and_its_solver():
    done = crmplan("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("crmplan ") and "highspy " in done.stdout


def test_quiet_silences_highs(tmp_path):
    loud = crmplan("solve", str(TINY), "--out", str(tmp_path / "loud"))
    quiet = crmplan("solve", str(TINY), "-q", "--out", str(tmp_path / "quiet"))
    assert loud.returncode == quiet.returncode == 0
    assert "HiGHS" in loud.stderr
    assert quiet.stderr == ""


def one_row_model(coefficient: float) -> pyo.ConcreteModel:
    model = pyo.ConcreteModel()
    model.x = pyo.Var(bounds=(0, 1))
    model.cap = pyo.Constraint(expr=coefficient * model.x <= 1)
    model.cost = pyo.Objective(expr=model.x)
    return model


def test_a_model_highs_refuses_is_an_error_not_an_empty_model():
    assert to_highs(one_row_model(2.0)).highs.getNumCol() == 1
    with pytest.raises(HandoverError, match=r"refused the model \(1 columns, 1 rows; it holds "
                       r"0 and 0\): .*1e\+300"):
        to_highs(one_row_model(1e300))


def test_a_model_with_variables_that_reaches_highs_empty_is_an_error():
    model = pyo.ConcreteModel()
    model.x = pyo.Var(bounds=(0, 1))
    model.cost = pyo.Objective(expr=0 * model.x)
    with pytest.raises(HandoverError, match="HiGHS would solve an empty model"):
        to_highs(model)
    model.x.fix(0.5)                                  # nothing left to decide: no error
    assert to_highs(model).highs.getNumCol() == 0
