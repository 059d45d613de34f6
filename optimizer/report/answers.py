"""The plain-language summary's answers per material and why each decision was taken."""
from __future__ import annotations

import pandas as pd

from ..display import money as _eur
from ..explain import sentences
from ..results import Results


def _share(x) -> str:
    return "n/a" if pd.isna(x) else f"{x:.0%}"


def material_lines(results: Results) -> list[str]:
    """One line per material of materials.csv, the costliest first."""
    frame = results.materials
    if frame.empty:
        return []
    lines = ["By material (present value, expected; shares of consumption over the horizon):"]
    for r in frame.sort_values("cost_eur", ascending=False).itertuples():
        country = f", {str(r.max_non_eu_country).upper()} up to {_share(r.max_non_eu_share)}" \
            if isinstance(r.max_non_eu_country, str) and r.max_non_eu_country else ""
        stock = f"; stock {r.stock_t:,.0f} t" + (
            "" if pd.isna(r.stock_days) else f" ({r.stock_days:.0f} days)") \
            if r.stock_t > 0.5 else ""
        short = f"; shortfall {r.expected_shortfall_t:,.0f} t" \
            if r.expected_shortfall_t > 0.5 else ""
        lines.append(f"  - {r.material}: {_eur(r.cost_eur)} (CVaR part "
                     f"{_eur(r.cvar_contribution_eur)}); imports {_share(r.import_dependence)}"
                     f"{country}; EU production {_share(r.eu_production_share)}, recycling "
                     f"{_share(r.recycling_share)}{stock}{short}")
    return lines


def why_lines(results: Results) -> list[str]:
    """One sentence per build, stock and large contract (explain.py)."""
    said = sentences(results.why)
    return ["Why (the scenarios and years that make each decision pay):"] + \
        [f"  - {s}" for s in said] if said else []


MATERIALS_NOTE = ("<p class='caption'>What each material costs the plan (present value, "
                  "expected over the scenarios; CVaR part: its share of the CVaR of cost) and "
                  "where its supply comes from (shares of its consumption over the horizon; the "
                  "largest non-EU country in any year from the policy year on). materials.csv "
                  "has the exact figures; docs/cli.md the definitions.</p>")
MONEY = {"cost_eur": "cost", "purchases_eur": "purchases", "capex_eur": "capex",
         "opex_eur": "opex", "stock_eur": "stock", "substitution_eur": "substitution",
         "shortage_eur": "shortage", "cvar_contribution_eur": "CVaR part"}
SHARES = {"import_dependence": "imports", "max_non_eu_share": "largest non-EU country",
          "eu_production_share": "EU production", "recycling_share": "recycling"}


def material_view(frame: pd.DataFrame, scale: tuple[float, str] = (1e6, "EUR m")) -> pd.DataFrame:
    """materials.csv for a page: money in the page's unit (divisor, name), shares in %, the
    costliest material first."""
    frame = frame.sort_values("cost_eur", ascending=False)
    view = pd.DataFrame({"material": frame["material"]})
    for column, label in MONEY.items():
        view[f"{label} ({scale[1]})"] = pd.to_numeric(frame[column]) / scale[0]
    for column, label in SHARES.items():
        view[f"{label} (%)"] = 100.0 * pd.to_numeric(frame[column])
        if column == "max_non_eu_share":
            view["country"] = frame["max_non_eu_country"].fillna("").astype(str).str.upper()
    view["stock (t)"] = frame["stock_t"]
    view["stock (days)"] = frame["stock_days"]
    view["expected shortfall (t)"] = frame["expected_shortfall_t"]
    return view.round(1)
