"""A plan's output tables from the scenario LPs themselves, with no extensive form.

With the plan x held, the extensive form falls apart by scenario, and scenario w's part is
w's LP in the workers (subproblems.ScenarioLPs): the second stage of the extensive form held
at x is, scenario by scenario, those LPs' solutions. So each worker loads each of its
scenarios' solution at x into its one-scenario template (the same builder's model, w's data
in its Params) and reads the tables off it as results.py reads a solved model (`Part`):

- flows, shortfall (share_of_demand against w's demand) and the scenario rows of costs,
  relabelled from the template's scenario to w;
- the row duals of explain.ROWS (material_balance, production_within_capacity) in w's LP,
  whose objective counts w with probability 1;
- the first stage from the plan's values: builds, contracts, stock capacity and the
  first-stage rows of costs (each first_stage_component at its definition).

`plan_results` joins the workers' parts as the extensive form would report them: stockpile's
days of cover from the joined flows, kpis, the costs split by material and materials.csv
from the joined tables, expected cost, CVaR and the objective (expected cost + weight·CVaR
in a study weighing CVaR) over every scenario with its probability. A row dual of w's LP
times π_w, the weight of w's cost in the objective (explain.objective_weight: p_w, plus the
CVaR weight times w's share of the tail), is the extensive form's dual, which why.csv reads.

A decomposable study has no policy row per scenario (engine.decomposable); one over the plan
alone (budget, land, energy, staff) is met by the held plan or not and has no price in
these LPs, so duals.csv stays empty.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from .. import explain, kpis
from .. import results as R
from ..case import Case
from ..materials import with_materials
from ..plan import Plan
from ..results import COLUMNS, Results
from ..scenarios import ScenarioData


@dataclass
class Part:
    """One worker's share of a plan's tables (`tables` labelled by scenario) and its
    scenarios' row duals at probability 1 ({(row name, index): EUR per unit})."""

    tables: dict[str, pd.DataFrame]
    duals: dict
    first_stage: dict[str, pd.DataFrame]


def row_senses(form) -> list[int]:
    """standard_form's sense of each row of a KeptLP form: 1 for ≤, −1 for ≥, 0 for =."""
    return [1 if lo == -np.inf else -1 if hi == np.inf else 0
            for lo, hi in zip(form.row_lower, form.row_upper)]


def first_stage(case: Case, model, keys: list, plan: np.ndarray) -> dict[str, pd.DataFrame]:
    """builds, contracts, stock capacity and the first-stage rows of costs of `plan` (in the
    order of `keys`), read off a model of the builder with the plan's values set."""
    for (name, index), value in zip(keys, plan):
        model.find_component(name)[index].set_value(float(value), skip_validation=True)
    for row in model.first_stage_cost_definition.values():
        variable, definition = row.expr.args
        variable.set_value(pyo.value(definition), skip_validation=True)
    costs = R.costs(model)
    capacity = pd.DataFrame(list(R.values(model.stock_capacity).items()),
                            columns=["material", "capacity_t"])
    return {"builds": R.builds(case, model), "contracts": R.contracts(case, model),
            "capacity": capacity, "costs": costs[costs["scenario"] == "*"]}


class Reader:
    """Reads scenario solutions off a one-scenario template (a HeldModel with mutable data
    and its KeptLP) into Parts."""

    def __init__(self, held, kept, senses: list[int]):
        self.held, self.kept = held, kept
        # the rows why.csv prices: position, (name, index without the scenario), and the
        # sign that turns HiGHS's dual (d objective / d bound) into the price of tightening
        # the row by a unit (as fixed_lp prices a row), in EUR
        wanted = [(i, con, sense) for i, (con, sense) in enumerate(zip(kept.rows, senses))
                  if con.parent_component().local_name in explain.ROWS]
        self.priced_at = np.array([i for i, _, _ in wanted], dtype=int)
        self.priced_keys = [(con.parent_component().local_name, con.index()[:-1])
                            for _, con, _ in wanted]
        self.price_scale = np.array([-1.0 if sense == 1 else 1.0 for *_, sense in wanted]) * \
            held.model.eur_per_objective_unit
        self.frames: dict[str, list] = {"flows": [], "shortfall": [], "costs": []}
        self.duals: dict = {}

    def add(self, w: str, data: ScenarioData, spare: dict, col_value, row_dual,
            duals: bool) -> None:
        """Scenario w's tables from its LP's solution (`data` its scenario data, `spare` its
        spare shares as HeldModel.spare_shares gives them)."""
        model = self.held.model
        self.held.set_scenario(data, spare=spare)     # w's Params: the flows' coefficients
        for var, value in zip(self.kept.columns, col_value):
            var.set_value(value, skip_validation=True)
        flows = R.flows(self.held.case, model)
        shortfall = [(w, m, y, v, v / data.demand[m, y] if data.demand[m, y] > 0 else 0.0)
                     for (m, y, _), v in R.values(model.shortfall).items()]
        costs = R.costs(model)
        self.frames["flows"].append(flows.assign(scenario=w))
        self.frames["shortfall"].append(pd.DataFrame(shortfall, columns=COLUMNS["shortfall"]))
        self.frames["costs"].append(costs[costs["scenario"] != "*"].assign(scenario=w))
        if duals:
            prices = np.asarray(row_dual)[self.priced_at] * self.price_scale
            self.duals.update(((name, (*head, w)), float(price))
                              for (name, head), price in zip(self.priced_keys, prices))

    def part(self, first: dict[str, pd.DataFrame]) -> Part:
        tables = {name: pd.concat(frames, ignore_index=True) if frames else R.empty(name)
                  for name, frames in self.frames.items()}
        return Part(tables, self.duals, first)


def plan_results(case: Case, plan: dict, parts: list[Part], duals: bool,
                 summary: dict) -> Results:
    """The Results of `plan` from the workers' parts (module doc); `summary` adds to the
    keys a solve reports."""
    order = {w: i for i, w in enumerate(case.scenario_ids)}
    first = parts[0].first_stage

    def joined(name: str) -> pd.DataFrame:
        frame = pd.concat([p.tables[name] for p in parts], ignore_index=True)
        return frame.sort_values("scenario", key=lambda s: s.map(order), kind="stable",
                                 ignore_index=True)

    flows, costs = joined("flows"), pd.concat([first["costs"], joined("costs")],
                                              ignore_index=True)
    capacity = dict(zip(first["capacity"]["material"], first["capacity"]["capacity_t"]))
    tables = {"builds": first["builds"], "stockpile": R.stockpile_of(case, capacity, flows),
              "contracts": first["contracts"], "flows": flows, "shortfall": joined("shortfall"),
              "costs": costs, "kpis": kpis.kpis(case, flows)}
    tables = with_materials(case, tables)
    probability, risk = case.probability, case.study.risk
    measures = R.cost_measures(tables["costs"], probability, risk.alpha)
    if duals:
        weight = explain.objective_weight(case, tables["costs"])
        scaled = {key: price * weight[key[1][-1]] for p in parts for key, price in p.duals.items()}
        tables["why"] = explain.why(case, tables, scaled)
    summary = {"status": "optimal", **measures,
               "objective_eur": R.held_objective(measures, risk),
               "mip_gap": None, "nodes": None, "study": case.study.name,
               "study_file": str(case.study.path or ""), "inputs": str(case.study.inputs),
               "inputs_sha256": case.inputs_sha256, "risk": risk.model_dump(),
               "probability": probability, **summary}
    return Results(summary, tables, "", Plan(plan))
