"""A Monte Carlo generator of disruption scenarios a plan never saw.

Events come from rules (an events file, YAML):

    events:
      - country: cn              # a country id, or * for every non-EU country
        material: "*"            # a material id, or * for every material the country sells
        yearly_probability: 0.08 # chance that an event starts in a year without one
        duration_yr: [1, 3]      # duration, uniform on the integers lo..hi
        available_share: [0.0, 0.5]   # share of capacity and contracts still delivered, uniform
        price_multiplier: [1.5, 3.0]  # spot price multiplier while it lasts, uniform
        correlated: true         # one event hits every material of the rule in that country

For each sample, rule and country (and material, when not correlated) the years are walked in
order: with no event running, one starts with yearly_probability, lasts a drawn duration and
cuts the country's sources of the materials it hits to a drawn share, while the materials'
spot prices take a drawn multiplier. Overlapping events take the lowest share and the highest
multiplier, as disruption rows do. Demand stays on its base path. A seeded numpy generator
makes the samples reproducible: the same seed, rules and study give the same samples.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..case import Case
from ..errors import InputError, Problem
from ..study import explain, read_yaml
from .scenarios import ScenarioData

log = logging.getLogger(__name__)


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


class Events(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    events: tuple[EventRule, ...] = (EventRule(yearly_probability=0.05),)


def load_events(path: Path | None) -> Events:
    """The rules of an events file; without one, every non-EU country may cut every
    material it sells with 5% a year, for 1-3 years, to 0-50%, at 1.5-3x spot prices."""
    if path is None:
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


def _targets(case: Case, rule: EventRule) -> dict[str, list[list[str]]]:
    """country -> groups of materials hit together (one group if correlated)."""
    src = case.sources
    if rule.country != "*" and rule.country not in case.countries.index:
        log.warning("events: country %s is not in the dataset; its rule is ignored", rule.country)
    countries = sorted(c for c in set(src["country"]) if not case.eu(c)) \
        if rule.country == "*" else [rule.country]
    out = {}
    for c in countries:
        sold = sorted(set(src.loc[src["country"] == c, "material"]))
        hit = sold if rule.material == "*" else [m for m in sold if m == rule.material]
        if hit:
            out[c] = [hit] if rule.correlated else [[m] for m in hit]
    return out


def sample(case: Case, events: Events, n: int, seed: int) -> list[ScenarioData]:
    """`n` disruption scenarios drawn from the rules."""
    rng = np.random.default_rng(seed)
    years = case.years
    sources_of = case.sources.groupby(["country", "material"]).groups
    base = calm(case)
    out = []
    for _ in range(n):
        availability = dict(base.availability)
        multiplier = dict(base.price_multiplier)
        disrupted = set()
        for rule in events.events:
            for country, groups in _targets(case, rule).items():
                for materials in groups:
                    i = 0
                    while i < len(years):
                        if rng.random() >= rule.yearly_probability:
                            i += 1
                            continue
                        length = int(rng.integers(rule.duration_yr[0], rule.duration_yr[1] + 1))
                        share = float(rng.uniform(*rule.available_share))
                        mult = float(rng.uniform(*rule.price_multiplier))
                        for y in years[i:i + length]:
                            for m in materials:
                                disrupted.add((m, y))
                                multiplier[m, y] = max(multiplier[m, y], mult)
                                for s in sources_of[country, m]:
                                    availability[s, y] = min(availability[s, y], share)
                        i += length
        out.append(ScenarioData(base.demand, availability, multiplier, frozenset(disrupted)))
    return out
