"""Explaining an infeasible study, and naming policy constraint rows in the planner's words.

Method: the elastic relaxation. Every policy constraint gets a non-negative slack and the model
minimises the total violation Σ slack/scale (the economics stays out of it). The rows whose
slack stays positive are those that must give way: no plan the data allows meets them. The
policy rows that are tight in that least-violating plan are the ones they conflict with.
Each row is mapped back to its study key, material, country, year and scenario, and to the
data that limits it (the facilities, sources or stock limits of that material), as the
concern that adds it declares (PolicyRow in formulation/declarations.py).
"""
from __future__ import annotations

import logging

import pandas as pd
import pyomo.environ as pyo

from .case import Case
from .formulation import build_model
from .results import COLUMNS
from .solve import solve_model

log = logging.getLogger(__name__)

def explain_infeasible(case: Case, prepare=None) -> pd.DataFrame:
    """The policy rows that must give way, with what they conflict with (conflicts.csv);
    `prepare(model)` puts on the elastic model what was put on the failed one (a held plan)."""
    model = build_model(case, elastic=True)
    if prepare is not None:
        prepare(model)
    outcome = solve_model(model, case.study.solver)
    if not outcome.has_plan:
        log.error("the elastic relaxation did not solve (%s)", outcome.status)
        return pd.DataFrame(columns=COLUMNS["conflicts"])
    violated, tight = [], set()
    for name, slack, scale in model.elastic_slacks:
        con = model.find_component(name)
        for index, var in slack.items():
            amount = var.value or 0.0
            if amount > 1e-6 * scale:
                violated.append((name, index, amount))
            elif _is_tight(con[index]):
                tight.add(model.policy_rows[name].key)
    rows = []
    for name, index, amount in violated:
        row = model.policy_rows[name]
        where = row.where(index)
        partners = sorted(tight - {row.key})
        text = row.context(case, where)
        if partners:
            text += "; it conflicts with " + ", ".join(partners)
        rows.append((name, row.key, where["material"], where["country"], where["year"],
                     where["scenario"], amount, row.unit, text))
    frame = pd.DataFrame(rows, columns=COLUMNS["conflicts"])
    log.info("infeasible: %d policy row(s) must give way", len(frame))
    return frame


def _is_tight(con) -> bool:
    body = pyo.value(con.body)
    for bound in (con.lower, con.upper):
        if bound is not None and abs(body - pyo.value(bound)) <= 1e-6 * max(1.0, abs(body)):
            return True
    return False


def summarize_conflicts(conflicts: pd.DataFrame, limit: int = 8) -> list[str]:
    """A few lines a planner can read: one per policy key and material."""
    lines = []
    for (key, mat), group in conflicts.groupby(["policy", "material"], sort=False):
        years = sorted({y for y in group["year"] if y != ""})
        span = f" in {years[0]}-{years[-1]}" if len(years) > 1 else (f" in {years[0]}" if years else "")
        what = f" for {mat}" if mat else ""
        lines.append(f"{key}{what}{span}: short by up to {group['violation'].max():,.1f} "
                     f"{group['unit'].iloc[0]}; {group['explanation'].iloc[0]}")
    return lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])
