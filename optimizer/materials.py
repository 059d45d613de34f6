"""Per-material answers: materials.csv, one row per material, from the plan's own tables.

Money is discounted EUR (present value at the horizon start) over the whole horizon; tonnes
and shares are expected values over the scenarios (probability-weighted):

- cost_eur: everything costs.csv charges to the material (attribution.py), expected: the
  first-stage rows plus the probability-weighted scenario rows. It is the sum of
  purchases_eur (contract + spot − resale), capex_eur (its facilities, and its stock capacity
  and demand-side options where these have capex), opex_eur (its facilities' fixed and
  variable operating cost), stock_eur (holding + stock fill − end value of the stock),
  substitution_eur and shortage_eur.
- cvar_contribution_eur: the material's part of the CVaR of total cost at the study's alpha:
  its cost in each scenario weighted as CVaR weighs that scenario (the worst 1 − alpha of
  probability). The materials' parts plus the unattributed rows' part equal cvar_eur.
- import_dependence: (contract + spot − resold − written off) / consumption, over the
  horizon; consumption as the policy shares measure it (demand − substitution + use).
- max_non_eu_share, max_non_eu_country: the CRMA's single-country measure, the largest
  kpis.csv max_country_share of the material in any year from policy.from_year on (and that
  year's top_country): min(1, imports from one non-EU country / consumption), so never above
  100% (imports beyond a year's consumption refill stock or are resold); 0 and no country
  when nothing is imported.
- eu_production_share, recycling_share: output of EU production facilities, resp. EU
  recycling facilities, as a share of consumption over the horizon.
- stock_t, stock_days: strategic stock capacity and the days of peak consumption it covers
  (stockpile.csv).
- expected_shortfall_t: unmet demand over the horizon.
"""
from __future__ import annotations

import pandas as pd

from .attribution import costs_by_material
from .case import Case
from .results import COLUMNS, consumption, scenario_totals, tail_mass

GROUPS = {"contract": "purchases_eur", "spot": "purchases_eur", "resale": "purchases_eur",
          "capex": "capex_eur", "opex": "opex_eur", "variable": "opex_eur",
          "holding": "stock_eur", "stock_fill": "stock_eur", "stock_end_value": "stock_eur",
          "substitution": "substitution_eur", "shortage": "shortage_eur"}


def scenario_weights(costs: pd.DataFrame, probability: dict[str, float]) -> dict[str, float]:
    """Weight of each scenario label of costs.csv in the expected cost (`*` counts once)."""
    return {w: 1.0 if w == "*" else probability[w] for w in costs["scenario"].unique()}


def cvar_weights(costs: pd.DataFrame, probability: dict[str, float],
                 alpha: float) -> dict[str, float]:
    """Weight of each scenario label in CVaR_alpha of total cost (`*` counts once)."""
    taken = tail_mass(scenario_totals(costs), probability, alpha)
    mass = sum(taken.values())
    weights = {w: taken.get(w, 0.0) / mass for w in probability} if mass > 0 else \
        {w: 0.0 for w in probability}
    return {"*": 1.0, **weights}


def _expected(frame: pd.DataFrame, probability: dict[str, float], value: str,
              by: str) -> pd.Series:
    weight = frame["scenario"].map(probability)
    return (frame[value] * weight).groupby(frame[by]).sum()


def largest_country_share(case: Case, kpis: pd.DataFrame) -> pd.DataFrame:
    """max_non_eu_share and max_non_eu_country per material: the largest max_country_share
    of kpis.csv in a year from policy.from_year on, and that year's top_country (module doc)."""
    rows = kpis[(kpis["year"] >= case.study.from_year) & (kpis["top_country"] != "")]
    top = rows.loc[rows.groupby("material")["max_country_share"].idxmax()].set_index("material")
    return pd.DataFrame({"max_non_eu_share": top["max_country_share"].astype(float),
                         "max_non_eu_country": top["top_country"].astype(str)})


def shares(case: Case, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """import_dependence, max_non_eu_share (and country), eu_production_share and
    recycling_share per material, from flows.csv and kpis.csv (module doc)."""
    flows, p = tables["flows"], case.probability
    f = flows.assign(w=flows["scenario"].map(p))
    f["et"] = (f["t"] * f["w"]).astype(float)
    src, fac = case.sources, case.facilities
    used = consumption(case, flows)
    used = (used * used.index.get_level_values("scenario").map(p)).astype(float)
    by_year = used.groupby(level=["material", "year"]).sum()
    by_year = by_year.where(by_year > 0)          # no share of nothing consumed
    total = by_year.groupby(level="material").sum(min_count=1)

    def horizon(rows) -> pd.Series:
        return f.loc[rows].groupby("material")["et"].sum().reindex(total.index).fillna(0.0)

    sign = f["flow"].map({"contract": 1.0, "spot": 1.0, "surplus": -1.0, "write_off": -1.0})
    net = (f["et"] * sign).groupby(f["material"]).sum().reindex(total.index).fillna(0.0)
    made = f["flow"].isin(["production", "recycling"])
    country = f["source_or_facility"].map(src["country"]).where(
        f["flow"].isin(["contract", "spot"]), f["source_or_facility"].map(fac["country"]))
    in_eu = country.map(case.countries["eu"].astype(bool)).fillna(False).astype(bool)
    largest = largest_country_share(case, tables["kpis"]).reindex(total.index)
    frame = pd.DataFrame({
        "import_dependence": net / total,                       # NaN where nothing is used
        "max_non_eu_share": largest["max_non_eu_share"].fillna(0.0),
        "max_non_eu_country": largest["max_non_eu_country"].fillna(""),
        "eu_production_share": horizon(made & in_eu & (f["flow"] == "production")) / total,
        "recycling_share": horizon(made & in_eu & (f["flow"] == "recycling")) / total})
    return frame[total.notna()]


def materials(case: Case, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """materials.csv: one row per material with a demand or a cost (module doc)."""
    costs, p = tables["costs"], case.probability
    weight = costs["scenario"].map(scenario_weights(costs, p))
    tail = costs["scenario"].map(cvar_weights(costs, p, case.study.risk.alpha))
    charged = costs[costs["material"] != ""]
    money = (charged["eur"] * weight).groupby([charged["material"], charged["component"]
                                               .map(GROUPS)]).sum().unstack(fill_value=0.0)
    money = money.reindex(columns=list(dict.fromkeys(GROUPS.values())), fill_value=0.0)
    money.insert(0, "cost_eur", money.sum(axis=1))
    money["cvar_contribution_eur"] = (charged["eur"] * tail).groupby(charged["material"]).sum()
    stock = tables["stockpile"].set_index("material")
    short = _expected(tables["shortfall"], p, "shortfall_t", "material")
    index = [m for m in case.materials.index
             if m in money.index or m in short.index or m in stock.index]
    frame = money.reindex(index).fillna(0.0).join(shares(case, tables))
    frame["stock_t"] = stock["capacity_t"].reindex(index).fillna(0.0)
    frame["stock_days"] = stock["days_of_demand"].reindex(index)
    frame["expected_shortfall_t"] = short.reindex(index).fillna(0.0)
    frame["name"] = case.materials["name"].reindex(index)
    frame["max_non_eu_country"] = frame["max_non_eu_country"].fillna("")
    return frame.rename_axis("material").reset_index()[COLUMNS["materials"]]


def with_materials(case: Case, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """A solved run's tables with costs split by material and materials.csv added."""
    tables = {**tables, "costs": costs_by_material(case, tables)}
    return {**tables, "materials": materials(case, tables)}
