"""The Case's supply data: capacity over time, disruptions over the baseline regime, and the
share of spare capacity the EU can reach while a supplier is cut.

- **Capacity path.** capacity_t_per_yr by (source, year): the years listed for a source in
  source_capacity.csv override sources.csv, linear between listed years, the nearest listed
  value outside them; a source without rows keeps its constant. country_output_t_per_yr
  follows the same rule (rows without it are skipped).
- **Baseline regime.** disruptions.csv rows of scenario `*` are the regime in force (2025's
  export controls) and apply in every scenario. Where a scenario's own rows cover a
  (material, country, year), they replace the `*` rows there (a relaxation scenario lists
  available_share 1 and price_multiplier 1). Overlapping rows of one kind take the lowest
  available_share and the highest price_multiplier. A material is disrupted in a
  scenario-year when it is worse off than under the baseline alone: a source of it delivers
  a smaller share, or its spot price multiplier is higher.
- **Competition for what is left.** While some source of material m delivers less than
  normal (available_share < 1), the world's buyers turn to the remaining suppliers and the
  EU obtains only eu_import_share[m] of their spare capacity:

      spare_share[s,y,w] = eu_import_share[m]   if min_{s' of m} available_share[s',y,w] < 1
                                                and available_share[s,y,w] = 1
                         = available_share[s,y,w]   otherwise
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import Problem

EVERY = "*"   # a disruption row's wildcard, and its scenario for the baseline regime


def source_path(sources: pd.DataFrame, listed: pd.DataFrame, years: list[int],
                column: str) -> pd.Series:
    """`column` of each source (sources indexed by source) by (source, year) over `years`."""
    rows = listed.assign(value=pd.to_numeric(listed[column], errors="coerce"),
                         at=pd.to_numeric(listed["year"], errors="coerce"))
    rows = rows.dropna(subset=["value", "at"])
    paths = {s: r.sort_values("at") for s, r in rows.groupby("source")}
    constant = pd.to_numeric(sources[column], errors="coerce")
    values = [np.interp(years, paths[s]["at"].to_numpy(float), paths[s]["value"].to_numpy(float))
              if s in paths else np.full(len(years), constant[s]) for s in sources.index]
    index = pd.MultiIndex.from_product([list(sources.index), list(years)],
                                       names=["source", "year"])
    return pd.Series(np.concatenate(values) if values else [], index=index, dtype=float)


def grid(keys: dict[str, list]) -> pd.DataFrame:
    """Every combination of the given key values, in order (the last key varies fastest)."""
    index = pd.MultiIndex.from_product(list(keys.values()), names=list(keys))
    return index.to_frame(index=False)


def fold(entries: pd.DataFrame, rows: pd.DataFrame, match: dict[str, str], column: str,
         combine, default: float) -> tuple[np.ndarray, np.ndarray]:
    """Fold each row's `column` into every entry it covers (`*` matches all).

    `match` maps entry columns to row columns; rows cover years year_from..year_to. Returns
    the folded values and whether any row covered each entry.
    """
    values = np.full(len(entries), default, dtype=float)
    covered = np.zeros(len(entries), dtype=bool)
    year = entries["year"].to_numpy()
    # keys as integer codes, once: comparing codes is many times faster than comparing strings
    codes, known = {}, {}
    for entry_col in match:
        codes[entry_col], uniques = pd.factorize(entries[entry_col])
        known[entry_col] = {value: i for i, value in enumerate(uniques)}
    # the entries of each value of the first key (the scenario), so that a row naming one
    # looks at its entries only: with a row set per sampled path, work linear in the paths
    first = next(iter(match))
    order = np.argsort(codes[first], kind="stable")
    starts = np.searchsorted(codes[first][order], np.arange(len(known[first]) + 1))
    everything = np.arange(len(entries))
    for row in rows.itertuples(index=False):
        wanted = getattr(row, match[first])
        if wanted == EVERY:
            at = everything
        elif wanted in known[first]:
            code = known[first][wanted]
            at = order[starts[code]:starts[code + 1]]
        else:
            continue
        mask = (year[at] >= row.year_from) & (year[at] <= row.year_to)
        for entry_col, row_col in match.items():
            wanted = getattr(row, row_col)
            if wanted != EVERY:
                mask &= codes[entry_col][at] == known[entry_col].get(wanted, -2)
        hit = at[mask]
        values[hit] = combine(values[hit], getattr(row, column))
        covered[hit] = True
    return values, covered


def layered(entries: pd.DataFrame, rows: pd.DataFrame, match: dict[str, str], column: str,
            combine, default: float) -> tuple[np.ndarray, np.ndarray]:
    """(values with each scenario's own rows replacing the baseline where they cover an
    entry, values of the baseline rows alone)."""
    baseline = rows["scenario"] == EVERY
    base, _ = fold(entries, rows[baseline], match, column, combine, default)
    own, covered = fold(entries, rows[~baseline], match, column, combine, default)
    return np.where(covered, own, base), base


def disruption_data(sources: pd.DataFrame, materials: list[str], years: list[int],
                    scenarios: list[str], rows: pd.DataFrame):
    """available_share by (source, year, scenario), price_multiplier by (material, year,
    scenario) and the disrupted {(material, year, scenario)}."""
    match = {"scenario": "scenario", "material": "material", "country": "country"}
    by_source = grid({"source": list(sources.index), "year": years, "scenario": scenarios})
    by_source["material"] = by_source["source"].map(sources["material"])
    by_source["country"] = by_source["source"].map(sources["country"])
    share, base_share = layered(by_source, rows, match, "available_share", np.minimum, 1.0)

    # The multiplier is the material's, but which rows apply is decided per country: every
    # country a row names, and one stand-in ("*") for all the others.
    named = sorted(set(rows["country"]) - {EVERY})
    by_country = grid({"material": materials, "country": named + [EVERY], "year": years,
                       "scenario": scenarios})
    mult, base_mult = layered(by_country, rows, match, "price_multiplier", np.maximum, 1.0)
    keys = ["material", "year", "scenario"]
    price = by_country[keys].assign(v=mult, base=base_mult).groupby(keys, sort=False).max()
    worse = by_source[keys][share < base_share - 1e-12]
    hit = set(price.index[price["v"] > price["base"] + 1e-12]) | set(map(tuple, worse.to_numpy()))
    availability = pd.Series(share, index=pd.MultiIndex.from_frame(
        by_source[["source", "year", "scenario"]]))
    multiplier = price["v"].reindex(pd.MultiIndex.from_frame(grid(
        {"material": materials, "year": years, "scenario": scenarios})))
    return availability, multiplier, frozenset(hit)


def spare_share(availability: pd.Series, material: pd.Series, import_share: pd.Series) -> pd.Series:
    """spare_share by the index of `availability` (source, year, scenario); `material` maps
    source to material, `import_share` material to eu_import_share."""
    frame = availability.rename("a").reset_index()
    frame["material"] = frame["source"].map(material)
    levels = ["material"] + [n for n in availability.index.names if n != "source"]
    squeezed = frame.groupby(levels)["a"].transform("min") < 1.0
    share = frame["material"].map(import_share).fillna(1.0).to_numpy()
    values = np.where(squeezed & (frame["a"] >= 1.0), share, frame["a"])
    return pd.Series(values, index=availability.index, dtype=float)


def output_problems(t: dict[str, pd.DataFrame], where: dict[str, str],
                    years: list[int]) -> list[Problem]:
    """Sources whose country's output is stated and below the capacities of that country's
    sources of the material summed, in a horizon year or a year source_capacity.csv lists."""
    src = t["sources"].reset_index().drop_duplicates("source")
    src = src[src["source"].notna()].set_index("source")
    listed = t["source_capacity"]
    listed = listed[listed["source"].isin(src.index)]
    check = sorted(set(years) | set(pd.to_numeric(listed["year"], errors="coerce").dropna()
                                    .astype(int)))
    capacity = source_path(src, listed, check, "capacity_t_per_yr").rename("capacity")
    output = source_path(src, listed, check, "country_output_t_per_yr").rename("output")
    frame = pd.concat([capacity, output], axis=1).reset_index()
    frame["country"] = frame["source"].map(src["country"])
    frame["material"] = frame["source"].map(src["material"])
    frame["total"] = frame.groupby(["country", "material", "year"])["capacity"].transform("sum")
    over = frame[frame["total"] > frame["output"] * (1 + 1e-9) + 1e-9]
    problems = []
    for s, rows in over.groupby("source", sort=False):
        worst = rows.loc[(rows["total"] - rows["output"]).idxmax()]
        peers = src.index[(src["country"] == worst["country"])
                          & (src["material"] == worst["material"])]
        problems.append(Problem(
            where["sources"], int(src.at[s, "row"]), "capacity_t_per_yr",
            f"{worst['total']:g} in {int(worst['year'])}",
            f"the capacities of {worst['country']}'s sources of {worst['material']} "
            f"({', '.join(peers)}) summed to at most its country_output_t_per_yr "
            f"{worst['output']:g} in every year"))
    return problems
