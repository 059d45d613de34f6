"""How many sampled paths the default study needs: Mak-Morton-Wood SAA at each N, with and
without variance and scenario reduction.

    python benchmarks/saa_n.py [--study models/default.yaml] [--n 10 20 30 50]
                               [--variants plain stratified reduced] [--draw 200]
                               [--replications 4] [--evaluate 200] [--seed 1] [--write OUT.md]

Per N and variant: the candidate plan is solved on its own sample (plain: N paths drawn
independently; stratified: Latin hypercube on the event starts; reduced: `--draw` stratified
paths reduced to N by fast forward selection, optimizer/reduction.py), R replications of N
stratified-or-plain paths estimate its optimality gap (never reduced, so that the bound stays
valid), and N' independent plain paths estimate its expected cost. Printed per row: N,
variant, the candidate's solve seconds, its in-sample cost (the SAA objective), its
out-of-sample cost ± the two-sided 95% half-width, and the one-sided 95% upper bound on its
optimality gap as a share of the cost.

Every SAA problem is solved through run.solve_case with the study's solver settings, so a
faster engine configured in the study (or merged into the solve path) is what this measures.
Times on a shared machine are noisy: compare variants within one run.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.analysis.disruptions import load_events  # noqa: E402
from optimizer.analysis.saa import saa  # noqa: E402
from optimizer.case import load_case  # noqa: E402
from optimizer.study import load_study  # noqa: E402

log = logging.getLogger("saa_n")
VARIANTS = {"plain": {"stratified": False, "reduce": False},
            "stratified": {"stratified": True, "reduce": False},
            "reduced": {"stratified": True, "reduce": True}}
HEADER = ("| N | variant | candidate solve s | in-sample EUR bn | out-of-sample EUR bn (95%) "
          "| gap bound (95%) | wall s |")


def row(n: int, variant: str, bounds: dict, wall: float) -> str:
    bn = 1e9
    return (f"| {n} | {variant} | {bounds['candidate_solve_s']:.1f} "
            f"| {bounds['candidate_saa_objective_eur'] / bn:.2f} "
            f"| {bounds['candidate_cost_eur'] / bn:.2f} ± "
            f"{bounds['candidate_cost_half_width_eur'] / bn:.2f} "
            f"| {100 * bounds['gap_share']:.2f}% | {wall:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", type=Path, default=ROOT / "models" / "default.yaml")
    parser.add_argument("--n", type=int, nargs="+", default=[10, 20, 30, 50])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--draw", type=int, default=200)
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--evaluate", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--write", type=Path, default=None, help="append the table here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    case = load_case(load_study(args.study))
    events = load_events(None, case)
    lines = [HEADER, "|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    for n in args.n:
        for variant in args.variants:
            options = VARIANTS[variant]
            start = time.perf_counter()
            _, bounds = saa(case, events, n, args.replications, args.evaluate, args.seed,
                            workers=args.workers, stratified=options["stratified"],
                            draw=max(args.draw, n) if options["reduce"] else None)
            lines.append(row(n, variant, bounds, time.perf_counter() - start))
            print(lines[-1], flush=True)
    if args.write:
        with args.write.open("a") as out:
            out.write(f"\n{args.study} (R = {args.replications}, N' = {args.evaluate}, "
                      f"draw = {args.draw}, seed {args.seed})\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
