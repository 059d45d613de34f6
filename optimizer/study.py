"""The study file (models/*.yaml): a frozen pydantic model with every default in one place."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InputError, Problem, shown
from .per_material import PER_MATERIAL, MaterialDays, MaterialShare
from .yaml_file import explain, read_yaml


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Horizon(_Frozen):
    start: int = Field(ge=1900, le=2200)
    end: int = Field(ge=1900, le=2200)

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError("an end year not before the start year")
        return self

    @property
    def years(self) -> list[int]:
        return list(range(self.start, self.end + 1))


class Limits(_Frozen):
    """Land, energy and staff totals for facilities in `countries` (default: every EU country)."""

    countries: tuple[str, ...] | None = None
    land_ha: float | None = Field(default=None, ge=0, le=1e9)
    energy_gwh_per_yr: float | None = Field(default=None, ge=0, le=1e9)
    staff_fte: float | None = Field(default=None, ge=0, le=1e9)


class Policy(_Frozen):
    """Policy constraints; every key optional, absent = not imposed."""

    from_year: int | None = None
    max_country_share: MaterialShare = None
    # import dependence: non-EU supply (contract + spot) at most this share of consumption
    max_import_share: MaterialShare = None
    min_eu_extraction_share: MaterialShare = None
    min_eu_processing_share: MaterialShare = None
    min_recycling_share: MaterialShare = None
    min_stock_days: MaterialDays = None
    budget_eur: float | None = Field(default=None, ge=0, le=1e13)
    limits: Limits | None = None
    # per_material: each benchmark share holds for every material it names; aggregate: as
    # the CRMA writes them, shares of the value (t x normal price) summed over those materials
    crma_reading: Literal["per_material", "aggregate"] = "per_material"


class Risk(_Frozen):
    """objective = E[cost] + weight * CVaR_alpha[cost] when measure is cvar."""

    measure: Literal["expected", "cvar"] = "expected"
    alpha: float = Field(default=0.95, ge=0.0, lt=1.0)
    weight: float = Field(default=0.0, ge=0.0, le=1e3)
    max_shortfall_share: MaterialShare = None

    @property
    def weighs_cvar(self) -> bool:
        """Whether the objective weighs CVaR (measure cvar with a positive weight)."""
        return self.measure == "cvar" and self.weight > 0


class Solver(_Frozen):
    mip_rel_gap: float = Field(default=0.001, ge=0.0)
    time_limit_s: float = Field(default=600.0, gt=0.0)
    threads: int = Field(default=1, ge=1)
    seed: int = Field(default=1, ge=0)
    decision_ranges: bool = False    # each solve says which decisions move within its gap
    # solve a model whose materials share no row block by block (optimizer/blocks.py)
    blocks: bool = True
    # extensive: one HiGHS solve of the extensive form; lshaped: the L-shaped method on
    # `workers` HiGHS processes (default one per core); auto: lshaped from 100 scenarios
    # on, where the study allows it (optimizer/decomposition, docs/scale-out.md)
    method: Literal["extensive", "lshaped", "auto"] = "extensive"
    workers: int | None = Field(default=None, ge=1)


class OutOfSample(_Frozen):
    """Every solve evaluates its plan on `samples` scenarios drawn (seeded) from the event
    model `events` (the stress generator's YAML; its default rules without one), at `level`."""

    samples: int = Field(default=200, ge=2)
    seed: int = Field(default=1, ge=0)
    events: Path | None = None
    level: float = Field(default=0.95, gt=0.5, lt=1.0)
    workers: int | None = Field(default=None, ge=1)


class Sample(_Frozen):
    """Plan against `scenarios` paths drawn from the dataset's event model (events.csv), each
    of probability 1/scenarios, in place of scenarios.csv."""

    scenarios: int = Field(ge=1)
    seed: int = Field(default=1, ge=0)
    # Latin hypercube on the event starts (events.draw_paths)
    stratified: bool = False
    # draw this many paths and keep `scenarios` of them by fast forward selection, with
    # their summed probabilities (optimizer/reduction.py); None: no reduction
    draw: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _draw_at_least_kept(self):
        if self.draw is not None and self.draw < self.scenarios:
            raise ValueError(f"draw ({self.draw}) must be at least scenarios ({self.scenarios})")
        return self


class Study(_Frozen):
    name: str
    inputs: Path
    horizon: Horizon
    discount_rate: float = Field(default=0.04, ge=0.0, lt=1.0)
    resale_share: float = Field(default=0.8, ge=0.0, le=1.0)
    # contracted material resold per material, year and scenario: at most this share of the
    # material's EU consumption; the rest of what is delivered and not used is written off
    resale_max_share: float = Field(default=0.1, ge=0.0, le=1.0)
    # a stock drawn is back to capacity within this many years unless drawn again (None: never)
    stock_refill_yr: int | None = Field(default=3, ge=1)
    # named sets of materials, to give a per-material policy key for several at once
    groups: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    policy: Policy = Policy()
    risk: Risk = Risk()
    solver: Solver = Solver()
    out_of_sample: OutOfSample | None = None
    sample: Sample | None = None
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _from_year_in_horizon(self):
        fy = self.policy.from_year
        if fy is not None and not (self.horizon.start <= fy <= self.horizon.end):
            raise ValueError(f"policy.from_year within the horizon {self.horizon.start}-"
                             f"{self.horizon.end}; {fy} is not")
        return self

    @model_validator(mode="after")
    def _one_value_per_material(self):
        for key in per_material_keys():
            given = self.value(key)
            if not isinstance(given, dict):
                continue
            for group, members in self.groups.items():
                if group not in given:
                    continue
                for other, more in self.groups.items():
                    shared = sorted(set(members) & set(more) - set(given))
                    if other > group and other in given and shared and \
                            given[other] != given[group]:
                        raise ValueError(f"{key}: one value per material; {shared[0]} is in "
                                         f"groups {group} ({shown(given[group])}) and {other} "
                                         f"({shown(given[other])}): give it on its own")
        return self

    @property
    def years(self) -> list[int]:
        return self.horizon.years

    def value(self, key: str):
        """The value of a study key given as a dotted path (policy.max_country_share)."""
        found = self
        for part in key.split("."):
            found = getattr(found, part)
        return found

    def for_material(self, key: str, material: str) -> float | None:
        """A per-material key's value for `material`: its own entry, else that of a group
        holding it, else the "*" entry; None when the key does not cover it."""
        given = self.value(key)
        if not isinstance(given, dict):
            return given
        if material in given:
            return given[material]
        for group, members in self.groups.items():
            if group in given and material in members:
                return given[group]
        return given.get("*")

    def for_materials(self, key: str, materials) -> dict[str, float]:
        """{material: value} of a per-material key over `materials`, those it covers."""
        found = {m: self.for_material(key, m) for m in materials}
        return {m: v for m, v in found.items() if v is not None}

    @property
    def from_year(self) -> int:
        return self.policy.from_year or self.horizon.start

    def replace(self, **changes) -> "Study":
        """A copy with top-level keys replaced (validated again)."""
        data = self.model_dump()
        data.update(changes)
        data["path"] = self.path
        return Study.model_validate(data)


def per_material_keys() -> list[str]:
    """The study keys that may be given per material or group (dotted paths)."""
    return [f"{section}.{name}" for section, model in (("policy", Policy), ("risk", Risk))
            for name, field in model.model_fields.items() if PER_MATERIAL in field.metadata]


def load_study(path: str | Path) -> Study:
    """Read a study YAML; `inputs` is resolved relative to the study file.

    Raises InputError listing every problem in the file.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError([Problem(name, None, None, None, "an existing study file")])
    raw, repeated = read_yaml(path)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InputError([Problem(name, None, None, None, "a mapping of study keys "
                                  "(key: value lines)")])
    if "inputs" in raw and isinstance(raw["inputs"], (str, Path)):
        raw["inputs"] = (path.parent / str(raw["inputs"])).resolve()
    check = raw.get("out_of_sample")
    if isinstance(check, dict) and check.get("events") is not None:
        check["events"] = (path.parent / str(check["events"])).resolve()
    raw["path"] = path.resolve()
    try:
        study = Study.model_validate(raw)
    except ValidationError as exc:
        raise InputError(repeated + explain(exc, name, Study)) from exc
    if repeated:
        raise InputError(repeated)
    return study
