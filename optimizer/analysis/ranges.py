"""Near-optimal ranges: how far each key decision can move for a small rise in cost.

Modelling to generate alternatives, as PyPSA's `optimize_mga`: solve the study once (cost
C*), then over the plans that cost at most C* + slack·|C*|, minimise and maximise each key
decision (formulation.decisions: stock per material, units built per facility, contracted
share per country and material, EU output share per material). What happens to the integers
(units built, options adopted) is the `integers` setting (INTEGERS):

- relaxed (the default): each extreme is an LP over the LP relaxation within slack, as
  PyPSA's `optimize_mga` ranges a linear model. Its range contains the range over integer
  plans (it may go further by fractional plants), so a decision it calls firm is firm among
  integer plans too; a units range reads "up to 3.3 units" where 3 can be built.
- held: each extreme is an LP with the integers held at the chosen plan: every value is
  one a plan within slack takes, but units ranges are points and the others may be narrower.
- mip: each extreme is a MIP, integers kept (solve_extremes): exact, and slow at the EU
  scale (a MIP per extreme).

The LPs run on one kept model per worker: only the objective changes between solves
(HiGHS changeColsCost), each by primal simplex from the optimal basis of the study's own
objective in that model. A model whose materials share no row (optimizer/blocks.py) is
ranged block by block: each decision over the blocks it touches alone, with their share of
the reference cost plus the whole slack as budget (optimizer/block_extremes.py: the same
ranges, much smaller solves).

A decision is firm when max − min ≤ tolerance · max(|chosen|, floor of its unit): 5% of
its chosen value, or of 1 t, 1 unit, or 1 percentage point of demand when the chosen value
is smaller. Otherwise it is loose: another plan within slack of the optimum differs there.

Solves are spread over worker processes by parts of the (decision, sense) jobs; each worker
builds and hands over the model once per part and swaps only the objective between jobs
(one part per worker for the LPs, a few for the MIPs so that a slow one does not hold up
the rest). The parts are of nearly equal estimated time, each block's extremes shared out
over them (block_extremes.shares), not of equal count: one block's may take most of the time.
"""
from __future__ import annotations

import logging

import pandas as pd

from ..case import Case
from ..formulation.decisions import Decision, key_decisions
from ..block_extremes import extremes
from ..solve_extremes import Reference, solve_reference
from .parallel import allocate, run_all

log = logging.getLogger(__name__)
COLUMNS = ["decision", "kind", "material", "facility", "country", "chosen", "min", "max",
           "unit", "firm", "proven", "min_bound", "max_bound"]
FLOOR = {"t": 1.0, "units": 1.0, "share": 0.01}
TOLERANCE = 0.05
CHUNKS_PER_WORKER = {"mip": 3, "relaxed": 1, "held": 1}
INTEGERS = tuple(CHUNKS_PER_WORKER)
GAP = 0.01            # relative MIP gap of each extreme
TIME_LIMIT_S = 60.0   # per extreme (the study's own limit if lower)


def firm(chosen: float, low: float, high: float, unit: str,
         tolerance: float = TOLERANCE) -> bool:
    """max − min within `tolerance` of the chosen value's scale (see the module doc)."""
    return high - low <= tolerance * max(abs(chosen), FLOOR[unit])


def solve_count(case: Case) -> int:
    """How many solves `ranges` makes: the study once, then a min and a max per decision
    (which decisions there are does not depend on the plan, only their scale does)."""
    return 1 + 2 * len(key_decisions(case, {}))


def _part(job: tuple) -> dict[int, tuple[float, float, str]]:
    case, reference, slack, jobs, threads, gap, time_limit_s, integers, part = job
    return extremes(case.with_solver(threads=threads), reference, slack, jobs, gap, time_limit_s,
                    integers, part)


def ranges(case: Case, slack: float = 0.01, workers: int | None = None, progress=None,
           gap: float = GAP, time_limit_s: float = TIME_LIMIT_S, integers: str = "relaxed"
           ) -> tuple[pd.DataFrame, dict]:
    """(ranges table, summary): every key decision's chosen value, min and max within slack.

    min and max are values some plan within slack takes (the best each MIP found within
    `gap` and `time_limit_s`); min_bound and max_bound are what the solver proved no such
    plan goes beyond; proven says both MIPs closed their gap.

    The summary holds the reference cost, its gap, the slack, the counts of firm and loose
    decisions and of extremes not proven optimal. Raises RuntimeError if the study itself
    has no plan.
    """
    if slack < 0:
        raise ValueError(f"slack must be non-negative, got {slack}")
    if integers not in INTEGERS:
        raise ValueError(f"integers must be one of {', '.join(INTEGERS)}, got {integers!r}")
    _, threads = allocate(1, workers)
    reference = solve_reference(case.with_solver(threads=threads))
    decisions = reference.decisions
    if progress:
        progress()
    if reference.objective_eur is None:
        raise RuntimeError(f"the study has no plan ({reference.status}): nothing to range")
    # a material's decisions side by side; each part solves its share of them
    # (block_extremes.shares)
    jobs = [(d, sense) for d in sorted(decisions, key=lambda d: _material(case, d))
            for sense in ("min", "max")]
    n, threads = allocate(len(jobs), workers)
    count = min(len(jobs), n * CHUNKS_PER_WORKER[integers])
    limit = min(time_limit_s, case.study.solver.time_limit_s)
    done = run_all(_part, [(case, reference, slack, jobs, threads, gap, limit, integers,
                            (k, count)) for k in range(count)], n,
                   _per_part(progress, len(jobs), count))
    found = {jobs[i]: result for part in done for i, result in part.items()}
    table = _table(decisions, reference, found)
    summary = {"slack": slack, "objective_eur": reference.objective_eur,
               "budget_eur": reference.objective_eur + slack * abs(reference.objective_eur),
               "mip_gap": reference.mip_gap, "decisions": len(table),
               "firm": int(table["firm"].sum()), "loose": int((~table["firm"]).sum()),
               "not_proven": int((~table["proven"]).sum()), "solves": 1 + len(jobs),
               "workers": n, "gap": gap, "time_limit_s": limit, "integers": integers}
    log.info("ranges: %d decisions, %d firm, over %d solves", len(table), summary["firm"],
             summary["solves"])
    return table, summary


def _material(case: Case, decision: Decision) -> str:
    """The material a decision is about (a facility's: its output)."""
    return decision.material or str(case.facilities.at[decision.facility, "output"])


def _per_part(progress, jobs: int, count: int):
    """A progress callback that counts jobs / count solves for each finished part (the parts
    are of nearly equal estimated time, not of equal size: the count is approximate until
    the last)."""
    if progress is None:
        return None
    size = iter([jobs * (k + 1) // count - jobs * k // count for k in range(count)])

    def step():
        for _ in range(next(size, 0)):
            progress()
    return step


def _table(decisions: list[Decision], reference: Reference, found: dict) -> pd.DataFrame:
    rows = []
    for d, chosen in zip(decisions, reference.chosen):
        (low, low_bound, low_status), (high, high_bound, high_status) = \
            found[d, "min"], found[d, "max"]
        # the chosen plan is feasible for both: a solver tolerance may put it a hair outside
        low, high = min(low, chosen), max(high, chosen)
        low_bound, high_bound = min(low_bound, low), max(high_bound, high)
        chosen = 0.0 if abs(chosen) < 1e-9 else chosen
        rows.append({"decision": d.label, "kind": d.kind, "material": d.material,
                     "facility": d.facility, "country": d.country, "chosen": chosen,
                     "min": low, "max": high, "unit": d.unit,
                     "firm": firm(chosen, low, high, d.unit),
                     "proven": low_status == high_status == "optimal",
                     "min_bound": low_bound, "max_bound": high_bound})
    return pd.DataFrame(rows, columns=COLUMNS)
