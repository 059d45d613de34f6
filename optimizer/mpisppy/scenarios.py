"""The crmplan model as an mpi-sppy model module (the functions `generic_cylinders` needs).

    mpiexec -np 3 python -m mpi4py -m mpisppy.generic_cylinders \\
        --module-name optimizer.mpisppy.scenarios --study models/tiny.yaml --num-scens 2 \\
        --solver-name highs --lagrangian --xhatshuffle --sep-rho --linearize-proximal-terms \\
        --rel-gap 0.001 --max-iterations 100

Each scenario model is `build_model(case, [w])`, the extensive form's builder restricted to
one scenario (its probability renormalised to 1), so its objective is that scenario's total
cost. Scenario `scen<k>` is the k-th row of scenarios.csv. The nonanticipative variables are
the plan (`first_stage_vars`) and, when the study weighs CVaR, `value_at_risk`. Both are
bounded (`stock_limit`, `driver.value_at_risk_bounds`): a free first-stage variable makes
the Lagrangian subproblems unbounded.
"""
from __future__ import annotations

import functools
import json
import pickle
import time
from pathlib import Path

import mpisppy.utils.sputils as sputils
import pyomo.environ as pyo

from ..case import Case, load_case
from ..formulation import build_model, first_stage_vars, in_decisions
from ..study import load_study
from .driver import BOUNDS_FILE, PLAN_FILE, value_at_risk_bounds, weighs_cvar


@functools.lru_cache(maxsize=2)
def load(study: str) -> Case:
    """The Case of a study YAML, or of a pickled Case (`.pkl`, what `crmplan solve` passes)."""
    path = Path(study)
    if path.suffix == ".pkl":
        with path.open("rb") as f:
            return pickle.load(f)
    return load_case(load_study(path))


@functools.lru_cache(maxsize=2)
def stock_limit(case: Case) -> dict[str, float]:
    """The most stock capacity a material can use, tonnes: all it could ever give out over the
    horizon, Σ_y (peak demand over scenarios + facility input with every unit built + resale
    of every source at capacity), or the stock-days floor if that is more.

    More capacity is never drawn down and costs no less, so this bound keeps an optimum; a
    decomposition needs it, because an unbounded first-stage variable makes Lagrangian
    subproblems unbounded.
    """
    years = len(case.years)
    demand = case.demand.groupby(level=["material", "year"]).max()
    fac, recipes = case.facilities, case.recipes
    full = fac["capacity_t_per_yr"] * (fac["existing_units"] + fac["max_units"])
    use = (recipes["t_per_t_output"] * recipes["facility"].map(full)) \
        .groupby(recipes["input"]).sum()
    resale = case.sources.groupby("material")["capacity_t_per_yr"].sum()
    total = demand.groupby(level="material").sum().add(years * use, fill_value=0.0) \
        .add(years * resale, fill_value=0.0)
    days = case.study.policy.min_stock_days or 0.0
    floor = days / 365.0 * case.base_demand.groupby(level="material").max()
    return total.combine(floor, max, fill_value=0.0).to_dict()


def scenario_names_creator(num_scens: int, start: int | None = None) -> list[str]:
    start = start or 0
    return [f"scen{k}" for k in range(start, start + num_scens)]


def scenario_creator(scenario_name: str, study: str,
                     var_bounds: tuple[float, float] | None = None) -> pyo.ConcreteModel:
    """One scenario's model, its plan attached to the root node of a two-stage tree.

    The objective is restated over the decisions (`in_decisions`): over the cost accounting
    variables, every plan variable would have a zero cost coefficient, and mpi-sppy's SEP rho
    and proximal cuts, which read those coefficients, would fall back to rho = 1.
    """
    case = load(study)
    scenario = case.scenario_ids[sputils.extract_num(scenario_name)]
    model = build_model(case, [scenario])
    limit = stock_limit(case)
    for material, capacity in model.stock_capacity.items():
        if capacity.ub is None:
            capacity.setub(max(capacity.lb, limit.get(material, 0.0)))
    nonants = first_stage_vars(model)
    if weighs_cvar(case):
        lower, upper = var_bounds
        model.value_at_risk.setlb(lower)
        model.value_at_risk.setub(upper)
        nonants.append(model.value_at_risk)
    objective = model.total_cost
    objective.deactivate()
    model.total_cost_in_decisions = pyo.Objective(expr=in_decisions(model, objective.expr),
                                                  sense=objective.sense)
    sputils.attach_root_node(model, model.first_stage_cost, nonants)
    model._mpisppy_probability = case.probability[scenario]
    return model


def inparser_adder(cfg) -> None:
    cfg.num_scens_required()
    cfg.add_to_config("study", description="study YAML, or a pickled Case (.pkl)", domain=str,
                      default=None)
    cfg.add_to_config("var_lower", description="lower bound on value_at_risk (CVaR studies; "
                      "default: computed)", domain=float, default=None)
    cfg.add_to_config("var_upper", description="upper bound on value_at_risk (CVaR studies; "
                      "default: computed)", domain=float, default=None)
    cfg.add_to_config("spoke_pause", description="seconds a spoke sleeps before each poll of "
                      "the hub: spokes poll without pause and starve the hub when ranks "
                      "outnumber cores (default 0)", domain=float, default=0.0)
    cfg.add_to_config("crmplan_out", description="folder for first_stage.json and bounds.json",
                      domain=str, default=None)


def kw_creator(cfg) -> dict:
    case = load(cfg.study)
    if len(case.scenario_ids) != cfg.num_scens:
        raise ValueError(f"--num-scens {cfg.num_scens}: the study has "
                         f"{len(case.scenario_ids)} scenarios")
    bounds = None
    if weighs_cvar(case):
        bounds = (cfg.var_lower, cfg.var_upper)
        if None in bounds:
            bounds = value_at_risk_bounds(case, build_model(case))
    return {"study": cfg.study, "var_bounds": bounds}


def scenario_denouement(rank, scenario_name, scenario) -> None:
    """Nothing per scenario: the plan is read back and re-solved as the extensive form."""


def _write_plan(file_name: str, scenario, bundling: bool) -> None:
    root = scenario._mpisppy_node_list[0]
    Path(file_name).write_text(json.dumps({v.name: pyo.value(v)
                                           for v in root.nonant_vardata_list}))


def custom_writer(wheel, cfg) -> None:
    """generic_cylinders' last call: the best plan (xhat) and the bounds (EUR), as JSON."""
    if cfg.crmplan_out is None:
        return
    out = Path(cfg.crmplan_out)
    wheel.write_first_stage_solution(str(out / PLAN_FILE), first_stage_solution_writer=_write_plan)
    if wheel.global_rank == 0:
        eur = next(iter(wheel.spcomm.opt.local_scenarios.values())).eur_per_objective_unit
        (out / BOUNDS_FILE).write_text(json.dumps({
            "inner": wheel.BestInnerBound * eur, "outer": wheel.BestOuterBound * eur,
            "iterations": getattr(wheel.spcomm.opt, "_PHIter", None)}))


def hub_and_spoke_dict_callback(hub_dict, spokes, cfg) -> None:
    """With --spoke-pause > 0, spokes wait that long before each poll of the hub."""
    if cfg.spoke_pause:
        for spoke in spokes:
            spoke["spoke_class"] = _paused(spoke["spoke_class"], cfg.spoke_pause)


def _paused(cls, seconds: float):
    class Paused(cls):
        def got_kill_signal(self):
            time.sleep(seconds)
            return super().got_kill_signal()

    Paused.__name__ = Paused.__qualname__ = cls.__name__
    return Paused
