"""The study file (models/*.yaml): a frozen pydantic model with every default in one place."""
from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InputError, Problem, shown, suggest
from .per_material import PER_MATERIAL, MaterialDays, MaterialShare


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
    # `workers` HiGHS processes (default one per core); auto: lshaped from 400 scenarios
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


class _UniqueKeys(yaml.SafeLoader):
    """A YAML loader that notes every key given twice in one mapping (PyYAML keeps the last)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.repeated: list[tuple[object, int, int]] = []   # (key, first line, repeat line)

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)) or key == "<<":
                continue
            if key in seen:
                self.repeated.append((key, seen[key], line))
            seen.setdefault(key, line)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> tuple[object, list[Problem]]:
    """A YAML file's data and a problem for each key given twice; InputError for bytes that
    are not UTF-8 or bad syntax."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(name, None, None, None, f"a readable file ({exc.strerror})")]) \
            from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError([Problem(name, line, None, None, f"text in UTF-8; byte "
                                  f"0x{data[exc.start]:02x} is not (save the file as UTF-8)")]) \
            from exc
    loader = _UniqueKeys(text)
    try:
        raw = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or "a syntax error"
        raise InputError([Problem(name, mark.line + 1 if mark else None, None, None,
                                  f"valid YAML; reading stopped here: {what}")]) from exc
    finally:
        loader.dispose()
    return raw, [Problem(name, line, str(key), None, f"each key once in a mapping; {key} is "
                         f"first given on line {first}") for key, first, line in loader.repeated]


def _keys_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys `model` accepts at `loc` (the mapping that holds the bad key)."""
    for part in loc:
        if isinstance(part, int):         # an item of a list: the same model
            continue
        field = model.model_fields.get(str(part)) if model else None
        if field is None:
            return []
        kinds = get_args(field.annotation) or (field.annotation,)
        model = next((k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)),
                     None)
    return list(model.model_fields) if model else []


def _expected(err: dict, model: type[BaseModel]) -> str:
    kind, ctx, loc = err["type"], err.get("ctx", {}), err["loc"]
    if kind == "extra_forbidden":
        known = [k for k in _keys_at(model, loc[:-1]) if k != "path"]
        return f"one of the keys {', '.join(known)}{suggest(loc[-1], known)}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", ctx["expected"])
        return f"one of {', '.join(choices)}{suggest(err.get('input'), choices)}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", "a valid value"))
    bound = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">",
             "less_than": "<"}
    if kind in bound:
        limit = next(iter(ctx.values()))
        return f"a number {bound[kind]} {shown(limit)}"
    return _KINDS.get(kind, "a valid value")


_KINDS = {"missing": "a value; the key is missing", "finite_number": "a finite number",
          "float_parsing": "a number", "float_type": "a number", "int_parsing": "a whole number",
          "int_type": "a whole number", "int_from_float": "a whole number",
          "bool_parsing": "true or false", "bool_type": "true or false", "string_type": "text",
          "model_type": "a mapping of keys (key: value)", "dict_type": "a mapping of keys",
          "model_attributes_type": "a mapping of keys", "tuple_type": "a list",
          "list_type": "a list", "path_type": "a path (text)"}


def explain(exc: ValidationError, file: str, model: type[BaseModel] | None = None) -> list[Problem]:
    """Validation errors of a study (or of another `model` read from a YAML file) in the
    planner's words: key, what was expected, what was given (never the library's own text)."""
    model = model or Study
    errors = exc.errors()
    misspelt = {(*e["loc"][:-1], m) for e in errors if e["type"] == "extra_forbidden"
                for m in difflib.get_close_matches(str(e["loc"][-1]),
                                                   _keys_at(model, e["loc"][:-1]), n=1)}
    problems = []
    for err in errors:
        if err["type"] == "missing" and tuple(err["loc"]) in misspelt:
            continue   # said once, as the misspelt key with its suggestion
        given = err.get("input")
        shown_value = None if err["type"] in ("missing", "extra_forbidden") or \
            isinstance(given, (dict, list, tuple)) else given
        problems.append(Problem(file, None, ".".join(str(p) for p in err["loc"]) or None,
                                shown_value, _expected(err, model)))
    return problems


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
        raise InputError(repeated + explain(exc, name)) from exc
    if repeated:
        raise InputError(repeated)
    return study
