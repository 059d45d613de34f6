"""A model with its first stage held at a plan, kept with a persistent HiGHS for re-solves.

With every first-stage variable held (lb = ub, see formulation.first_stage) what is left is
the second stage, an LP per scenario:

    Q(x, ξ) = min_z { c(ξ)·z : W z ≤ h(ξ) − T(ξ) x }        cost of plan x in scenario ξ

and the model's objective is first_stage_cost(x) + Σ_w p_w Q(x, ξ_w). Giving the kept model
another plan changes column bounds only; giving a one-scenario model (built with mutable
scenario data) another scenario's data changes mutable Params only. HiGHS then starts from
the last basis: the notes measured such re-solves 10-20 times faster than a rebuild.

The evaluation objective is expected cost (a held plan's CVaR is computed from the scenario
costs). Policy rows without a scenario index constrain the first stage alone (budget, land,
energy, staff) and are dropped: a held plan meets them or not, as its own solve said. When
the rows of a scenario (country cap, EU shares, stock days, shortfall cap) make it infeasible,
the plan cannot meet the policy there: the scenario is solved again without those rows and
reported with policy_met False, so that its cost and shortfall are still known.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import highspy
import pandas as pd
from pyomo.contrib.solver.common.factory import SolverFactory

from .. import results as R
from ..case import Case
from ..formulation import build_model
from ..formulation.first_stage import hold
from ..formulation.stockpile import allow_draws
from ..results import Results
from ..scenarios import ScenarioData, expected_cost_study
from ..highs import new_highs
from ..solve import TERMINATION
from ..tables import plan_tables

log = logging.getLogger(__name__)
SCENARIO_PARAMS = ("demand_t", "available_share", "spare_share", "price_multiplier")


@dataclass
class Evaluation:
    status: str             # a status of solve.TERMINATION, or error
    objective: float | None  # first-stage cost + expected second-stage cost [EUR, PV]
    policy_met: bool

    @property
    def ok(self) -> bool:
        return self.status == "optimal"


class HeldModel:
    """`case`'s model held at `plan`; `mutable=True` for a one-scenario template whose
    scenario data `set_scenario` replaces."""

    def __init__(self, case: Case, plan: Mapping, mutable: bool = False, threads: int = 1):
        self.case = expected_cost_study(case)
        self.model = build_model(self.case, mutable_scenario_data=mutable)
        self.threads = threads
        self.second_stage_rows = []
        for name, declared in self.model.policy_rows.items():
            for row in self.model.find_component(name).values():
                if declared.per_scenario:
                    self.second_stage_rows.append(row)
                else:
                    row.deactivate()
        self.hold(plan)
        # the variables whose bounds set_scenario sets directly (allow_draws)
        self.scenario_bounded = list(self.model.stock_draw.values())
        self._base_demand = self.case.base_demand.to_dict()
        self._material = self.case.sources["material"].to_dict()
        # the scenario data Params (mutable in a one-scenario template), in one order
        self._scenario_keys, self.scenario_params, self._param_blocks = [], [], []
        for name in SCENARIO_PARAMS if mutable else ():
            component = self.model.find_component(name)
            self._param_blocks.append((component, list(component), len(self.scenario_params)))
            for (*key, _), param in component.items():
                self._scenario_keys.append((name, tuple(key)))
                self.scenario_params.append(param)
        new_highs()    # HiGHS prints its banner once per process: let it go to stderr
        highspy.Highs.resetGlobalScheduler(True)   # HiGHS fixes its thread count per process
        self.solver = SolverFactory("highs")
        # Between solves only Params and bounds change (and, with second-stage policy rows,
        # which rows are active): skip the other scans, which halves a re-solve.
        updates = self.solver.config.auto_updates
        for scan in ("check_for_new_or_removed_vars", "check_for_new_or_removed_params",
                     "check_for_new_objective", "update_constraints", "update_named_expressions",
                     "update_objective"):
            setattr(updates, scan, False)
        updates.check_for_new_or_removed_constraints = bool(self.second_stage_rows)

    def hold(self, plan: Mapping[str, dict]) -> None:
        """Hold a Plan (or {variable name: {index: value}}) in the kept model."""
        hold(self.model, plan)

    def set_scenario(self, data: ScenarioData, params: bool = True,
                     spare: dict | None = None) -> None:
        """Give the one-scenario template the data of another scenario: its Params (the
        spare share derived from its availability as Case.spare_share is), which
        policy rows apply (those lifted_when_disrupted, the country cap, not in its
        material's disrupted years) and where stock may be drawn (in a
        crisis: disrupted, or demand above demand.csv; see Case.crisis). With
        `params=False` the scenario_params keep their values (a KeptLP takes those of
        `scenario_values` instead); `spare` as scenario_values takes it."""
        m = self.model
        (w,) = list(m.W)
        if params:
            values = self.scenario_values(data, spare)
            for component, indices, start in self._param_blocks:
                # the Params' own indices: Param.store_values without its checks, which
                # took longer than the LP
                component.store_values(dict(zip(indices, values[start:start + len(indices)])),
                                       check=False)
        base = self._base_demand
        surge = {k for k, d in data.demand.items() if d > base.get(k, 0.0) * (1 + 1e-9)}
        allow_draws(m, {(mat, y, w) for mat, y in data.disrupted | surge})
        for name, declared in m.policy_rows.items():
            if not declared.lifted_when_disrupted:
                continue
            for index, row in m.find_component(name).items():
                where = declared.where(index)
                if (where["material"], where["year"]) in data.disrupted:
                    row.deactivate()
                else:
                    row.activate()

    def scenario_values(self, data: ScenarioData, spare: dict | None = None) -> list[float]:
        """The values in scenario `data` of `scenario_params`, in their order; `spare`, the
        scenario's spare shares by (source, year) when already known (spare_shares)."""
        if spare is None:
            spare = self.case.spare_share_of(
                pd.Series(data.availability).rename_axis(["source", "year"])).to_dict()
        by_source = {"demand_t": data.demand, "available_share": data.availability,
                     "spare_share": spare}
        price, material = data.price_multiplier, self._material
        return [by_source[name][key] if name in by_source else price[material[key[0]], key[1]]
                for name, key in self._scenario_keys]

    def spare_shares(self, scenarios: list[ScenarioData]) -> list[dict]:
        """The spare shares by (source, year) of each scenario, in one call of
        Case.spare_share_of for all (one call per scenario costs more than its LP)."""
        keys = [(s, y, i) for i, data in enumerate(scenarios) for s, y in data.availability]
        availability = pd.Series(
            [v for data in scenarios for v in data.availability.values()], dtype=float,
            index=pd.MultiIndex.from_tuples(keys, names=["source", "year", "scenario"]))
        out = [{} for _ in scenarios]
        for (s, y, i), value in self.case.spare_share_of(availability).items():
            out[i][s, y] = value
        return out

    def solve(self, load: bool = True) -> Evaluation:
        """Solve the held model; load the second stage into its variables when `load`."""
        outcome = self._run(load)
        if outcome.status != "infeasible" or not self.second_stage_rows:
            return outcome
        active = [row for row in self.second_stage_rows if row.active]
        for row in active:
            row.deactivate()
        try:
            relaxed = self._run(load)
        finally:
            for row in active:
                row.activate()
        relaxed.policy_met = False
        return relaxed

    def results(self, evaluation: Evaluation) -> Results:
        """The held plan's output tables and summary after a solve that loaded its values."""
        summary = {"status": evaluation.status, "objective_eur": evaluation.objective,
                   "policy_met": evaluation.policy_met, "study": self.case.study.name,
                   "probability": self.case.probability}
        if not evaluation.ok:
            return Results(summary, {})
        tables = plan_tables(self.case, self.model)
        summary.update(R.cost_measures(tables["costs"], self.case.probability,
                                       self.case.study.risk.alpha))
        return Results(summary, tables)

    def values(self, variables: list) -> list[float]:
        """Values of some variables from the last solve (when it was not loaded)."""
        found = self._last.solution_loader.get_vars(variables)
        return [found[v] for v in variables]

    def _run(self, load: bool) -> Evaluation:
        # output_flag off: HiGHS would print a warning each time a Param pushes a zero into a
        # coefficient it never held (a spare share of 0 under a ban), which is harmless
        res = self.solver.solve(self.model, threads=self.threads,
                                time_limit=self.case.study.solver.time_limit_s,
                                solver_options={"output_flag": False},
                                load_solutions=False, raise_exception_on_nonoptimal_result=False)
        self._last = res
        condition = res.termination_condition
        status = TERMINATION.get(condition, "error")
        if status == "optimal":
            if load:
                res.solution_loader.load_vars()
            return Evaluation("optimal", float(res.incumbent_objective)
                              * self.model.eur_per_objective_unit, True)
        log.info("held plan: %s (%s)", status, condition.name)
        return Evaluation(status, None, True)
