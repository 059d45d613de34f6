"""The crmplan model as an mpi-sppy model module (the functions `generic_cylinders` needs).

    mpiexec -np 3 python -m mpi4py -m mpisppy.generic_cylinders \\
        --module-name optimizer.mpisppy.scenarios --study models/tiny.yaml --num-scens 2 \\
        --solver-name highs --lagrangian --xhatshuffle --sep-rho --linearize-proximal-terms \\
        --rel-gap 0.001 --max-iterations 100

What mpi-sppy calls scenario `scen<k>` is bundle k: scenarios k·b … k·b + b − 1 of
scenarios.csv, b = `--bundle-size` (default 1), so `--num-scens` is the bundle count. Its
model is `build_model(case, bundle)`, the extensive form's builder over the bundle's
scenarios (probabilities renormalised within it), so its objective is the bundle's expected
cost and its plan is shared by its scenarios without nonanticipativity rows. mpi-sppy weighs it
by the bundle's probability. The nonanticipative variables are the plan (`first_stage_vars`)
and, when the study weighs CVaR, `value_at_risk`. Both are bounded (`stockpile.stock_limit`,
`driver.value_at_risk_bounds`): a free first-stage variable makes the Lagrangian
subproblems unbounded.
"""
from __future__ import annotations

import functools
import json
import pickle
import time
from pathlib import Path

import mpisppy.utils.cfg_vanilla as vanilla
import mpisppy.utils.sputils as sputils
from mpisppy.extensions.xhatclosest import XhatClosest
import pyomo.environ as pyo
from pyomo.core.expr.visitor import replace_expressions

from ..case import Case, load_case
from ..formulation import build_model, first_stage_vars, in_decisions
from ..plan import Plan
from ..study import load_study
from .driver import BOUNDS_FILE, PLAN_FILE, value_at_risk_bounds


@functools.lru_cache(maxsize=2)
def load(study: str) -> Case:
    """The Case of a study YAML, or of a pickled Case (`.pkl`, what `crmplan solve` passes)."""
    path = Path(study)
    if path.suffix == ".pkl":
        with path.open("rb") as f:
            return pickle.load(f)
    return load_case(load_study(path))


def scenario_names_creator(num_scens: int, start: int | None = None) -> list[str]:
    start = start or 0
    return [f"scen{k}" for k in range(start, start + num_scens)]


def scenario_creator(scenario_name: str, study: str, var_bounds: tuple[float, float] | None = None,
                     bundle_size: int = 1) -> pyo.ConcreteModel:
    """One bundle's model, its plan attached to the root node of a two-stage tree.

    The objective is restated over the decisions (`in_decisions`): over the cost accounting
    variables, every plan variable would have a zero cost coefficient, and mpi-sppy's SEP rho
    and proximal cuts, which read those coefficients, would fall back to rho = 1. The
    continuous nonanticipative variables are then put on [0, 1] (`scaled_plan`).
    """
    case = load(study)
    first = sputils.extract_num(scenario_name) * bundle_size
    bundle = case.scenario_ids[first:first + bundle_size]
    model = build_model(case, bundle)
    plan = [v for var in first_stage_vars(model) for v in var.values()]
    if case.study.risk.weighs_cvar:
        lower, upper = var_bounds
        model.value_at_risk.setlb(lower)
        model.value_at_risk.setub(upper)
        plan.append(model.value_at_risk)
    nonants, substitute = scaled_plan(model, plan)
    objective = model.total_cost
    objective.deactivate()
    model.total_cost_in_decisions = pyo.Objective(
        expr=replace_expressions(in_decisions(model, objective.expr), substitute),
        sense=objective.sense)
    sputils.attach_root_node(model, replace_expressions(model.first_stage_cost, substitute),
                             nonants)
    model._mpisppy_probability = float(sum(case.probability[w] for w in bundle))
    return model


def scaled_plan(model: pyo.ConcreteModel, plan: list) -> tuple[list, dict]:
    """The nonanticipative variables PH works on: integers as they are, and for each
    continuous x on [l, u] a scaled x' on [0, 1] with x = l + (u − l)·x' (row plan_scaling).

    PH's linearised proximal term adds cuts x_sq ≥ 2·a·x − a² at points a of x's range: for
    a contract or stock of 10⁵–10⁶ t those rows have coefficients of 10⁶ and right-hand sides
    of 10¹², HiGHS' incumbents then fail in the unscaled model, and every one of them costs a
    repair LP (an EU scenario ran for over 10 minutes). On [0, 1] the cuts are as
    well-conditioned as the model. Returns the nonants and the substitution {id(x): l + (u − l)·x'}
    that puts the objective on the scaled variables (SEP rho reads their cost coefficients).
    """
    scaled = [v for v in plan if not v.is_integer() and v.ub is not None and v.lb is not None
              and v.ub - v.lb > 1e-9]
    model.plan_share = pyo.Var(range(len(scaled)), bounds=(0.0, 1.0),
                               doc="continuous plan variables scaled to [0, 1] for PH")
    substitute = {id(v): v.lb + (v.ub - v.lb) * model.plan_share[i] for i, v in enumerate(scaled)}

    def plan_scaling(m, i):
        """x = l + (u − l)·plan_share for every continuous plan variable x on [l, u]"""
        return scaled[i] == substitute[id(scaled[i])]

    model.plan_scaling = pyo.Constraint(range(len(scaled)), rule=plan_scaling)
    kept = {id(v) for v in scaled}
    return [model.plan_share] + [v for v in plan if id(v) not in kept], substitute


def inparser_adder(cfg) -> None:
    cfg.num_scens_required()
    cfg.add_to_config("study", description="study YAML, or a pickled Case (.pkl)", domain=str,
                      default=None)
    cfg.add_to_config("bundle_size", description="crmplan scenarios per mpi-sppy scenario "
                      "(bundle); --num-scens counts bundles (default 1)", domain=int, default=1)
    cfg.add_to_config("var_lower", description="lower bound on value_at_risk (CVaR studies; "
                      "default: computed)", domain=float, default=None)
    cfg.add_to_config("var_upper", description="upper bound on value_at_risk (CVaR studies; "
                      "default: computed)", domain=float, default=None)
    cfg.add_to_config("spoke_pause", description="seconds a spoke sleeps before each poll of "
                      "the hub: spokes poll without pause and starve the hub when ranks "
                      "outnumber cores (default 0)", domain=float, default=0.0)
    cfg.add_to_config("xhat_closest", description="the hub evaluates, after PH, the bundle "
                      "solution closest to PH's consensus on every bundle: an inner bound "
                      "without an xhat spoke (mpi-sppy's XhatClosest)", domain=bool,
                      default=False)
    cfg.add_to_config("crmplan_out", description="folder for first_stage.json and bounds.json",
                      domain=str, default=None)


def kw_creator(cfg) -> dict:
    case = load(cfg.study)
    if len(case.scenario_ids) != cfg.num_scens * cfg.bundle_size:
        raise ValueError(f"--num-scens {cfg.num_scens} bundles of --bundle-size "
                         f"{cfg.bundle_size}: the study has {len(case.scenario_ids)} scenarios")
    bounds = None
    if case.study.risk.weighs_cvar:
        bounds = (cfg.var_lower, cfg.var_upper)
        if None in bounds:
            bounds = value_at_risk_bounds(case)
    return {"study": cfg.study, "var_bounds": bounds, "bundle_size": cfg.bundle_size}


def scenario_denouement(rank, scenario_name, scenario) -> None:
    """Nothing per scenario: the plan is read back and re-solved as the extensive form."""


def _write_plan(file_name: str, scenario, bundling: bool) -> None:
    """The plan in the model's own variables. mpi-sppy has put the best plan into the
    nonants only (integers and x'), so each scaled x is read off its plan_scaling row."""
    plan = Plan.from_model(scenario).to_engine(scenario)
    for row in scenario.plan_scaling.values():
        x, scaled = row.expr.args
        plan[x.name] = pyo.value(scaled)
    Path(file_name).write_text(json.dumps(plan))


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
    """With --spoke-pause > 0, spokes wait that long before each poll of the hub. With
    --xhat-closest, the hub's last act is XhatClosest, solved as its iterations are."""
    if cfg.xhat_closest:
        options = hub_dict["opt_kwargs"]["options"]
        vanilla.extension_adder(hub_dict, XhatClosest)
        options["xhat_closest_options"] = {
            "xhat_solver_options": dict(options.get("iterk_solver_options") or {}),
            "keep_solution": True}
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
