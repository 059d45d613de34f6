"""Numbers and tables in a planner's units, for the terminal: money in EUR m or bn (one unit
per table), shares in %, tonnes with thousands separators, column names with their unit, no
`-0`, plurals right. Machine output (the CSV files, `--json`) stays exact; this is for eyes.

    money(73_335_168_254.02)              # 'EUR 73.34 bn'
    plural(1, "facility")                 # '1 facility'
    show(frame)                           # a table: 'expected cost [EUR bn]' ... '12.5%'

A column's unit is read off its name (the convention of every table crmplan writes):
`…_eur` money, `…_eur_per_t` EUR/t, `…_share` a fraction shown in %, `…_t` tonnes,
`…_t_per_yr`, `…_days`, `…_s`; a bracket names the material or key of a per-item column
(`expected_shortfall_t[ndpr_oxide]`); a name with a dot is a swept study key or input.
"""
from __future__ import annotations

import math
import re
import shutil

import pandas as pd

# (suffix, unit shown, kind), longest suffix first: _eur_per_t before _t and _eur.
SUFFIXES = (("_eur_per_t_yr", "EUR/(t·yr)", "number"), ("_eur_per_t", "EUR/t", "number"),
            ("_eur_per_unit", "EUR/unit", "number"), ("_t_per_yr", "t/yr", "number"),
            ("_eur", None, "money"), ("_share", "%", "share"), ("_days", "days", "number"),
            ("_t", "t", "number"), ("_ha", "ha", "number"), ("_fte", "FTE", "number"),
            ("_gwh_per_yr", "GWh/yr", "number"), ("_s", "s", "seconds"))
SHARES = {"share_of_demand", "p_shortfall", "gap_share", "mip_gap", "hhi_share", "probability",
          "slack"}
MONEY_NAMES = {"shadow_price_pv", "shadow_price", "bound", "risk_cvar", "objective"}
SCALES = ((1e9, "EUR bn"), (1e6, "EUR m"), (1e3, "EUR k"))
BRACKET = re.compile(r"^(?P<base>[^\[]+)\[(?P<item>.+)\]$")
NAMES = {"eur": ("amount", "", "money"), "eur_per_t": ("cost per tonne", "EUR/t", "number")}
ROW_UNITS = {"share": ("share", "%"), "fraction": ("share", "%"), "t": ("number", "t"),
             "EUR": ("money", ""), "eur": ("money", "")}
WORDS = {"cvar": "CVaR", "pv": "(PV)", "eu": "EU", "hhi": "HHI", "saa": "SAA", "mip": "MIP"}
IRREGULAR = {"analysis": "analyses", "this": "these"}


def plural(n: float, word: str, words: str | None = None) -> str:
    """'1 facility', '2 facilities', '1,500 t' (a count with its noun, thousands separated)."""
    many = words or IRREGULAR.get(word) or (word[:-1] + "ies" if word.endswith("y")
                                            and word[-2:-1] not in "aeiou" else word + "s")
    return f"{number(n)} {word if n == 1 else many}"


def _clean(x: float, digits: int) -> float:
    """x rounded for display, with -0 made 0."""
    x = round(float(x), digits)
    return 0.0 if x == 0 else x


def number(x, digits: int = 0) -> str:
    """12,345 (thousands separated, `digits` decimals, never -0); blank for a missing value."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{_clean(x, digits):,.{digits}f}"


def share(x, digits: int = 1) -> str:
    """A fraction as a percentage: 0.125 -> '12.5%'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{_clean(100 * float(x), digits):,.{digits}f}%"


def money_scale(values) -> tuple[float, str]:
    """(divisor, unit) for a set of EUR amounts, the one unit they are all shown in: EUR bn
    from one billion, EUR m from one million, else EUR."""
    top = max((abs(float(v)) for v in values if _finite(v)), default=0.0)
    return next(((d, u) for d, u in SCALES[:2] if top >= d), (1.0, "EUR"))


def money(x: float, scale: tuple[float, str] | None = None, digits: int = 2) -> str:
    """'EUR 73.34 bn' (in its own unit, or the one given)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    div, unit = scale or next(((d, u) for d, u in SCALES if abs(x) >= d), (1.0, "EUR"))
    if div == 1.0:
        return f"EUR {number(x)}"
    return f"EUR {number(x / div, digits)} {unit.removeprefix('EUR ')}"


def column_kind(name: str) -> tuple[str, str, str]:
    """(label without unit, unit, kind) of a column by its name; kind one of money, share,
    number, seconds, count, text."""
    match = BRACKET.match(name)
    base, item = (match["base"], f" {match['item']}") if match else (name, "")
    if re.search(r"\.[A-Za-z_]", base):              # a swept study key or input column
        return name, "", "key"
    if base == "year" or base.startswith("year_"):
        return _words(base) + item, "", "year"
    if base in NAMES:
        label, unit, kind = NAMES[base]
        return label + item, unit, kind
    for suffix, unit, kind in SUFFIXES:
        if f"_{base}".endswith(suffix):
            words = base if kind == "share" else base.removesuffix(suffix)
            return _words(words) + item, unit or "", kind
    if base in SHARES or base.startswith(("share", "p_")):
        return _words(base) + item, "%", "share"
    if base.startswith("days_"):
        return _words(base) + item, "days", "number"
    return _words(base) + item, "", "money" if base in MONEY_NAMES else "plain"


def _words(name: str) -> str:
    """expected_cost -> 'expected cost', cvar -> 'CVaR'."""
    return " ".join(WORDS.get(w, w) for w in name.split("_"))


def _plain(x) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int,)) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return number(x)
    if isinstance(x, float):
        if math.isnan(x):
            return ""
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return f"{_clean(x, 12):,.4g}" if abs(x) < 1e6 else number(x)
    return str(x)


def _format(values: pd.Series, kind: str, unit: str, scale, top: float | None = None
            ) -> tuple[str, list[str]]:
    """(unit shown, cells) of one column; `top`, the largest magnitude of the numbers shown
    alongside (default: this column's), decides whether tonnes need a decimal."""
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if kind == "money" and numeric:
        digits = 2 if scale[0] >= 1e9 else 1 if scale[0] >= 1e6 else 0
        return scale[1], [number(v / scale[0], digits) if _finite(v) else _plain(v)
                          for v in values]
    if kind == "share" and numeric:
        return "%", [share(v) for v in values]
    if kind == "year" and numeric:
        return "", [str(int(v)) if _finite(v) else "" for v in values]
    if kind in ("number", "seconds") and numeric:
        top = values.abs().max() if top is None else top
        digits = 1 if kind == "seconds" or top < 10 else 0
        return unit, [number(v, digits) for v in values]
    return "", [_plain(v) for v in values]


def _money_scale(frame: pd.DataFrame, kinds: dict) -> tuple[float, str]:
    columns = [c for c, (_, _, k) in kinds.items() if k == "money"
               and pd.api.types.is_numeric_dtype(frame[c])]
    return money_scale(frame[columns].to_numpy().ravel())


def planner_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as text in planner units, columns renamed 'label [unit]'; one money unit
    for every money column of the table. In a long table whose rows differ in unit (a
    `metric` column naming them, or a `unit` column), the numbers follow their row's unit."""
    kinds = {c: column_kind(str(c)) for c in frame.columns}
    if "bound" in kinds and "risk_cvar" not in frame:          # a frontier's bound on tonnes
        kinds["bound"] = ("bound", "t", "number")
    scale = _money_scale(frame, kinds)
    rows = _row_kinds(frame)
    if rows is not None:
        kinds = {c: (k[0], "", "by row") if k[2] == "plain" and _is_number(frame[c]) else k
                 for c, k in kinds.items()}
    out = {}
    for c, (label, unit, kind) in kinds.items():
        if kind == "by row":
            out[label] = _by_row(frame[c], rows)
            continue
        shown, cells = _format(frame[c], kind, unit, scale)
        out[str(c) if kind == "key" else f"{label} [{shown}]" if shown else label] = cells
    if rows is not None and "metric" in frame:
        out["metric"] = [f"{label} [{unit}]" if unit else label for label, unit, _ in rows[0]]
    return pd.DataFrame(out, index=frame.index)


def _is_number(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _row_kinds(frame: pd.DataFrame):
    """([(label, unit, kind)] per row, money scale, each row's largest magnitude) when rows
    differ in unit, else None."""
    numbers = frame[[c for c in frame if _is_number(frame[c])]]
    if "metric" in frame:
        kinds = [column_kind(str(m)) for m in frame["metric"]]
    elif "unit" in frame and frame["unit"].isin(list(ROW_UNITS)).any():
        units = [ROW_UNITS.get(str(u), ("plain", str(u))) for u in frame["unit"]]
        kinds = [("", unit, kind) for kind, unit in units]
    else:
        return None
    money_rows = numbers[[k == "money" for _, _, k in kinds]].to_numpy().ravel()
    scale = money_scale(money_rows)
    kinds = [(label, scale[1] if kind == "money" else unit, kind) for label, unit, kind in kinds]
    top = numbers.abs().where(numbers.abs() < math.inf).max(axis=1).fillna(0.0)
    return kinds, scale, list(top)


def _by_row(values: pd.Series, rows) -> list[str]:
    kinds, scale, tops = rows
    cells = []
    for v, (_, unit, kind), top in zip(values, kinds, tops):
        if kind == "money" and _finite(v):
            cells.append(number(v / scale[0], 2 if scale[0] >= 1e9 else 1))
        elif kind == "share":
            cells.append(share(v))
        elif kind == "number" and _finite(v):
            cells.append(number(v, 1 if top < 10 else 0))
        else:
            cells.append(_plain(v))
    return cells


def _finite(v) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def show(frame: pd.DataFrame, width: int | None = None) -> str:
    """A table for the terminal, in planner units, wrapped to the terminal's width."""
    if frame.empty:
        return "(no rows)"
    text = planner_frame(frame)
    return text.to_string(index=False, line_width=width or shutil.get_terminal_size().columns,
                          justify="right")


def show_compare(frame: pd.DataFrame, label: str = "strategy", width: int | None = None) -> str:
    """Strategies as rows for the plan-wide figures, then one table per family of per-item
    columns (expected_shortfall_t[ndpr_oxide], ...) with the items as rows and the strategies
    as columns: 50 metrics read as a few short tables instead of one long transposed one."""
    width = width or shutil.get_terminal_size().columns
    families: dict[str, list[str]] = {}
    for c in frame.columns:
        match = BRACKET.match(str(c))
        if match:
            families.setdefault(match["base"], []).append(c)
    per_item = {c for cs in families.values() for c in cs} | {"description"}
    parts = [f"{name}: {text}" for name, text in zip(frame[label], frame.get(
        "description", [])) if isinstance(text, str) and text]
    parts.append(show(frame[[c for c in frame.columns if c not in per_item]], width))
    names = [str(s) for s in frame[label]]
    for base, columns in families.items():
        named, unit, kind = column_kind(base)
        scale = _money_scale(frame[columns], {c: (named, unit, kind) for c in columns})
        block, top = {}, frame[columns].abs().max().max()
        for name, (_, row) in zip(names, frame[columns].iterrows()):
            shown, block[name] = _format(row.astype(float), kind, unit, scale, top)
        table = pd.DataFrame(block, index=[BRACKET.match(c)["item"] for c in columns])
        parts.append(f"\n{named} [{shown}], by {label}:" if shown else f"\n{named}, by {label}:")
        parts.append(table.to_string(line_width=width))
    return "\n".join(parts)
