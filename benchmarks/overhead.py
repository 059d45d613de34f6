"""crmplan's overhead next to HiGHS alone, per size of synthetic study.

    python benchmarks/overhead.py [--sizes 5x4x10x5 10x6x15x20 ...]

Per rung (materials x sources x years x scenarios): Pyomo build, hand-over to HiGHS
(standard form + passModel), HiGHS solve, result extraction, and the same model written as MPS
and solved by highspy alone with the same options. ratio = end-to-end / HiGHS alone.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import highspy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import generate  # noqa: E402

from optimizer.case import load_case  # noqa: E402
from optimizer.formulation import build_model  # noqa: E402
from optimizer.run import plan_tables  # noqa: E402
from optimizer.solve import new_highs, solve_model, to_highs  # noqa: E402
from optimizer.study import load_study  # noqa: E402

DEFAULT = ["4x3x10x5", "8x5x15x10", "10x6x15x40", "20x6x15x60"]


def rung(size: str, tmp: Path) -> dict:
    materials, sources, years, scenarios = (int(x) for x in size.split("x"))
    study = load_study(generate(tmp / size, materials, sources, years, scenarios))
    case = load_case(study)
    t0 = time.perf_counter()
    model = build_model(case)
    build = time.perf_counter() - t0
    outcome = solve_model(model, study.solver)
    t0 = time.perf_counter()
    plan_tables(case, model)
    extract = outcome.extract_s + time.perf_counter() - t0
    mps = tmp / f"{size}.mps"
    handover = to_highs(model)
    handover.highs.writeModel(str(mps))
    alone = new_highs()
    alone.readModel(str(mps))
    for key, value in (("threads", 1), ("mip_rel_gap", study.solver.mip_rel_gap),
                       ("random_seed", study.solver.seed), ("time_limit", 600.0)):
        alone.setOptionValue(key, value)
    highspy.Highs.resetGlobalScheduler(True)
    t0 = time.perf_counter()
    alone.run()
    highs_alone = time.perf_counter() - t0
    total = build + outcome.transfer_s + outcome.solve_s + extract
    return {"rung": size, "vars": handover.highs.getNumCol(), "rows": handover.highs.getNumRow(),
            "build_s": build, "handover_s": outcome.transfer_s, "highs_s": outcome.solve_s,
            "extract_s": extract, "total_s": total, "highs_alone_s": highs_alone,
            "overhead": (total - outcome.solve_s) / total, "ratio": total / highs_alone,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=DEFAULT)
    args = parser.parse_args()
    cols = ["rung", "vars", "rows", "build_s", "handover_s", "highs_s", "extract_s", "total_s",
            "highs_alone_s", "overhead", "ratio", "peak_mb"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            row = rung(size, Path(tmp))
            print("| " + " | ".join(f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c])
                                    for c in cols) + " |", flush=True)


if __name__ == "__main__":
    main()
