"""Ctrl-C and SIGTERM while HiGHS solves: a real `crmplan solve` process stops within 2 s
with exit 130 (SIGINT) or 143 (SIGTERM) and leaves nothing behind, neither in the results
folder's parent nor in the temporary folder; temporary folders of killed runs are swept by
the next run into the same parent, those of runs still going are not. An analysis stopped
so takes its worker processes with it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import yaml

import optimizer
from conftest import ROOT, TINY
from optimizer.report.writer import HOST, STALE_AFTER_S, sweep_stale


@pytest.fixture(scope="module")
def slow_study(tmp_path_factory):
    """The EU study solved to a zero gap on one thread: minutes of branch and bound."""
    study = yaml.safe_load((ROOT / "models" / "default.yaml").read_text())
    study["inputs"] = str(ROOT / "inputs" / "eu-2025")
    study["solver"] = {"mip_rel_gap": 0.0, "time_limit_s": 600, "threads": 1}
    path = tmp_path_factory.mktemp("slow") / "slow.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


def start(tmp_path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    for folder in ("results", "tmp"):
        (tmp_path / folder).mkdir()
    # SIGINT as a terminal's Ctrl-C reaches a foreground run: not ignored, even when the test
    # itself runs where the shell ignores it (a background job: the child would inherit that)
    return subprocess.Popen([sys.executable, "-m", "optimizer", *args, "--out",
                             str(tmp_path / "results" / "run")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def stop_after(proc: subprocess.Popen, marker: str, delay: float, signum: int):
    """Send `signum` `delay` seconds after `marker` appears on the run's stderr; return its
    exit status, which must come within 2 s, and `rest(timeout)`, the rest of its stderr up
    to EOF (which comes only when no process of the run is left holding the pipe). From the
    marker on a thread reads the pipe, so that a run never blocks writing to a full one: a
    run so blocked could not exit, and the test would measure the pipe, not the run. A run
    that a failed check leaves going is killed."""
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(proc.stderr), daemon=True)
    try:
        for line in proc.stderr:
            if marker in line:
                break
        reader.start()
        time.sleep(delay)
        assert proc.poll() is None, f"the run ended before the signal ({marker!r})"
        proc.send_signal(signum)
        status = proc.wait(timeout=2)
    except BaseException:
        proc.kill()
        proc.wait()
        if reader.is_alive() or said:
            reader.join(1)
            print("the run's last lines:", "".join(said[-15:]), sep="\n", file=sys.stderr)
        raise

    def rest(timeout: float = 2.0) -> str:
        reader.join(timeout)
        assert not reader.is_alive(), f"stderr still open {timeout} s after the exit"
        return "".join(said)
    return status, rest


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_highs_and_leaves_nothing(slow_study, tmp_path, signum, status):
    parent, scratch = tmp_path / "results", tmp_path / "tmp"
    proc = start(tmp_path, "solve", str(slow_study))
    # 0.5 s after the log line just before HiGHS runs: into HiGHS's search
    stopped, rest = stop_after(proc, "HiGHS: solving", 0.5, signum)
    assert stopped == status
    said = rest()
    assert "stopping HiGHS" in said and "nothing written" in said
    assert list(parent.iterdir()) == [] and list(scratch.iterdir()) == []


def test_a_stopped_analysis_takes_its_workers_along(slow_study, tmp_path):
    """The workers hold the pipe of stderr too: it closes only when they are gone."""
    proc = start(tmp_path, "sweep", str(slow_study), "--param", "policy.max_country_share",
                 "--values", "0.8", "1.0", "--workers", "2")
    # 3 s after the sweep starts: the workers build and solve
    stopped, rest = stop_after(proc, "2 points on 2 workers", 3, signal.SIGTERM)
    assert stopped == 143
    rest(timeout=10)                                  # EOF: no worker left writing
    assert list((tmp_path / "results").iterdir()) == []


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    below, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, q in parents.items() if q in frontier} - below
        below |= frontier
    return below


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process tree from /proc")
def test_workers_of_a_killed_analysis_end_themselves(slow_study, tmp_path):
    """SIGKILL leaves a run no chance to stop its workers: they see it gone and end."""
    proc = start(tmp_path, "sweep", str(slow_study), "--param", "policy.max_country_share",
                 "--values", "0.8", "1.0", "--workers", "2")
    workers: set[int] = set()
    try:
        for line in proc.stderr:
            if "2 points on 2 workers" in line:
                break
        deadline = time.monotonic() + 30
        while len(descendants(proc.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)                            # the fork server and two workers
        time.sleep(2)                                  # the workers build and solve
        workers = descendants(proc.pid)
        assert len(workers) >= 3
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 5
        while any(alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [p for p in workers if alive(p)] == []
    finally:                                           # never leave a run going on failure
        for pid in [proc.pid, *(workers or descendants(proc.pid))]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_next_run_sweeps_what_killed_runs_left(tmp_path):
    parent = tmp_path / "results"
    killed = parent / f".old.crmplan-{HOST}-{dead_pid()}.abcd1234"
    running = parent / f".other.crmplan-{HOST}-{os.getpid()}.efgh5678"
    forgotten = parent / f".older.crmplan-{HOST}-{os.getpid()}.ijkl9012"
    elsewhere = parent / ".run.crmplan-otherhost-1.mnop3456"   # another host: age alone
    users = parent / ".settings.abcdefgh"                       # not ours
    for folder in (killed, running, forgotten, elsewhere, users):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "a.csv").write_text("x\n1\n")
    old = time.time() - STALE_AFTER_S - 60
    os.utime(forgotten, (old, old))
    optimizer.write(optimizer.solve(TINY), parent / "new")
    assert {p.name for p in parent.iterdir()} == {"new", running.name, elsewhere.name,
                                                  users.name}
    assert sweep_stale(parent) == []                  # the rest stays, run after run
