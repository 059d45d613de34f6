"""Supply-risk indicators per material and year, computed from the plan's own flows.

All figures are expectations over the scenarios (probability-weighted flows):

- supply by country: imports (contract deliveries + spot) by the source's country, plus the
  output of facilities (production and recycling) by the facility's country;
- hhi = Σ_c share_c², shares of that supply (0..1); max_supply_share its largest share (any
  country, the EU's own included) and top_supplier that country;
- max_country_share, the CRMA benchmark's reading (the quantity the policy key of that name
  caps): the largest share of EU consumption imported (contract deliveries + spot) from one
  non-EU country, min(1, imports_c / consumption), so never above 100% (imports beyond consumption refill stock or are resold);
  top_country that country (empty, with share 0, when nothing is imported);
- eu_processing_share, recycling_share: output of EU refining, resp. EU recycling, facilities
  as a share of EU consumption (demand − substitution + use as facility input);
- supply_risk, in the manner of the EU JRC method: Σ_c share_c² · (10 − governance_c), the
  HHI weighted by each country's governance risk on a 0-10 scale, times (1 − recycling_share).
"""
from __future__ import annotations

import pandas as pd

from .case import Case
from . import results
from .results import COLUMNS


def _expected(frame: pd.DataFrame, case: Case, by: list[str]) -> pd.Series:
    weight = frame["scenario"].map(case.probability)
    return (frame["t"] * weight).groupby([frame[c] for c in by]).sum()


def kpis(case: Case, flows: pd.DataFrame) -> pd.DataFrame:
    if flows.empty:
        return pd.DataFrame(columns=COLUMNS["kpis"])
    src, fac, countries = case.sources, case.facilities, case.countries
    imports = flows[flows["flow"].isin(["contract", "spot"])].copy()
    imports["country"] = imports["source_or_facility"].map(src["country"])
    made = flows[flows["flow"].isin(["production", "recycling"])].copy()
    made["country"] = made["source_or_facility"].map(fac["country"])
    supply = _expected(pd.concat([imports, made]), case, ["material", "year", "country"])
    non_eu = _expected(imports[~imports["country"].map(countries["eu"]).astype(bool)], case,
                       ["material", "year", "country"])

    eu_fac = fac[fac["country"].map(countries["eu"])]
    refined = made[made["source_or_facility"].isin(eu_fac.index[eu_fac["kind"] == "refining"])]
    recycled = made[made["source_or_facility"].isin(eu_fac.index[eu_fac["kind"] == "recycling"])]
    consumption = results.expected_consumption(case, flows)
    processing = _expected(refined, case, ["material", "year"]).reindex(consumption.index).fillna(0)
    recycling = _expected(recycled, case, ["material", "year"]).reindex(consumption.index).fillna(0)

    risk = (10.0 - countries["governance"]).to_dict()
    rows = []
    for (mat, y), group in supply.groupby(level=["material", "year"]):
        by_country = group.droplevel(["material", "year"])
        total = by_country.sum()
        if total <= 0:
            continue
        share = by_country / total
        hhi = float((share ** 2).sum())
        use = consumption.get((mat, y), 0.0)
        rec = float(recycling.get((mat, y), 0.0) / use) if use > 0 else 0.0
        proc = float(processing.get((mat, y), 0.0) / use) if use > 0 else 0.0
        weighted = float(sum(s ** 2 * risk[c] for c, s in share.items()))
        third, top_third = _largest_share(non_eu, mat, y, use)
        rows.append((mat, y, hhi, third, top_third, proc, rec, weighted * (1.0 - min(rec, 1.0)),
                     float(share.max()), share.idxmax()))
    return pd.DataFrame(rows, columns=COLUMNS["kpis"])


def _largest_share(imports: pd.Series, material: str, year: int, consumption: float
                   ) -> tuple[float, str]:
    """(min(1, largest non-EU country's imports / consumption), that country)."""
    try:
        by_country = imports.loc[(material, year)]
    except KeyError:
        return 0.0, ""
    if by_country.empty or by_country.max() <= 0 or consumption <= 0:
        return 0.0, ""
    return min(1.0, float(by_country.max()) / consumption), str(by_country.idxmax())
