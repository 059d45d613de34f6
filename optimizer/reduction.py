"""Scenario reduction: keep N of M drawn paths, with probabilities, by fast forward selection.

Each path w of a Case gets a cost-relevant feature vector φ_w, one entry per (material m,
year y) and effect, in EUR discounted to the horizon's start (d_y = (1 + r)^−(y − y₀)):

    supply   Σ_{s of m} cap[s,y]·(1 − a[s,y,w])·price[s]·d_y       deliveries lost at contract prices
    price    (π[m,y,w] − 1)·demand₀[m,y]·price̅[m]·d_y              the spot spike on a year's demand
    demand   (demand[m,y,w] − demand₀[m,y])·price̅[m]·d_y            demand shifted

(price̅[m] the capacity-weighted contract price of m's sources, demand₀ before any shock). The
distance of two paths is c(i, j) = ‖φ_i − φ_j‖₁. Fast forward selection (Heitsch and Römisch,
2003) grows the kept set J one path at a time, each time the u that minimises the transport
distance of the drawn distribution to J ∪ {u},

    u = argmin_u Σ_{k ∉ J ∪ {u}} p_k · min_{j ∈ J ∪ {u}} c(k, j),

and each dropped path's probability goes to its nearest kept path (the optimal
redistribution), so kept probabilities sum to 1 and the kept paths are drawn ones.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

log = logging.getLogger(__name__)


def scenario_features(case) -> pd.DataFrame:
    """φ_w of the module docstring: one row per scenario of `case`, one column per
    (effect, material, year)."""
    start = case.study.horizon.start
    discount = {y: (1 + case.study.discount_rate) ** -(y - start) for y in case.years}
    sources = case.sources
    capacity = case.capacity.rename("cap").reset_index()
    capacity["price"] = capacity["source"].map(sources["price_eur_per_t"])
    capacity["material"] = capacity["source"].map(sources["material"])
    weighted = capacity.assign(value=capacity["cap"] * capacity["price"]).groupby("material")
    mean_price = weighted["value"].sum() / weighted["cap"].sum().replace(0.0, np.nan)
    mean_price = mean_price.fillna(0.0)

    lost = case.availability.rename("a").reset_index().merge(capacity, on=["source", "year"])
    lost["v"] = lost["cap"] * (1 - lost["a"]) * lost["price"] * lost["year"].map(discount)
    supply = lost.groupby(["scenario", "material", "year"])["v"].sum().unstack(["material", "year"])

    base = case.base_demand.rename("d0").reset_index()
    value = base.assign(v=base["d0"] * base["material"].map(mean_price).fillna(0.0)
                        * base["year"].map(discount)).set_index(["material", "year"])["v"]
    spike = (case.price_multiplier - 1).rename("x").reset_index()
    spike["v"] = spike["x"] * spike.set_index(["material", "year"]).index.map(value).fillna(0.0)
    price = spike.set_index(["scenario", "material", "year"])["v"].unstack(["material", "year"])

    shocked = case.demand.rename("d").reset_index().merge(base, on=["material", "year"])
    shift = shocked.assign(x=shocked["d"] / shocked["d0"].replace(0.0, np.nan) - 1).fillna(0.0)
    shift["v"] = shift["x"] * shift.set_index(["material", "year"]).index.map(value).fillna(0.0)
    demand = shift.set_index(["scenario", "material", "year"])["v"].unstack(["material", "year"])
    frames = {"supply": supply, "price": price, "demand": demand}
    return pd.concat(frames, axis=1).reindex(case.scenario_ids).fillna(0.0)


def forward_selection(features: pd.DataFrame, probability: pd.Series, n: int) -> pd.Series:
    """The kept scenarios and their probabilities (module docstring): `n` of the rows of
    `features`, probabilities redistributed to the nearest kept one."""
    if not 1 <= n <= len(features):
        raise ValueError(f"cannot keep {n} of {len(features)} scenarios")
    x = features.to_numpy(dtype=float)
    p = probability.reindex(features.index).to_numpy(dtype=float)
    distance = cdist(x, x, "cityblock")
    nearest = np.full(len(x), np.inf)       # min over kept j of c(k, j)
    kept: list[int] = []
    for _ in range(n):
        candidate = np.minimum(nearest[None, :], distance)   # row u: nearest with u kept
        cost = candidate @ p
        cost[kept] = np.inf
        u = int(np.argmin(cost))
        kept.append(u)
        nearest = candidate[u]
    owner = np.asarray(kept)[np.argmin(distance[:, kept], axis=1)]
    weights = np.bincount(owner, weights=p, minlength=len(x))[kept]
    kept_ids = features.index[kept]
    log.info("scenario reduction: kept %d of %d paths, transport distance %.4g EUR",
             n, len(x), float(nearest @ p))
    return pd.Series(weights / weights.sum(), index=kept_ids, name="probability")
