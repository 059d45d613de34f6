"""The out-of-sample check of a solve, before and after the kept LP: time and figures side by side.

    python benchmarks/out_of_sample.py [--base /work/main] [--study models/default.yaml]
                                       [--plan PLAN.pkl] [--repeat 2] [--workers W]

The study is solved once here (or its plan read from --plan, a pickle of
{variable name: {index: value}}); then, per round, the study's out-of-sample check of that plan
runs in a fresh process on the base checkout's package (--base: its PYTHONPATH) and right after
on this checkout's, so that both see the same load: the machine is shared, so the ratio
base / this is the figure to read. Each process times what `crmplan solve` does after the
solve (analysis/out_of_sample.py): sampling the paths from the event model, then
evaluate_samples (worker processes, held models, one LP per sample), and prints the figures
of summary.json's out_of_sample block, which must agree to 1e-6 relative. Best of --repeat.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ("expected_cost_eur", "cvar_eur", "p_shortfall")
log = logging.getLogger("out_of_sample")


def check(study: str, plan_file: str, workers: int | None) -> dict:
    """In a process of one checkout: the study's out-of-sample check of the plan, timed."""
    from statistics import NormalDist

    from optimizer.analysis.disruptions import load_events
    from optimizer.analysis.out_of_sample import cvar_interval
    try:     # this checkout's default; a base without workers_for used the cores
        from optimizer.analysis.out_of_sample import workers_for as default_workers
    except ImportError:
        from optimizer.analysis.parallel import cores

        def default_workers(settings):
            return settings.workers or cores()
    from optimizer.analysis.stress import evaluate_samples, monte_carlo_samples, summarize
    from optimizer.case import load_case
    from optimizer.plan import Plan
    from optimizer.study import load_study

    case = load_case(load_study(study))
    settings = case.study.out_of_sample
    plan = Plan(pickle.loads(Path(plan_file).read_bytes()))
    start = time.perf_counter()
    samples = monte_carlo_samples(case, load_events(settings.events, case), settings.samples,
                                  settings.seed)
    sampled = time.perf_counter()
    frame = evaluate_samples(case, plan, samples, workers or default_workers(settings))
    done = time.perf_counter()
    alpha = case.study.risk.alpha
    table = summarize(frame, exact=False, level=settings.level, alpha=alpha).set_index("metric")
    z = NormalDist().inv_cdf((1 + settings.level) / 2)
    costs = frame.loc[frame["status"] == "optimal", "total_cost_eur"].to_numpy(dtype=float)
    return {"workers": workers or default_workers(settings), "sampling_s": sampled - start,
            "evaluate_s": done - sampled, "total_s": done - start,
            "expected_cost_eur": [float(table.at["total_cost_eur", k])
                                  for k in ("ci_low", "mean", "ci_high")],
            "cvar_eur": cvar_interval(costs, alpha, z),
            "p_shortfall": [float(table.at["p_any_shortfall", k])
                            for k in ("ci_low", "mean", "ci_high")]}


def run(checkout: Path, study: str, plan_file: str, workers: int | None) -> dict:
    """check() in a fresh process on `checkout`'s package."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    args = [sys.executable, __file__, "--child", "--study", study, "--plan", plan_file]
    args += ["--workers", str(workers)] if workers else []
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def solved_plan(study: str, path: Path) -> None:
    """Solve the study here (no out-of-sample check) and pickle its plan to `path`."""
    import optimizer
    from optimizer.plan import Plan

    loaded = optimizer.load_study(study)
    case = optimizer.load_case(loaded.model_copy(update={"out_of_sample": None}))
    results = optimizer.solve_case(case, duals=False)
    path.write_bytes(pickle.dumps(dict(Plan.of(results, case).decisions)))


def largest_difference(a: dict, b: dict) -> float:
    return max(abs(x - y) / max(abs(x), 1e-12) for key in FIGURES
               for x, y in zip(a[key], b[key]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=Path("/work/main"))
    parser.add_argument("--study", default="models/default.yaml")
    parser.add_argument("--plan", help="a pickled plan (skips the solve)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(check(args.study, args.plan, args.workers)))
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        plan = args.plan or str(Path(tmp) / "plan.pkl")
        if not args.plan:
            log.info("solving %s for its plan", args.study)
            solved_plan(args.study, Path(plan))
        rounds = {"base": [], "this": []}
        for i in range(args.repeat):
            for side, checkout in (("base", args.base), ("this", ROOT)):
                rounds[side].append(run(checkout, args.study, plan, args.workers))
                log.info("round %d %s: %.2f s", i + 1, side, rounds[side][-1]["total_s"])
    base, this = (min(rows, key=lambda r: r["total_s"]) for rows in rounds.values())
    print(f"{args.study}, out of sample, best of {args.repeat} (base {args.base} | this "
          "checkout), seconds")
    print(f"{'':12}{'workers':>10}{'sampling':>10}{'evaluate':>10}{'total':>10}")
    for name, row in (("base", base), ("this", this)):
        print(f"{name:12}{row['workers']:10d}" + "".join(
            f"{row[k]:10.2f}" for k in ("sampling_s", "evaluate_s", "total_s")))
    print(f"{'ratio':12}{'':10}{base['sampling_s'] / this['sampling_s']:10.1f}"
          f"{base['evaluate_s'] / this['evaluate_s']:10.1f}{base['total_s'] / this['total_s']:10.1f}")
    for key in FIGURES:
        print(f"{key}: base {base[key]}, this {this[key]}")
    print(f"largest relative difference of a figure: {largest_difference(base, this):.1e}")


if __name__ == "__main__":
    main()
