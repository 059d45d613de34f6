"""The event model: disruptions and demand shifts drawn at random, fitted to the record.

A dataset's events.csv lists events e, each with a yearly probability p_e and one row per
material (and supplying country) it hits; rows of one event happen together, so an event of
many rows (a broad escalation) is the common factor that hits many materials at once. In each
sampled path and each year y of the horizon, e starts with probability p_e, independently of
every other event and year: several events may run in one path, and one may start again
while it runs. A start draws u_d, u_s ~ U(0, 1) once for all rows r of the event:

    duration      d_r = dmin_r + ⌊u_d·(dmax_r − dmin_r + 1)⌋   years (cut at the horizon)
    delivered     a_r = amin_r + u_s·(amax_r − amin_r)          share of normal (supply rows)
    spot price    π_r = πmax_r − u_s·(πmax_r − πmin_r)          the deeper the cut, the dearer
    demand        δ_r = δmin_r + u_s·(δmax_r − δmin_r)          multiplier (demand rows)

Where occurrences overlap, a supply (material, country, year) takes the lowest share and the
highest multiplier, as disruption rows do, and never eases the baseline regime (disruption
rows of scenario `*`, when the dataset has them); one demand event's repeated starts do not
compound (the multiplier farthest from 1 holds), while distinct demand events multiply.

`sampled_tables` turns N paths into ordinary scenario tables (scenarios, disruptions,
demand_shocks; probability 1/N each), so the Case is built from them exactly as from
hand-written scenarios. A seeded numpy generator makes samples reproducible; `stratified`
draws the starts by Latin hypercube (draw_paths), and a study's `draw` reduces drawn paths
to fewer (optimizer/reduction.py, called from case.build_case).

A probability fitted to k events recorded in n years (the maximum-likelihood k/n) must lie in
the exact (Clopper-Pearson) 95% interval of the record (checks.py checks it),

    [B⁻¹(0.025; k, n − k + 1),  B⁻¹(0.975; k + 1, n − k)]   (B⁻¹ the beta quantile).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import beta

log = logging.getLogger(__name__)
EVENT_SOURCE = "est-events"
STUDY_STREAM = 1


@dataclass(frozen=True)
class Hit:
    """One row of an event: what it does to one material (from one country, for supply)."""

    kind: str                            # supply or demand
    material: str
    country: str                         # * for demand
    duration_yr: tuple[int, int]
    available_share: tuple[float, float] = (1.0, 1.0)
    price_multiplier: tuple[float, float] = (1.0, 1.0)
    demand_multiplier: tuple[float, float] = (1.0, 1.0)


@dataclass(frozen=True)
class Event:
    name: str
    yearly_probability: float
    hits: tuple[Hit, ...]
    recorded_events: int | None = None
    record_yr: int | None = None


@dataclass(frozen=True)
class EventModel:
    events: tuple[Event, ...]

    def for_case(self, case) -> "EventModel":
        """The model itself (rules files expand against a case; a fitted model already has)."""
        return self


@dataclass(frozen=True)
class Occurrence:
    event: Event
    start: int            # first year
    u_duration: float
    u_severity: float

    def years(self, hit: Hit, years: list[int]) -> list[int]:
        lo, hi = hit.duration_yr
        length = lo + min(int(self.u_duration * (hi - lo + 1)), hi - lo)
        return [y for y in years if self.start <= y < self.start + length]

    def share(self, hit: Hit) -> float:
        lo, hi = hit.available_share
        return lo + self.u_severity * (hi - lo)

    def price(self, hit: Hit) -> float:
        lo, hi = hit.price_multiplier
        return hi - self.u_severity * (hi - lo)

    def demand(self, hit: Hit) -> float:
        lo, hi = hit.demand_multiplier
        return lo + self.u_severity * (hi - lo)


def record_interval(recorded: int, years: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a yearly probability seen `recorded` times in
    `years` years."""
    tail = (1 - level) / 2
    lo = 0.0 if recorded == 0 else float(beta.ppf(tail, recorded, years - recorded + 1))
    hi = 1.0 if recorded >= years else float(beta.ppf(1 - tail, recorded + 1, years - recorded))
    return lo, hi


def event_model(tables: dict[str, pd.DataFrame]) -> EventModel:
    """The events table as an EventModel; a supply row of material * hits every material its
    country sells (sources table)."""
    rows = tables["events"]
    sold = tables["sources"].groupby("country")["material"].unique()
    events = []
    for name, group in rows.groupby("event", sort=False):
        hits = []
        for r in group.itertuples(index=False):
            materials = sorted(sold.get(r.country, [])) if r.material == "*" else [r.material]
            hits += [Hit(r.kind, m, r.country, (r.min_duration_yr, r.max_duration_yr),
                         (r.min_available_share, r.max_available_share),
                         (r.min_price_multiplier, r.max_price_multiplier),
                         (r.min_demand_multiplier, r.max_demand_multiplier)) for m in materials]
        first = group.iloc[0]
        recorded = None if pd.isna(first["recorded_events"]) else int(first["recorded_events"])
        record = None if pd.isna(first["record_yr"]) else int(first["record_yr"])
        events.append(Event(str(name), float(first["yearly_probability"]), tuple(hits),
                            recorded, record))
    return EventModel(tuple(events))


def draw_paths(model: EventModel, years: list[int], n: int, seed: int,
               stream: int = 0, stratified: bool = False) -> list[list[Occurrence]]:
    """`n` paths, each the occurrences of the events over the years. A study's own sample
    (key `sample`) is drawn on stream STUDY_STREAM, Monte Carlo checks (stress, saa) on
    stream 0: the same seed never gives a plan its own scenarios back as unseen ones.

    `stratified` (Latin hypercube on the starts): for each event e and year y, the start
    draws of the n paths are u_i = (π_i + v_i)/n with π a random permutation of 0..n−1 and
    v_i ~ U(0, 1), so that each path still starts e in y with probability p_e, but the
    sample holds ⌊n·p_e⌋ or ⌈n·p_e⌉ such starts instead of a binomial count."""
    rng = np.random.default_rng([stream, seed])
    strata = [(rng.permuted(np.tile(np.arange(n)[:, None], (1, len(years))), axis=0)
               + rng.random((n, len(years)))) / n for _ in model.events] if stratified else None
    paths = []
    for i in range(n):
        path = []
        for e, event in enumerate(model.events):
            draws = strata[e][i] if stratified else rng.random(len(years))
            for y in np.asarray(years)[draws < event.yearly_probability]:
                u_duration, u_severity = rng.random(2)
                path.append(Occurrence(event, int(y), float(u_duration), float(u_severity)))
        paths.append(path)
    return paths


def _runs(values: dict[int, tuple]) -> list[tuple[int, int, tuple]]:
    """Consecutive years of equal value as (first, last, value)."""
    out = []
    for y in sorted(values):
        if out and out[-1][1] == y - 1 and out[-1][2] == values[y]:
            out[-1] = (out[-1][0], y, values[y])
        else:
            out.append((y, y, values[y]))
    return out


def _baseline(rows: list[tuple], material: str, country: str, year: int) -> tuple[float, float]:
    """(share, multiplier) of the `*` regime rows (material, country, year_from, year_to,
    available_share, price_multiplier) covering a material, country and year: the lowest
    share and the highest multiplier, blanks skipped, NaN where no row covers it."""
    hit = [r for r in rows if r[0] in (material, "*") and r[1] in (country, "*")
           and r[2] <= year <= r[3]]
    shares = [float(r[4]) for r in hit if r[4] == r[4]]
    prices = [float(r[5]) for r in hit if r[5] == r[5]]
    return (min(shares) if shares else np.nan), (max(prices) if prices else np.nan)


def path_rows(scenario: str, path: list[Occurrence], years: list[int],
              regime: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """Disruption rows and demand-shock rows of one path (regime: the `*` disruption rows)."""
    supply: dict[tuple[str, str], dict[int, tuple]] = {}
    demand: dict[tuple[str, str], dict[int, float]] = {}
    for occ in path:
        for hit in occ.event.hits:
            for y in occ.years(hit, years):
                if hit.kind == "supply":
                    cell = supply.setdefault((hit.material, hit.country), {})
                    share, mult = cell.get(y, (1.0, 1.0))
                    cell[y] = (min(share, occ.share(hit)), max(mult, occ.price(hit)))
                else:
                    cell = demand.setdefault((occ.event.name, hit.material), {})
                    factor = occ.demand(hit)
                    if abs(np.log(factor)) > abs(np.log(cell.get(y, 1.0))):
                        cell[y] = factor
    disruptions = []
    # plain tuples: a pandas filter per (material, country, year) took most of a sample's time
    rows = list(regime[["material", "country", "year_from", "year_to", "available_share",
                        "price_multiplier"]].itertuples(index=False, name=None)) \
        if not regime.empty else []
    for (m, c), by_year in supply.items():
        if rows:
            by_year = {y: (min(s, b[0]), max(p, b[1])) if not np.isnan(b[0]) else (s, p)
                       for y, (s, p) in by_year.items()
                       for b in [_baseline(rows, m, c, y)]}
        disruptions += [{"scenario": scenario, "material": m, "country": c, "year_from": a,
                         "year_to": b, "available_share": v[0], "price_multiplier": v[1],
                         "source": EVENT_SOURCE} for a, b, v in _runs(by_year)]
    shocks = [{"scenario": scenario, "material": m, "year_from": a, "year_to": b,
               "multiplier": v, "source": EVENT_SOURCE}
              for (_, m), by_year in demand.items() for a, b, v in _runs(by_year)]
    return disruptions, shocks


def describe(path: list[Occurrence]) -> str:
    return "; ".join(f"{o.event.name} {o.start}" for o in sorted(path, key=lambda o: o.start)) \
        or "no event"


def path_tables(tables: dict[str, pd.DataFrame], paths: dict[str, list[Occurrence]],
                years: list[int], probability: dict[str, float] | None = None
                ) -> dict[str, pd.DataFrame]:
    """The tables with scenarios, disruptions and demand shocks replaced by the named paths
    (probability as given, else 1/len(paths) each); `*` rows of disruptions and demand shocks
    stay."""
    dis, shocks = tables["disruptions"], tables["demand_shocks"]
    regime, kept_shocks = dis[dis["scenario"] == "*"], shocks[shocks["scenario"] == "*"]
    cuts, surges = [], []
    for name, path in paths.items():
        rows, shock_rows = path_rows(name, path, years, regime)
        cuts += rows
        surges += shock_rows
    out = dict(tables)
    weights = [probability[w] for w in paths] if probability else 1.0 / len(paths)
    out["scenarios"] = pd.DataFrame({"scenario": list(paths), "probability": weights,
                                     "description": [describe(p) for p in paths.values()],
                                     "source": EVENT_SOURCE})
    out["disruptions"] = pd.concat([regime, pd.DataFrame(cuts, columns=dis.columns)],
                                   ignore_index=True)
    out["demand_shocks"] = pd.concat([kept_shocks, pd.DataFrame(surges, columns=shocks.columns)],
                                     ignore_index=True)
    return out


def sampled_paths(model: EventModel, years: list[int], n: int, seed: int,
                  stratified: bool = False) -> dict[str, list[Occurrence]]:
    """`n` paths drawn from `model` on the study's stream, named s1..sN with zero padding."""
    width = len(str(n))
    return {f"s{i:0{width}d}": path for i, path in
            enumerate(draw_paths(model, years, n, seed, STUDY_STREAM, stratified), 1)}


def sampled_tables(tables: dict[str, pd.DataFrame], model: EventModel, years: list[int],
                   n: int, seed: int, stratified: bool = False) -> dict[str, pd.DataFrame]:
    """The tables with the scenarios replaced by `n` paths drawn from `model` (the study's
    stream)."""
    out = path_tables(tables, sampled_paths(model, years, n, seed, stratified), years)
    log.info("sampled %d scenarios (seed %d): %d disruption rows, %d demand-shock rows",
             n, seed, len(out["disruptions"]), len(out["demand_shocks"]))
    return out
