"""Monte Carlo disruption scenarios a plan never saw, drawn from an event model.

The event model is the dataset's events.csv (optimizer/events.py: yearly probabilities fitted
to the record, rows of one event hitting materials together), or rules in a YAML file:

    events:
      - country: cn              # a country id, or * for every non-EU country
        material: "*"            # a material id, or * for every material the country sells
        yearly_probability: 0.08 # chance that an event starts in a year
        duration_yr: [1, 3]      # duration, uniform on the integers lo..hi
        available_share: [0.0, 0.5]   # share of capacity and contracts still delivered
        price_multiplier: [1.5, 3.0]  # spot price multiplier while it lasts
        correlated: true         # one event hits every material of the rule in that country

A rule becomes one event per country (correlated) or per country and material, drawn as
events.py draws any event: a start each year with the yearly probability, one uniform severity
for share and multiplier (the deeper the cut, the higher the price). Samples become scenario
tables and then ScenarioData through the Case builder, so they carry what every scenario of
the Case carries (the baseline regime included). The same seed, model and study give the same
samples.
"""
from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..case import Case, build_case
from ..errors import InputError, Problem
from ..events import Event, EventModel, Hit, draw_paths, event_model, path_tables
from ..scenarios import ScenarioData, case_scenario
from ..yaml_file import explain, read_yaml

log = logging.getLogger(__name__)
SCENARIOS_PER_BUILD = 50   # samples turned into ScenarioData per Case built


class EventRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    country: str = "*"
    material: str = "*"
    yearly_probability: float = Field(ge=0.0, le=1.0)
    duration_yr: tuple[int, int] = (1, 3)
    available_share: tuple[float, float] = (0.0, 0.5)
    price_multiplier: tuple[float, float] = (1.5, 3.0)
    correlated: bool = True

    @model_validator(mode="after")
    def _ranges(self):
        for name in ("duration_yr", "available_share", "price_multiplier"):
            lo, hi = getattr(self, name)
            if lo > hi or lo < 0:
                raise ValueError(f"{name} must be [low, high] with 0 <= low <= high")
        if self.duration_yr[0] < 1 or self.available_share[1] > 1:
            raise ValueError("durations are at least 1 year; shares at most 1")
        return self

    def targets(self, case: Case) -> dict[str, list[list[str]]]:
        """country -> groups of materials hit together (one group if correlated)."""
        src = case.sources
        if self.country != "*" and self.country not in case.countries.index:
            log.warning("events: country %s is not in the dataset; its rule is ignored",
                        self.country)
        countries = sorted(c for c in set(src["country"]) if not case.eu(c)) \
            if self.country == "*" else [self.country]
        out = {}
        for c in countries:
            sold = sorted(set(src.loc[src["country"] == c, "material"]))
            hit = sold if self.material == "*" else [m for m in sold if m == self.material]
            if hit:
                out[c] = [hit] if self.correlated else [[m] for m in hit]
        return out


class Events(BaseModel):
    """Rules of an events file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    events: tuple[EventRule, ...] = (EventRule(yearly_probability=0.05),)

    def for_case(self, case: Case) -> EventModel:
        """The rules as events on the case's countries and materials."""
        events = []
        for i, rule in enumerate(self.events, 1):
            for country, groups in rule.targets(case).items():
                for materials in groups:
                    hits = tuple(Hit("supply", m, country, rule.duration_yr,
                                     rule.available_share, rule.price_multiplier)
                                 for m in materials)
                    name = f"rule{i}_{country}" + ("" if rule.correlated else f"_{materials[0]}")
                    events.append(Event(name, rule.yearly_probability, hits))
        return EventModel(tuple(events))


def load_events(path: Path | None, case: Case | None = None) -> Events | EventModel:
    """The rules of an events file; without one, the case's event model (events.csv) if its
    dataset has one, else one rule: every non-EU country may cut every material it sells with
    5% a year, for 1-3 years, to 0-50%, at 1.5-3x spot prices."""
    if path is None:
        if case is not None and not case.tables["events"].empty:
            return event_model(case.tables)
        return Events()
    if not Path(path).is_file():
        raise InputError([Problem(str(path), None, None, None, "an existing events file")])
    raw, repeated = read_yaml(Path(path))
    try:
        events = Events.model_validate(raw or {})
    except ValidationError as exc:
        raise InputError(repeated + explain(exc, str(path), Events)) from exc
    if repeated:
        raise InputError(repeated)
    return events


def calm(case: Case) -> ScenarioData:
    """Base demand, the availability and prices of the baseline regime (disruptions.csv rows
    of scenario `*`; full availability and normal prices without them)."""
    share, price = case.baseline
    return ScenarioData(demand=case.base_demand.to_dict(), availability=share.to_dict(),
                        price_multiplier=price.to_dict())


def sample(case: Case, events: Events | EventModel, n: int, seed: int,
           stratified: bool = False) -> list[ScenarioData]:
    """`n` disruption scenarios drawn from the event model (or rules) on the case's horizon
    (`stratified`: Latin hypercube on the starts, events.draw_paths)."""
    paths = draw_paths(events.for_case(case), case.years, n, seed, stratified=stratified)
    plain = case.study.model_copy(update={"sample": None})
    out = []
    for first in range(0, n, SCENARIOS_PER_BUILD):
        names = {f"s{i}": path for i, path in
                 enumerate(paths[first:first + SCENARIOS_PER_BUILD], first + 1)}
        built = build_case(path_tables(case.tables, names, case.years), plain)
        out += [case_scenario(built, name) for name in names]
    return out
