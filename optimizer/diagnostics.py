"""Explaining an infeasible study, and naming policy constraint rows in the planner's words.

Method: the elastic relaxation. Every policy constraint gets a non-negative slack and the model
minimises the total violation Σ slack/scale (the economics stays out of it). The rows whose
slack stays positive are those that must give way: no plan the data allows meets them. The
policy rows that are tight in that least-violating plan are the ones they conflict with.
Each row is mapped back to its study key, material, country, year and scenario, and to the
data that limits it (the facilities, sources or stock limits of that material).
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

UNITS = {"budget": "EUR", "land_limit": "ha", "energy_limit": "GWh/yr", "staff_limit": "FTE",
         # the aggregate CRMA rows weigh tonnes by normal price: million EUR of consumption
         "eu_extraction_aggregate_share": "MEUR", "eu_processing_aggregate_share": "MEUR",
         "recycling_aggregate_share": "MEUR"}
KIND = {"eu_extraction_share": "mining", "eu_processing_share": "refining",
        "recycling_share": "recycling"}


def labels(name: str, index) -> dict:
    """material, country, year and scenario of one policy constraint row."""
    k = index if isinstance(index, tuple) else (index,)
    if name == "country_share_limit":
        return dict(material=k[0], country=k[1], year=k[2], scenario=k[3])
    if name in ("land_limit", "energy_limit", "staff_limit"):
        return dict(material="", country="", year=k[0], scenario="*")
    if name == "budget":
        return dict(material="", country="", year="", scenario="*")
    if name.endswith("_aggregate_share"):
        return dict(material="*", country="", year=k[0], scenario=k[1])
    return dict(material=k[0], country="", year=k[1], scenario=k[2])


def _data_context(case: Case, name: str, where: dict) -> str:
    """What in the data limits this row."""
    fac, mat = case.facilities, where.get("material")
    if name in KIND:
        eu = fac["country"].map(case.countries["eu"])
        options = fac[eu & (fac["kind"] == KIND[name]) & (fac["output"] == mat)]
        if options.empty:
            return f"facilities.csv has no EU {KIND[name]} facility producing {mat}"
        year = int(where["year"])
        online = pd.Series({f: case.online_year(f, first)
                            for f, first in options["available_from"].items()}, dtype=int)
        ready = options[(online <= year) | (options["existing_units"] > 0)]
        now = ((ready["existing_units"] + ready["max_units"].where(online[ready.index] <= year, 0))
               * ready["capacity_t_per_yr"]).sum()
        text = (f"EU {KIND[name]} of {mat} could reach at most {now:,.0f} t/yr in {year} "
                f"with every unit the data offer (facilities.csv: {', '.join(options.index)})")
        if online.min() > year:
            text += f"; new units come online from {int(online.min())} at the earliest (lead time)"
        return text
    if name == "country_share_limit":
        others = case.sources.index[(case.sources["material"] == mat)
                                    & (case.sources["country"] != where["country"])]
        year = int(where["year"])
        offered = sum(case.capacity[s, year] for s in others)
        return (f"sources of {mat} outside {where['country']} offer at most "
                f"{offered:,.0f} t/yr in {year} (sources.csv, source_capacity.csv)")
    if name == "stock_days":
        return (f"stock of {mat} is limited by max_stock_t or by having no source to fill it "
                "(materials.csv, sources.csv)")
    if name == "shortfall_share_limit":
        return f"supply of {mat} in that scenario-year cannot reach the demand"
    if name == "budget":
        return "the other policies need more capital than budget_eur"
    if name.endswith("_aggregate_share"):
        return ("EU plants of the benchmark's materials, by value taken together, cannot reach "
                "the share (facilities.csv)")
    return "facilities in the listed countries cannot meet the other policies within it"


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
                tight.add(model.policy_keys[name])
    rows = []
    for name, index, amount in violated:
        where = labels(name, index)
        key = model.policy_keys[name]
        partners = sorted(tight - {key})
        text = _data_context(case, name, where)
        if partners:
            text += "; it conflicts with " + ", ".join(partners)
        rows.append((name, key, where["material"], where["country"], where["year"],
                     where["scenario"], amount, UNITS.get(name, "t"), text))
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
