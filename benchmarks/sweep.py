"""Sweep throughput: N sweep points against N single solves, on 1 and 2 worker processes.

    python benchmarks/sweep.py [--studies models/tiny.yaml models/default.yaml] [--points N]

Per study, N points scale the Chinese sources' prices by factors around 1
(sources.price_eur_per_t[country=cn]). `single` solves them one after another in this
process, with HiGHS threads = cores and with 1 thread, after one warm-up solve;
`sweep` runs optimizer.analysis.sweep with 1 worker (in process, threads = cores) and with 2
worker processes (threads = cores // 2 each, started from a fork server: their start-up is
included), writing nothing. ratio = wall time / single's wall time, and vs_half = wall time /
(single's wall time / 2): issue 6 asks that 2 workers take at most 1.15 x N/2 single solves.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from optimizer.analysis import sweep  # noqa: E402
from optimizer.analysis.parallel import cores  # noqa: E402
from optimizer.analysis.params import apply, parse_param  # noqa: E402
from optimizer.case import load_case  # noqa: E402
from optimizer.run import solve_case  # noqa: E402
from optimizer.study import load_study  # noqa: E402

PARAM = "sources.price_eur_per_t[country=cn]"


def factors(n: int) -> list[float]:
    return [round(0.8 + 0.6 * i / max(n - 1, 1), 4) for i in range(n)]


def single(case, values: list[float], threads: int) -> float:
    """Wall time of one solve per value, in this process."""
    case = case.with_solver(threads=threads)
    param = parse_param(PARAM, case)
    solve_case(case)     # warm-up: first-call costs (imports, HiGHS start) are not the points'
    start = time.perf_counter()
    for value in values:
        results = solve_case(apply(case, [(param, value)]))
        assert results.ok, results.status
    return time.perf_counter() - start


def bench(path: str, n: int) -> list[dict]:
    case = load_case(load_study(ROOT / path))
    values = factors(n)
    rows = [{"study": path, "mode": "single", "workers": 1, "threads": t,
             "wall_s": single(case, values, t)} for t in sorted({cores(), 1}, reverse=True)]
    for workers in (1, 2):
        start = time.perf_counter()
        frame = sweep(case, {PARAM: values}, workers=workers)
        assert (frame["status"].isin(["optimal", "feasible"])).all()
        rows.append({"study": path, "mode": "sweep", "workers": workers,
                     "threads": max(1, cores() // workers),
                     "wall_s": time.perf_counter() - start})
    for row in rows:
        row.update(points=n, ratio=row["wall_s"] / rows[0]["wall_s"],
                   vs_half=row["wall_s"] / (rows[0]["wall_s"] / 2), per_point_s=row["wall_s"] / n)
    return rows


COLUMNS = ["study", "mode", "workers", "threads", "points", "wall_s", "per_point_s", "ratio",
           "vs_half"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", nargs="+", default=["models/tiny.yaml", "models/default.yaml"])
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--append", type=Path, help="also append the table to this markdown file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    print(f"cores: {cores()}", *lines, sep="\n", flush=True)
    for path in args.studies:
        if not (ROOT / path).is_file():
            print(f"{path}: not found, skipped")
            continue
        for r in bench(path, args.points):
            lines.append("| " + " | ".join(f"{r[c]:.3g}" if isinstance(r[c], float) else str(r[c])
                                           for c in COLUMNS) + " |")
            print(lines[-1], flush=True)
    if args.append:
        with args.append.open("a") as f:
            f.write("\n## Sweep throughput (benchmarks/sweep.py)\n\n" + (__doc__ or "")
                    + f"\ncores: {cores()}\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
