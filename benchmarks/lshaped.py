"""The L-shaped method against the extensive form on the EU default study with N sampled paths.

    python benchmarks/lshaped.py [--scenarios 100] [--workers 2] [--rel-gap 0.01]
                                 [--time-limit 1200] [--no-ef]

The case is models/default.yaml with `sample: {scenarios: N, seed: 1}` (the dataset's event
model) and no out-of-sample check. It is solved as the extensive form (run.solve_case),
then by `solver.method: lshaped` (decomposition.solve_lshaped), each in this process, side
by side. Per run: wall time end to end (build, solve, results), the objective, the
certified gap (L-shaped: (objective − lower bound)/objective, the lower bound the
master's), the L-shaped rounds, and the peak resident memory and CPU seconds summed over
this process and its descendants, the worker processes too (sampled every 0.5 s from /proc). `--no-ef` skips the extensive form, which
for 1,000 EU scenarios needs about 28 GB. Not part of `make bench`.
"""
from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from optimizer.case import load_case  # noqa: E402
from optimizer.decomposition import solve_lshaped  # noqa: E402
from optimizer.run import solve_case  # noqa: E402
from optimizer.study import Sample, load_study  # noqa: E402

COLUMNS = ("method", "scenarios", "wall_s", "cpu_s", "objective_eur_bn", "lower_bound_eur_bn",
           "gap", "rounds", "peak_rss_gb")


TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a live process (None when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * TICK_S


def _tree(root: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1]
                                               .split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = [root], [root]
    while frontier:
        frontier = [p for p, q in parents.items() if q in frontier]
        tree += frontier
    return tree


class PeakMemory:
    """The peak of the summed RSS of this process and its descendants, while in use, and
    the CPU seconds they used (each process's last reading, sampled with the memory: the
    worker processes are the fork server's children, which getrusage does not count)."""

    def __enter__(self):
        self.peak_kb, self._stop = 0, threading.Event()
        self._start = {p: _cpu_s(p) or 0.0 for p in _tree(os.getpid())}
        self._last: dict[int, float] = {}
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.is_set():
            tree = _tree(os.getpid())
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(p) for p in tree))
            for pid in tree:
                used = _cpu_s(pid)
                if used is not None:
                    self._last[pid] = used
            self._stop.wait(0.5)

    @property
    def cpu_s(self) -> float:
        return sum(used - self._start.get(pid, 0.0) for pid, used in self._last.items())

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()
        mine = _cpu_s(os.getpid())
        self._last[os.getpid()] = mine if mine is not None else 0.0

    @property
    def gb(self) -> float:
        return self.peak_kb / 1024 ** 2


def study_case(n: int, gap: float, time_limit: float, method: str, workers: int | None):
    study = load_study(ROOT / "models" / "default.yaml")
    solver = study.solver.model_copy(update={"mip_rel_gap": gap, "time_limit_s": time_limit,
                                             "method": method, "workers": workers})
    return load_case(study.model_copy(update={"sample": Sample(scenarios=n, seed=1),
                                              "out_of_sample": None, "solver": solver}))


def cpu_s() -> float:
    """CPU seconds (user + system) of this process and its finished children: on a shared
    machine the wall time says as much about the others as about the method."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def fmt(row: dict) -> str:
    return "| " + " | ".join(f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c])
                             for c in COLUMNS) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=100)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--rel-gap", type=float, default=0.01)
    parser.add_argument("--time-limit", type=float, default=1200.0)
    parser.add_argument("--no-ef", action="store_true", help="skip the extensive form")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("optimizer.decomposition").setLevel(logging.INFO)
    rows = []
    methods = ("lshaped",) if args.no_ef else ("extensive", "lshaped")
    for method in methods:
        case = study_case(args.scenarios, args.rel_gap, args.time_limit, method, args.workers)
        with PeakMemory() as memory:
            started, cpu = time.perf_counter(), cpu_s()
            if method == "extensive":
                results = solve_case(case, duals=False)
            else:
                results = solve_lshaped(case, duals=False)
            wall = time.perf_counter() - started
        s = results.summary
        objective = s.get("objective_eur")
        lower = s.get("lower_bound_eur") if method == "lshaped" else \
            None if objective is None else objective * (1 - (s.get("mip_gap") or 0.0))
        rows.append({"method": method, "scenarios": args.scenarios, "wall_s": wall,
                     "cpu_s": max(memory.cpu_s, cpu_s() - cpu),
                     "objective_eur_bn": objective / 1e9 if objective else "-",
                     "lower_bound_eur_bn": lower / 1e9 if lower else "-",
                     "gap": s.get("mip_gap") if s.get("mip_gap") is not None else "-",
                     "rounds": s.get("lshaped_iterations", ""), "peak_rss_gb": memory.gb})
        print(fmt(rows[-1]), flush=True)
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for row in rows:
        print(fmt(row))


if __name__ == "__main__":
    main()
