"""What a concern module declares at module level (DECISIONS, FLOWS, COSTS, POLICIES: see
terms.py), and `registry`, which collects the declarations of the concerns and checks them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from pydantic import BaseModel

from ..study import Study

LABELS = ("material", "country", "year", "scenario")
STAGES = ("first", "second")


@dataclass(frozen=True)
class Decision:
    """A first-stage variable. `year(case, index)` is the year the decision is taken (and
    paid); None: the last element of its index."""

    name: str
    year: Callable | None = None

    def decided(self, case, index) -> int:
        return int(index[-1]) if self.year is None else int(self.year(case, index))


@dataclass(frozen=True)
class Flow:
    """A flow of the material balance. `direction` in (supply) or out (use besides demand);
    `label` names what flows.csv's source_or_facility holds for its rows; `reported` False
    for a flow with a table of its own (shortfall.csv)."""

    name: str
    direction: str
    label: str
    reported: bool = True


@dataclass(frozen=True)
class Cost:
    """A cost component: `stage` first (decided up front, scenario `*`) or second."""

    name: str
    stage: str


@dataclass(frozen=True)
class PolicyRow:
    """A family of policy constraint rows. `key` is the study key it enforces (dotted path);
    `labels` says what each index position is (from LABELS); `unit` is what one unit of the
    row counts; `context(case, where)` says what in the data limits a row; `step` names the
    facilities column whose smallest value is one step of a row that binds integer units
    only (priced by re-solving, not by its LP dual); `lifted_when_disrupted`: the row does not
    apply in a scenario-year where its material is disrupted; `material` is the material label
    of a row without a material index ("*": every material at once)."""

    name: str
    key: str
    labels: tuple[str, ...]
    unit: str = "t"
    context: Callable | None = None
    step: str | None = None
    lifted_when_disrupted: bool = False
    material: str = ""

    def where(self, index) -> dict:
        """material, country, year and scenario of one row ('*' scenario: first stage)."""
        k = index if isinstance(index, tuple) else (index,)
        found = dict(material=self.material, country="", year="", scenario="*")
        found.update(zip(self.labels, k if self.labels else ()))
        return found

    @property
    def per_scenario(self) -> bool:
        return "scenario" in self.labels


def study_key_exists(key: str) -> bool:
    """Whether `key` (policy.limits.land_ha) names a key of the study file."""
    model: type[BaseModel] | None = Study
    for part in key.split("."):
        if model is None or part not in model.model_fields:
            return False
        kinds = getattr(model.model_fields[part].annotation, "__args__", None) or \
            (model.model_fields[part].annotation,)
        model = next((k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)), None)
    return True


def _declared(concerns, attribute: str, key) -> dict:
    """{key(declaration): declaration} over the concerns; the same name declared twice must
    be declared alike (a cost component several concerns pay into)."""
    found: dict = {}
    for concern in concerns:
        for item in getattr(concern, attribute, ()):
            name = key(item)
            if name in found and found[name] != item:
                raise ValueError(f"{attribute} {name!r} declared twice, differently: "
                                 f"{found[name]} and {item} ({concern.__name__})")
            found[name] = item
    return found


def registry(concerns) -> dict[str, dict]:
    """Every declaration of `concerns`: {kind: {name: declaration}}, checked."""
    found = {"decisions": _declared(concerns, "DECISIONS", lambda d: d.name),
             "flows": _declared(concerns, "FLOWS", lambda f: f.name),
             "costs": _declared(concerns, "COSTS", lambda c: c.name),
             "policies": _declared(concerns, "POLICIES", lambda p: p.name)}
    for flow in found["flows"].values():
        if flow.direction not in ("in", "out"):
            raise ValueError(f"flow {flow.name!r}: direction in or out, not {flow.direction!r}")
    for cost in found["costs"].values():
        if cost.stage not in STAGES:
            raise ValueError(f"cost {cost.name!r}: stage first or second, not {cost.stage!r}")
    for row in found["policies"].values():
        if not study_key_exists(row.key):
            raise ValueError(f"policy row {row.name!r} enforces {row.key!r}, no study key")
        if set(row.labels) - set(LABELS):
            raise ValueError(f"policy row {row.name!r}: labels among {LABELS}, not {row.labels}")
    return found
