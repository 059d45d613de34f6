"""Cost by material: each cost component of costs.csv split among the materials it belongs to.

Every term of the objective is priced again from the plan's tables (flows, builds, stockpile)
and the Case's data, with the coefficients the formulation uses (docs/formulation.md), and
charged to one material (discounted EUR; d_y the discount factor of year y):

    capex         builds: capex_eur_per_unit·units·d_(year built), to the facility's output;
                  stock: stockpile_capex_eur_per_t·(capacity − initial_stock_t);
                  demand-side option with capex_eur: to its material, when it is used
    opex          Σ_y d_y·fixed_opex_eur_per_unit_yr·units online in y, to the output
    holding       Σ_y d_y·holding_cost_eur_per_t_yr·capacity
    stock_fill    normal price·(capacity − initial_stock_t)
    contract      d_y·price·t delivered, to the source's material
    spot          d_y·price·spot_premium·price_multiplier·t
    variable      d_y·variable_cost_eur_per_t·t produced, to the output
    substitution  d_y·cost_eur_per_t·t avoided, to the option's material
    shortage      d_y·shortage_cost_eur_per_t·shortfall
    resale        −d_y·resale_share·price·t resold
    stock_end_value  −normal price·stock left at the end (capacity + refills − draws)

What a component's model total holds beyond the priced terms (an option adopted but never
used) stays in a row of its own with no material; a difference within the solver's
tolerance (NOISE_EUR) goes to the component's largest part instead. So for every
scenario and component the rows add up to the model's figure, and costs.csv's invariant
holds: the `*` rows plus the probability-weighted scenario rows are expected_cost_eur. A
component that no material takes (holding without a stock) keeps its row, material empty.
"""
from __future__ import annotations

import pandas as pd

from .case import Case
from .results import COLUMNS
NOISE_EUR = 1.0    # a remainder below this is the solver's tolerance, not a cost
PRICED = ["scenario", "component", "material", "eur"]    # a re-priced term, before costs.csv's order


def _discount(case: Case, years: pd.Series) -> pd.Series:
    return years.map({y: case.discount(y) for y in case.years})


def _first_stage(case: Case, builds: pd.DataFrame, stockpile: pd.DataFrame,
                 flows: pd.DataFrame) -> pd.DataFrame:
    fac, mats, subs = case.facilities, case.materials, case.substitutes
    parts = []
    if len(builds):
        b = builds.assign(material=builds["facility"].map(fac["output"]))
        b["eur"] = b["facility"].map(fac["capex_eur_per_unit"]) * b["units"] \
            * _discount(case, b["year_built"])
        parts.append(b.assign(component="capex")[["component", "material", "eur"]])
    online = {(f, y): float(n) for f, n in fac["existing_units"].items() for y in case.years}
    for r in builds.itertuples():
        for y in case.years:
            if y >= r.year_online:
                online[r.facility, y] += r.units
    parts.append(pd.DataFrame(
        [("opex", fac.at[f, "output"], case.discount(y) * fac.at[f, "fixed_opex_eur_per_unit_yr"]
          * n) for (f, y), n in online.items() if n > 0], columns=["component", "material", "eur"]))
    stock = stockpile.set_index("material")["capacity_t"].astype(float)
    new = stock - mats["initial_stock_t"].reindex(stock.index).fillna(0.0)
    years_pv = sum(case.discount(y) for y in case.years)
    price = case.normal_price.reindex(stock.index).fillna(0.0)
    for component, eur in (
            ("capex", mats["stockpile_capex_eur_per_t"].reindex(stock.index).fillna(0.0) * new),
            ("holding", years_pv * mats["holding_cost_eur_per_t_yr"].reindex(stock.index) * stock),
            ("stock_fill", price * new)):
        parts.append(pd.DataFrame({"component": component, "material": stock.index,
                                   "eur": eur.to_numpy()}))
    used = set(flows.loc[flows["flow"] == "substitution", "source_or_facility"])
    paid = subs[subs.index.isin(used) & (subs["capex_eur"] > 0)]
    parts.append(pd.DataFrame(
        [("capex", r["material"], case.discount(max(case.years[0], int(r["available_from"])))
          * r["capex_eur"]) for _, r in paid.iterrows()], columns=["component", "material", "eur"]))
    return pd.concat(parts, ignore_index=True).assign(scenario="*")


def _second_stage(case: Case, flows: pd.DataFrame, shortfall: pd.DataFrame,
                  stockpile: pd.DataFrame) -> pd.DataFrame:
    src, fac, subs = case.sources, case.facilities, case.substitutes
    f = flows.assign(d=_discount(case, flows["year"]))
    where, t = f["source_or_facility"], f["t"]
    price = where.map(src["price_eur_per_t"])
    multiplier = pd.Series(case.price_multiplier.reindex(
        pd.MultiIndex.from_arrays([f["material"], f["year"], f["scenario"]])).to_numpy(),
        index=f.index).fillna(1.0)
    rates = {
        "contract": price,
        "spot": price * where.map(src["spot_premium"]) * multiplier,
        "resale": -case.study.resale_share * price,
        "production": where.map(fac["variable_cost_eur_per_t"]),
        "recycling": where.map(fac["variable_cost_eur_per_t"]),
        "substitution": where.map(subs["cost_eur_per_t"]),
    }
    component = {"production": "variable", "recycling": "variable", "surplus": "resale"}
    parts = []
    for flow, rate_key in (("contract", "contract"), ("spot", "spot"), ("surplus", "resale"),
                           ("production", "production"), ("recycling", "recycling"),
                           ("substitution", "substitution")):
        rows = f["flow"] == flow
        parts.append(pd.DataFrame({
            "scenario": f.loc[rows, "scenario"], "component": component.get(flow, flow),
            "material": f.loc[rows, "material"],
            "eur": (f["d"] * rates[rate_key] * t)[rows]}))
    s = shortfall.assign(eur=lambda x: _discount(case, x["year"]) * x["shortfall_t"]
                         * x["material"].map(case.materials["shortage_cost_eur_per_t"]))
    parts.append(s.assign(component="shortage")[["scenario", "component", "material", "eur"]])
    stock = stockpile.set_index("material")["capacity_t"].astype(float)
    moved = f[f["flow"].isin(["stock_refill", "stock_draw"])]
    change = (moved["t"] * moved["flow"].map({"stock_refill": 1.0, "stock_draw": -1.0})) \
        .groupby([moved["material"], moved["scenario"]]).sum()
    scenarios = list(dict.fromkeys(shortfall["scenario"])) or list(dict.fromkeys(f["scenario"]))
    rows = [(w, "stock_end_value", m, -case.normal_price.get(m, 0.0)
             * (cap + change.get((m, w), 0.0))) for m, cap in stock.items() for w in scenarios]
    parts.append(pd.DataFrame(rows, columns=PRICED))
    return pd.concat(parts, ignore_index=True)


def costs_by_material(case: Case, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """costs.csv with a material column: the model's `costs` rows split by material (module
    doc), and what no material takes in a row with material empty."""
    model = tables["costs"]
    priced = pd.concat([_first_stage(case, tables["builds"], tables["stockpile"], tables["flows"]),
                        _second_stage(case, tables["flows"], tables["shortfall"],
                                      tables["stockpile"])], ignore_index=True)
    priced = priced[priced["eur"].abs() > 0]
    split: dict = {}
    for (w, k, m), eur in priced.groupby(["scenario", "component", "material"],
                                         sort=False)["eur"].sum().items():
        split.setdefault((w, k), []).append((m, float(eur)))
    rows = []
    for r in model.itertuples(index=False):
        parts = split.get((r.scenario, r.component), [])
        rest = float(r.eur) - sum(eur for _, eur in parts)
        if parts and abs(rest) <= NOISE_EUR:       # the solver's tolerance: to the largest
            big = max(range(len(parts)), key=lambda i: abs(parts[i][1]))
            parts[big], rest = (parts[big][0], parts[big][1] + rest), None
        rows += [(r.scenario, r.component, m, eur) for m, eur in parts]
        if rest is not None:                       # every component keeps a row
            rows.append((r.scenario, r.component, "", rest))
    return pd.DataFrame(rows, columns=PRICED)[COLUMNS["costs"]]
