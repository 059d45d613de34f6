"""The benchmark ladder: crmplan's own overhead next to HiGHS alone, rung by rung.

    python benchmarks/overhead.py [--sizes 4x3x10x5 ...] [--eu 10 60 100] [--repeat 2]
                                  [--write RESULTS.md]

Rungs are synthetic studies (materials x sources x years x scenarios, benchmarks/synthetic.py)
and the EU default study with N sampled disruption scenarios (the stress generator's default
rules). Per rung: Pyomo build, hand-over to HiGHS (standard form + passModel), HiGHS solve,
result extraction, peak memory, and the same model written as MPS and solved by highspy alone
with the same options: ratio = end-to-end / HiGHS alone, overhead = (end-to-end - HiGHS) /
end-to-end. nodes is HiGHS' branch-and-bound node count (for a model solved in independent
blocks, optimizer/blocks.py, the blocks' MIP nodes: 0 when LP and rounding settle every block).

Each rung runs in a process of its own, warmed up by solving a tiny study first: what a rung
measures is then that model's cost, not one-time imports (about 0.5 s of scipy and Pyomo's
compiler on the first solve of a process), and peak_mb is that rung's peak resident memory.
With `--repeat N` the rung is solved N times end to end and N times alone; the table gives the
fastest end-to-end run and the fastest solve alone (best of N, as timeit does), since HiGHS'
own time varies by up to a tenth from run to run on 2 threads.

`eu-60` is the EU study at the 200,000-variable size (198,083 variables), next to the
synthetic rung of that size: issue 6's overhead target is read on both (docs/performance.md).

The EU rung with 1,000 scenarios (`--eu 1000`, 3.3 million variables) is not in the default
ladder: at 2.8 GB per 100 scenarios it needs about 28 GB, more than the 23 GB machine the
ladder runs on (docs/scale-out.md has what that means for mpi-sppy).
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import generate  # noqa: E402

from optimizer.analysis.disruptions import Events  # noqa: E402
from optimizer.analysis.stress import monte_carlo_samples  # noqa: E402
from optimizer.case import Case, load_case  # noqa: E402
from optimizer.formulation import build_model  # noqa: E402
from optimizer.run import versions  # noqa: E402
from optimizer.scenarios import with_scenarios  # noqa: E402
from optimizer.tables import plan_tables  # noqa: E402
from optimizer.highs import new_highs, to_highs  # noqa: E402
from optimizer.solve import solve_model  # noqa: E402
from optimizer.study import load_study  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIZES = ["4x3x10x5", "8x5x15x10", "10x6x15x40", "20x6x15x40"]
EU = [10, 60, 100]
COLUMNS = ["rung", "vars", "rows", "build_s", "handover_s", "highs_s", "extract_s", "total_s",
           "highs_alone_s", "overhead", "ratio", "nodes", "peak_mb"]


def end_to_end(case: Case) -> tuple[dict, object]:
    """One solve as crmplan runs it: build, hand-over, HiGHS, extraction; and the model."""
    t0 = time.perf_counter()
    model = build_model(case)
    build = time.perf_counter() - t0
    outcome = solve_model(model, case.study.solver)
    t0 = time.perf_counter()
    plan_tables(case, model)
    extract = outcome.extract_s + time.perf_counter() - t0
    total = build + outcome.transfer_s + outcome.solve_s + extract
    return {"build_s": build, "handover_s": outcome.transfer_s, "highs_s": outcome.solve_s,
            "extract_s": extract, "total_s": total, "nodes": outcome.nodes}, model


def highs_alone(mps: Path, solver) -> float:
    """Seconds HiGHS takes on the model read from `mps`, with the study's options."""
    alone = new_highs()
    alone.readModel(str(mps))
    for key, value in (("threads", solver.threads), ("mip_rel_gap", solver.mip_rel_gap),
                       ("random_seed", solver.seed), ("time_limit", solver.time_limit_s)):
        alone.setOptionValue(key, value)
    t0 = time.perf_counter()
    alone.run()
    return time.perf_counter() - t0


def measure(name: str, case: Case, tmp: Path, repeat: int = 1) -> dict:
    """The fastest of `repeat` end-to-end runs against the fastest of `repeat` solves alone."""
    runs, model = [], None
    for _ in range(repeat):
        del model                       # one model in memory at a time: peak_mb is one solve's
        run, model = end_to_end(case)
        runs.append(run)
    best = min(runs, key=lambda r: r["total_s"])
    mps = tmp / f"{name}.mps"
    handover = to_highs(model)
    handover.highs.writeModel(str(mps))
    alone = min(highs_alone(mps, case.study.solver) for _ in range(repeat))
    return {"rung": name, "vars": handover.highs.getNumCol(), "rows": handover.highs.getNumRow(),
            **best, "highs_alone_s": alone,
            "overhead": (best["total_s"] - best["highs_s"]) / best["total_s"],
            "ratio": best["total_s"] / alone,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def synthetic_case(size: str, tmp: Path) -> Case:
    materials, sources, years, scenarios = (int(x) for x in size.split("x"))
    return load_case(load_study(generate(tmp / size, materials, sources, years, scenarios)))


def eu_case(n: int) -> Case:
    case = load_case(load_study(ROOT / "models" / "default.yaml"))
    samples = monte_carlo_samples(case, Events(), n, seed=1)
    return with_scenarios(case, {name: (w, data) for name, w, data in samples})


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor())
    mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.split("\n")[1]
    return (f"{date.today()}, {platform.node()}: {cpu}, {len(__import__('os').sched_getaffinity(0))}"
            f" cores, {mem.split()[1]} GiB; " + ", ".join(f"{k} {v}" for k, v in versions().items()))


def fmt(row: dict) -> str:
    return "| " + " | ".join(f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c])
                             for c in COLUMNS) + " |"


def one_rung(rung: str, repeat: int) -> dict:
    """Measure one rung (`4x3x10x5` or `eu-100`) in this process, after a warm-up solve."""
    with tempfile.TemporaryDirectory() as tmp:
        measure("warm-up", synthetic_case("2x2x3x2", Path(tmp)), Path(tmp))
        case = eu_case(int(rung[3:])) if rung.startswith("eu-") else \
            synthetic_case(rung, Path(tmp))
        return measure(rung, case, Path(tmp), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=SIZES)
    parser.add_argument("--eu", nargs="*", type=int, default=EU,
                        help="EU default study with this many sampled scenarios")
    parser.add_argument("--repeat", type=int, default=1,
                        help="solve each rung this many times both ways; report the fastest")
    parser.add_argument("--write", type=Path, help="also write the table to this markdown file")
    parser.add_argument("--one", help=argparse.SUPPRESS)    # a rung, in a process of its own
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_rung(args.one, args.repeat)))
        return
    lines = [f"Machine: {machine()}", "", "| " + " | ".join(COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    print("\n".join(lines), flush=True)
    for rung in list(args.sizes) + [f"eu-{n}" for n in args.eu]:
        run = subprocess.run([sys.executable, __file__, "--one", rung, "--repeat",
                              str(args.repeat)], capture_output=True, text=True, check=True)
        lines.append(fmt(json.loads(run.stdout.strip().splitlines()[-1])))
        print(lines[-1], flush=True)
    if args.write:
        args.write.write_text("# Benchmark ladder (`make bench`)\n\n" + (__doc__ or "") + "\n"
                              + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
