"""The study file (models/*.yaml): a frozen pydantic model with every default in one place."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InputError, Problem

Share = Field(default=None, ge=0.0, le=1.0)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Horizon(_Frozen):
    start: int = Field(ge=1900, le=2200)
    end: int = Field(ge=1900, le=2200)

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError("horizon end must not be before its start")
        return self

    @property
    def years(self) -> list[int]:
        return list(range(self.start, self.end + 1))


class Limits(_Frozen):
    """Land, energy and staff totals for facilities in `countries` (default: every EU country)."""

    countries: tuple[str, ...] | None = None
    land_ha: float | None = Field(default=None, ge=0)
    energy_gwh_per_yr: float | None = Field(default=None, ge=0)
    staff_fte: float | None = Field(default=None, ge=0)


class Policy(_Frozen):
    """Policy constraints; every key optional, absent = not imposed."""

    from_year: int | None = None
    max_country_share: float | None = Share
    min_eu_extraction_share: float | None = Share
    min_eu_processing_share: float | None = Share
    min_recycling_share: float | None = Share
    min_stock_days: float | None = Field(default=None, ge=0)
    budget_eur: float | None = Field(default=None, ge=0)
    limits: Limits | None = None


class Risk(_Frozen):
    """objective = E[cost] + weight * CVaR_alpha[cost] when measure is cvar."""

    measure: Literal["expected", "cvar"] = "expected"
    alpha: float = Field(default=0.95, ge=0.0, lt=1.0)
    weight: float = Field(default=0.0, ge=0.0)
    max_shortfall_share: float | None = Share


class Solver(_Frozen):
    mip_rel_gap: float = Field(default=0.001, ge=0.0)
    time_limit_s: float = Field(default=600.0, gt=0.0)
    threads: int = Field(default=1, ge=1)
    seed: int = Field(default=1, ge=0)


class Sample(_Frozen):
    """Plan against `scenarios` paths drawn from the dataset's event model (events.csv), each
    of probability 1/scenarios, in place of scenarios.csv."""

    scenarios: int = Field(ge=1)
    seed: int = Field(default=1, ge=0)


class Study(_Frozen):
    name: str
    inputs: Path
    horizon: Horizon
    discount_rate: float = Field(default=0.04, ge=0.0, lt=1.0)
    resale_share: float = Field(default=0.8, ge=0.0, le=1.0)
    policy: Policy = Policy()
    risk: Risk = Risk()
    solver: Solver = Solver()
    sample: Sample | None = None
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _from_year_in_horizon(self):
        fy = self.policy.from_year
        if fy is not None and not (self.horizon.start <= fy <= self.horizon.end):
            raise ValueError(f"policy.from_year {fy} lies outside the horizon "
                             f"{self.horizon.start}-{self.horizon.end}")
        return self

    @property
    def years(self) -> list[int]:
        return self.horizon.years

    @property
    def from_year(self) -> int:
        return self.policy.from_year or self.horizon.start

    def replace(self, **changes) -> "Study":
        """A copy with top-level keys replaced (validated again)."""
        data = self.model_dump()
        data.update(changes)
        data["path"] = self.path
        return Study.model_validate(data)


def load_study(path: str | Path) -> Study:
    """Read a study YAML; `inputs` is resolved relative to the study file.

    Raises InputError listing every problem in the file.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError([Problem(name, None, None, None, "an existing study file")])
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InputError([Problem(name, None, None, None, f"valid YAML ({exc})")]) from exc
    if not isinstance(raw, dict):
        raise InputError([Problem(name, None, None, raw, "a mapping of study keys")])
    if "inputs" in raw and raw["inputs"] is not None:
        raw["inputs"] = (path.parent / str(raw["inputs"])).resolve()
    raw["path"] = path.resolve()
    try:
        return Study.model_validate(raw)
    except ValidationError as exc:
        raise InputError([
            Problem(name, None, ".".join(str(p) for p in err["loc"]) or None,
                    err.get("input") if not isinstance(err.get("input"), dict) else None,
                    err["msg"])
            for err in exc.errors()
        ]) from exc
