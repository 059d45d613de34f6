"""Progressive hedging against the extensive form on the EU study with N sampled scenarios.

    python benchmarks/ph.py [--scenarios 100] [--ranks 3] [--bundle-sizes 1 10 20]
                            [--time-limit 2400] [--rel-gap 0.01] [--max-iterations 200]
                            [--hub-only] [--no-ef]

The case is the overhead ladder's `eu-N` (benchmarks/overhead.py: the EU default study with N
disruption scenarios sampled with seed 1). It is solved once as the extensive form, then by
`crmplan solve --engine mpisppy` (optimizer.mpisppy.solve_case) once per bundle size, with
PH's time limit set to --time-limit. Per run: PH iterations and wall time, the plan's
objective (the extensive form with PH's plan fixed) and its excess over the extensive form's
optimum, PH's outer bound and gap. Not part of `make bench`: on 2 cores, 100 EU scenarios
take about 50 minutes per bundle size (docs/scale-out.md has the figures). `--hub-only` runs
PH without spokes (the scenarios held once, not once per cylinder); `--no-ef` skips the
extensive form, which for 1,000 EU scenarios needs about 28 GB. Needs the `[mpi]` extra and an
MPI.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from overhead import eu_case  # noqa: E402

from optimizer.mpisppy import solve_case as ph_solve  # noqa: E402
from optimizer.mpisppy.engine import DEFAULT_MAX_ITERATIONS  # noqa: E402
from optimizer.run import solve_case  # noqa: E402

COLUMNS = ("engine", "bundle_size", "iterations", "wall_s", "objective_eur_bn", "vs_ef",
           "outer_bound_eur_bn", "gap")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=100)
    parser.add_argument("--ranks", type=int, default=3)
    parser.add_argument("--bundle-sizes", type=int, nargs="+", default=[20])
    parser.add_argument("--time-limit", type=float, default=2400.0)
    parser.add_argument("--rel-gap", type=float, default=0.01)
    parser.add_argument("--max-iterations", type=int, default=DEFAULT_MAX_ITERATIONS)
    parser.add_argument("--hub-only", action="store_true", help="PH without spokes")
    parser.add_argument("--no-ef", action="store_true", help="skip the extensive form")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("optimizer.mpisppy").setLevel(logging.INFO)   # PH's iteration lines
    case = eu_case(args.scenarios)
    rows, optimum = [], None
    if not args.no_ef:
        ef = solve_case(case).summary
        optimum = ef["objective_eur"]
        rows.append({"engine": "ef", "bundle_size": "", "iterations": "", "wall_s": ef["total_s"],
                     "objective_eur_bn": optimum / 1e9, "vs_ef": 0.0,
                     "outer_bound_eur_bn": optimum * (1 - ef["mip_gap"]) / 1e9,
                     "gap": ef["mip_gap"]})
    for size in args.bundle_sizes:
        ph = ph_solve(case.with_solver(time_limit_s=args.time_limit), ranks=args.ranks,
                      rel_gap=args.rel_gap, bundle_size=size, duals=False,
                      max_iterations=args.max_iterations, hub_only=args.hub_only).summary
        objective = ph["objective_eur"]
        rows.append({"engine": "mpisppy (hub only)" if args.hub_only else "mpisppy",
                     "bundle_size": size, "iterations": ph["ph_iterations"],
                     "wall_s": ph["total_s"],
                     "objective_eur_bn": objective / 1e9 if objective else None,
                     "vs_ef": objective / optimum - 1 if objective and optimum else None,
                     "outer_bound_eur_bn": (ph["outer_bound_eur"] or float("nan")) / 1e9,
                     "gap": ph["mip_gap"]})
    print(f"EU study, {args.scenarios} sampled scenarios, {args.ranks} ranks, "
          f"PH time limit {args.time_limit:g} s, at most {args.max_iterations} iterations, "
          f"gap asked {args.rel_gap:g}\n")
    print("| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS))
    for row in rows:
        print("| " + " | ".join(f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c])
                                for c in COLUMNS) + " |")


if __name__ == "__main__":
    main()
