"""Block solving against one HiGHS solve of the whole model, side by side (issue 19).

    python benchmarks/blocks.py [--paths 10 30 100] [--draw 0 300 0] [--repeat 2]

Each rung is models/default.yaml with `sample: {scenarios: N, seed: 1}` (and `draw: M`, a
reduction of M drawn paths, where given; the default study is 30 of 300) and no
out-of-sample check. The Case is built once; the model is then solved `--repeat` times
with `solver.blocks: true` (optimizer/blocks.py) and as many times with `blocks: false`
(the whole model to HiGHS), alternating, in this process. Per rung: the model's size, the
number of blocks, HiGHS time (best of the repeats) each way and their ratio, and each way's
objective and certified gap: both plans are within the study's gap (1%) of the optimum, so
their objectives may differ by up to that.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from optimizer.blocks import split  # noqa: E402
from optimizer.case import load_case  # noqa: E402
from optimizer.formulation import build_model  # noqa: E402
from optimizer.highs import standard_form  # noqa: E402
from optimizer.solve import solve_model  # noqa: E402
from optimizer.study import load_study  # noqa: E402

COLUMNS = ("paths", "columns", "rows", "blocks", "whole_s", "blocks_s", "speed-up",
           "whole_eur_bn", "blocks_eur_bn", "whole_gap", "blocks_gap")


def rung(paths: int, draw: int, repeat: int) -> dict:
    study = load_study(ROOT / "models" / "default.yaml")
    sample = {"scenarios": paths, "seed": 1, "draw": draw or None}
    study = study.model_copy(update={"sample": study.sample.model_copy(update=sample),
                                     "out_of_sample": None})
    case = load_case(study)
    best = {True: (float("inf"), None), False: (float("inf"), None)}
    size = None
    for _ in range(repeat):
        for blocks in (True, False):
            model = build_model(case)
            if size is None:
                form = standard_form(model)[0]
                found = split(form)
                size = (form.A.shape[1], form.A.shape[0], len(found.columns) if found else 1)
            outcome = solve_model(model, case.study.solver.model_copy(update={"blocks": blocks}))
            if outcome.solve_s < best[blocks][0]:
                best[blocks] = (outcome.solve_s, outcome)
    (whole_s, whole), (blocks_s, parts) = best[False], best[True]
    return {"paths": f"{paths}" + (f" of {draw}" if draw else ""), "columns": size[0],
            "rows": size[1], "blocks": size[2], "whole_s": round(whole_s, 2),
            "blocks_s": round(blocks_s, 2), "speed-up": round(whole_s / blocks_s, 1),
            "whole_eur_bn": round(whole.objective / 1e9, 3),
            "blocks_eur_bn": round(parts.objective / 1e9, 3),
            "whole_gap": f"{whole.mip_gap:.2%}", "blocks_gap": f"{parts.mip_gap:.2%}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--draw", type=int, nargs="+", default=None,
                        help="paths drawn before reduction, per rung (0: none)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    draws = args.draw or [0] * len(args.paths)
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for paths, draw in zip(args.paths, draws):
        started = time.perf_counter()
        row = rung(paths, draw, args.repeat)
        print("| " + " | ".join(str(row[c]) for c in COLUMNS) + " |", flush=True)
        logging.getLogger(__name__).info("rung %s in %.0f s", paths, time.perf_counter() - started)


if __name__ == "__main__":
    main()
