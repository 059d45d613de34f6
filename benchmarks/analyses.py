"""Analyses that re-solve, before and after holding the model: wall time side by side.

    python benchmarks/analyses.py [--base /work/base] [--study models/default.yaml]
                                  [--only prioritize ranges solve] [--repeat N]

Each command runs as `crmplan ...` in a fresh process twice per round, once with the
package of a base checkout (--base: its PYTHONPATH and its study file) and once with this
checkout's, one right after the other so that both see the same load: the machine is shared,
so the ratio base / this is the figure to read, not either time alone. Best of --repeat
rounds. A command still running after --timeout seconds is stopped and reported as '>T'.

- prioritize: `crmplan prioritize STUDY` (every lever of every material);
- ranges: `crmplan ranges STUDY --slack 0.01` (this checkout: its default, the LP relaxation);
- solve: `crmplan solve STUDY` with the study's out-of-sample check (summary.json's
  out_of_sample.evaluation_s is printed next to the wall time).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CRMPLAN = [sys.executable, "-m", "optimizer"]
COMMANDS = {"prioritize": ["prioritize", "{study}", "--out", "{out}"],
            "ranges": ["ranges", "{study}", "--slack", "0.01", "--out", "{out}"],
            "solve": ["solve", "{study}", "--out", "{out}", "-q"]}
log = logging.getLogger("analyses")


def timed(checkout: Path, name: str, study: str, timeout: float) -> dict:
    """Wall time of one command run on `checkout`'s package (None when it timed out)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        args = [a.format(study=study, out=out) for a in COMMANDS[name]]
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        start = time.perf_counter()
        try:
            done = subprocess.run(CRMPLAN + args, cwd=checkout, env=env, timeout=timeout,
                                  capture_output=True, text=True)
        except subprocess.TimeoutExpired:
            return {"wall_s": None, "ok": False}
        row = {"wall_s": time.perf_counter() - start, "ok": done.returncode == 0}
        summary = out / "summary.json"
        if name == "solve" and summary.exists():
            block = json.loads(summary.read_text()).get("out_of_sample") or {}
            row["out_of_sample_s"] = block.get("evaluation_s")
        if not row["ok"]:
            log.warning("%s on %s failed: %s", name, checkout, done.stderr[-500:])
        return row


def best(rows: list[dict]) -> dict:
    finished = [r for r in rows if r["wall_s"] is not None]
    return min(finished, key=lambda r: r["wall_s"]) if finished else rows[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=Path("/work/base"))
    parser.add_argument("--study", default="models/default.yaml")
    parser.add_argument("--only", nargs="+", choices=list(COMMANDS), default=list(COMMANDS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(f"{'analysis':<12} {'base s':>9} {'this s':>9} {'base/this':>9}  out-of-sample s")
    for name in args.only:
        runs = {"base": [], "this": []}
        for _ in range(args.repeat):
            for label, checkout in (("base", args.base), ("this", ROOT)):
                runs[label].append(timed(checkout, name, args.study, args.timeout))
        base, this = best(runs["base"]), best(runs["this"])

        def show(row: dict) -> str:
            return f">{args.timeout:.0f}" if row["wall_s"] is None else f"{row['wall_s']:.1f}"

        ratio = base["wall_s"] / this["wall_s"] if base["wall_s"] and this["wall_s"] else None
        oos = f"{base.get('out_of_sample_s')} -> {this.get('out_of_sample_s')}" \
            if name == "solve" else ""
        print(f"{name:<12} {show(base):>9} {show(this):>9} "
              f"{(f'{ratio:.1f}x' if ratio else '-'):>9}  {oos}", flush=True)


if __name__ == "__main__":
    main()
