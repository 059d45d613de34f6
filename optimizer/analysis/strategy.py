"""Strategies: a study's policy and risk overridden, levers forbidden or forced.

A strategy file (models/strategies/<name>.yaml):

    name: allied_contracts
    description: Contracts only with allied suppliers; spot buying stays open.
    policy: {max_country_share: 0.65}      # keys merged into the study's policy (null drops one)
    risk: {measure: cvar, weight: 1.0}      # keys merged into the study's risk
    plan_for: scenarios                     # scenarios | mean (the expected-value plan) | [ids]
    levers:
      stockpile: false                      # no stock capacity beyond initial_stock_t
      eu_builds: false                      # no new units of facilities in EU countries
      substitution: false                   # no demand-side option
      contract_countries: [au, jp, ca]      # contracts only with sources in these countries
      min_stock_t: {ndpr_oxide: 100}        # stock capacity at least this
      min_units: {magnet_plant_ee: 1}       # at least this many units built over the horizon

A study file of models/ (a preset such as crma-2030.yaml) is a strategy too: its policy and
risk replace the study's; its data are not used, every strategy is solved on the same data.
Countries of contract_countries that the dataset does not know are ignored (a strategy file
serves several datasets); facilities and materials a force names must exist.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import pyomo.environ as pyo
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..case import Case
from ..errors import InputError, Problem
from ..formulation.facilities import build_years
from ..formulation.stockpile import stockable
from ..study import Policy, Risk, Study
from ..yaml_file import explain, read_yaml

log = logging.getLogger(__name__)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Levers(_Frozen):
    stockpile: bool = True
    eu_builds: bool = True
    substitution: bool = True
    contract_countries: tuple[str, ...] | None = None
    min_stock_t: dict[str, float] = Field(default_factory=dict)
    min_units: dict[str, int] = Field(default_factory=dict)


class Strategy(_Frozen):
    name: str
    description: str = ""
    policy: dict = Field(default_factory=dict)
    risk: dict = Field(default_factory=dict)
    plan_for: Literal["scenarios", "mean"] | tuple[str, ...] = "scenarios"
    levers: Levers = Levers()

    def study(self, base: Study) -> Study:
        """The base study under this strategy's policy and risk."""
        try:
            policy = Policy.model_validate(_merge(base.policy.model_dump(), self.policy))
            risk = Risk.model_validate(_merge(base.risk.model_dump(), self.risk))
        except ValidationError as exc:
            model = Policy if exc.title == "Policy" else Risk
            raise InputError(explain(exc, f"strategy {self.name}", model)) from exc
        return base.model_copy(update={"policy": policy, "risk": risk})


def _merge(base: dict, update: dict) -> dict:
    out = dict(base)
    for key, value in update.items():
        known = out.get(key)
        out[key] = _merge(known if isinstance(known, dict) else {}, value) \
            if isinstance(value, dict) else value
    return out


OPTIMAL = Strategy(name="optimal", description="the study as it stands")


def load_strategy(name_or_path: str | Path, study: Study) -> Strategy:
    """A strategy file or a study preset, by path or by name (looked up in
    <study folder>/strategies/ and then in the study folder)."""
    folder = Path(study.path).parent if study.path else Path("models")
    candidates = [Path(name_or_path), folder / "strategies" / f"{name_or_path}.yaml",
                  folder / f"{name_or_path}.yaml"]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise InputError([Problem(str(name_or_path), None, None, None,
                                  f"a strategy file or a name in {folder / 'strategies'} "
                                  f"or {folder}: {', '.join(available(study))}")])
    raw, repeated = read_yaml(path)
    if repeated:
        raise InputError(repeated)
    raw = raw or {}
    if not isinstance(raw, dict):
        raise InputError([Problem(str(path), None, None, None, "a mapping of strategy keys")])
    if "horizon" in raw or "inputs" in raw:   # a study preset
        raw = {"name": path.stem, "description": raw.get("name", ""),
               "policy": raw.get("policy") or {}, "risk": raw.get("risk") or {}}
    raw.setdefault("name", path.stem)
    try:
        return Strategy.model_validate(raw)
    except ValidationError as exc:
        raise InputError(explain(exc, str(path), Strategy)) from exc


def available(study: Study) -> list[str]:
    """The strategy files beside the study (models/strategies/*.yaml)."""
    folder = (Path(study.path).parent if study.path else Path("models")) / "strategies"
    return sorted(p.stem for p in folder.glob("*.yaml"))


def check_levers(levers: Levers, case: Case, name: str) -> None:
    """Forces must name facilities that can be built and materials that can be stocked."""
    buildable = {f for f, _ in build_years(case)}
    problems = [Problem(f"strategy {name}", None, "levers.min_units", f,
                        "a facility that can be built in the horizon")
                for f in levers.min_units if f not in buildable]
    problems += [Problem(f"strategy {name}", None, "levers.min_stock_t", m,
                         "a material that can be stockpiled")
                 for m in levers.min_stock_t if m not in stockable(case)]
    if problems:
        raise InputError(problems)
    unknown = set(levers.contract_countries or ()) - set(case.countries.index)
    if unknown:
        log.info("strategy %s: countries %s not in the dataset, ignored", name, sorted(unknown))


def apply_levers(model: pyo.ConcreteModel, case: Case, levers: Levers) -> None:
    """Bound the model's first-stage variables as the levers say (a solve_case `prepare`)."""
    fac, src = case.facilities, case.sources
    if not levers.stockpile:
        for var in model.stock_capacity.values():
            var.setub(var.lb)
    if not levers.eu_builds:
        for (f, _), var in model.units_built.items():
            if case.eu(fac.at[f, "country"]):
                var.setub(0)
    if not levers.substitution:
        for var in [*model.substitution_share.values(), *model.adopted.values()]:
            var.setub(0)
    if levers.contract_countries is not None:
        allowed = set(levers.contract_countries)
        for (s, _), var in model.contract.items():
            if src.at[s, "country"] not in allowed:
                var.setub(0)
    for mat, tonnes in levers.min_stock_t.items():
        var = model.stock_capacity[mat]
        var.setlb(max(var.lb or 0.0, tonnes))
    if levers.min_units:
        def strategy_min_units(m, f):
            """Σ_y units_built[f,y] ≥ levers.min_units[f]"""
            return sum(v for (g, _), v in m.units_built.items() if g == f) >= levers.min_units[f]

        model.strategy_min_units = pyo.Constraint(list(levers.min_units), rule=strategy_min_units)
