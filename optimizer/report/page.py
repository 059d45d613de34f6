"""The parts of the HTML report page (html.py): its inline CSS, tables of frames, a figure's
section with its PNG embedded, the headline cards and the plain-language plan.
"""
from __future__ import annotations

import base64
import html
import io

import pandas as pd

from ..display import number, planner_frame
from .charts import Chart

MAX_ROWS = 40
MAX_COLUMNS = 12    # a table wider than this with fewer rows is shown transposed
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2733;
background:#f5f7fa;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:1.7em;margin:0 0 4px}h2{font-size:1.3em;margin:36px 0 6px;padding-top:12px;
border-top:2px solid #e3e8ef}h3{font-size:1.05em;margin:18px 0 6px}
.status{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;color:#fff}
.ok{background:#1a7f37}.warn{background:#b35900}.bad{background:#c62828}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{flex:1 1 150px;border:1px solid #e3e8ef;border-radius:8px;padding:10px 14px}
.card b{display:block;font-size:1.3em}.card span{color:#5b6776;font-size:.85em}
nav{font-size:.9em;margin:8px 0}nav a{margin-right:14px;color:#0b5cad}
.plan{background:#f0f6ff;border-left:4px solid #0b5cad;padding:10px 18px;border-radius:4px}
.plan ul{margin:4px 0 8px}.caption{color:#4a5563;max-width:900px}
.note{color:#4a5563;font-style:italic}
img{max-width:100%;height:auto;display:block;margin:8px 0}
table{border-collapse:collapse;font-size:.85em;margin:8px 0;display:block;
overflow-x:auto;max-width:100%}
th,td{border-bottom:1px solid #e3e8ef;padding:3px 10px;text-align:left;vertical-align:top}
th{background:#f0f3f7}.n{text-align:right;white-space:nowrap}
footer{margin-top:40px;color:#6b7785;font-size:.8em}
"""


def _png(chart: Chart) -> bytes:
    buffer = io.BytesIO()
    chart.figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def _cell(x, year: bool, digits: int | None = None) -> str:
    if pd.isna(x):
        return ""
    if digits is not None and isinstance(x, float):
        return number(x, digits)
    if isinstance(x, float) and year and x.is_integer():
        return str(int(x))
    if isinstance(x, float) and not year:
        return f"{x:,.0f}" if abs(x) >= 100 else "0" if abs(x) < 1e-6 else f"{x:.3g}"
    return str(x)


def table(frame: pd.DataFrame, limit: int = MAX_ROWS, digits: int | None = None,
          numbers: list[bool] | None = None) -> str:
    """An HTML table of the first rows; numbers right-aligned with thousands separators
    (`digits` decimals if given); `numbers` says which columns are numbers when the frame
    holds them as formatted text."""
    more = f"<p class='note'>{len(frame) - limit} more rows in the CSV file.</p>" \
        if len(frame) > limit else ""
    numbers = numbers or [pd.api.types.is_numeric_dtype(frame[c]) for c in frame]
    align = ["n" if n else "" for n in numbers]
    head = "".join(f"<th class='{a}'>{html.escape(str(c))}</th>" for c, a in zip(frame, align))
    year = ["year" in str(c) for c in frame]
    rows = "".join("<tr>" + "".join(f"<td class='{a}'>{html.escape(_cell(v, y, digits))}</td>"
                                    for v, a, y in zip(row, align, year)) + "</tr>"
                   for row in frame.head(limit).itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}"


def planner_table(frame: pd.DataFrame, limit: int = MAX_ROWS) -> str:
    """An analysis table in planner units (display.planner_frame: one money unit, shares in
    %, units in the column names), transposed when it is wide and short, so that it fits."""
    shown = planner_frame(frame)
    if len(frame.columns) > MAX_COLUMNS and len(frame) < len(frame.columns):
        wide = shown.set_index(shown.columns[0]).T.rename_axis(shown.columns[0]).reset_index()
        return table(wide, limit=len(wide))
    return table(shown, limit, numbers=[pd.api.types.is_numeric_dtype(frame[c])
                                        and not pd.api.types.is_bool_dtype(frame[c])
                                        for c in frame])


def plan_html(text: str) -> str:
    """plain_summary's lines as paragraphs and lists."""
    out, items = [], []
    for line in text.splitlines()[1:]:
        if line.startswith("  - "):
            items.append(f"<li>{html.escape(line[4:])}</li>")
            continue
        if items:
            out.append(f"<ul>{''.join(items)}</ul>")
            items = []
        out.append(f"<p>{html.escape(line)}</p>")
    if items:
        out.append(f"<ul>{''.join(items)}</ul>")
    return "<div class='plan'>" + "".join(out) + "</div>"


def figure_section(chart: Chart, pngs: dict[str, bytes], extra: str = ""
                   ) -> tuple[str, str, str]:
    """(anchor, title, body) of one figure, its PNG drawn into pngs."""
    body = f"<p class='note'>{html.escape(chart.note)}</p>"
    if chart.figure is not None:
        pngs[chart.name] = _png(chart)
        data = base64.b64encode(pngs[chart.name]).decode()
        body = (f"<p class='caption'>{html.escape(chart.caption)}</p><img alt='"
                f"{html.escape(chart.title)}' src='data:image/png;base64,{data}'>")
    return chart.name, chart.title, body + extra


def summary_cards(s: dict, scale: tuple[float, str]) -> str:
    """The headline figures; money as numbers in the page's one unit, named on each card."""
    div, unit = scale
    eur = [("expected cost (present value)", s.get("expected_cost_eur")),
           ("CVaR of cost", s.get("cvar_eur")), ("objective", s.get("objective_eur"))]
    cards = [(number(v / div, 2), f"{k}, {unit}") for k, v in eur if v is not None]
    outside = s.get("out_of_sample") or {}
    for key, name in (("expected_cost_eur", "expected cost"), ("cvar_eur", "CVaR")):
        if outside.get(key):
            lo, mean, hi = outside[key]
            cards.append((number(mean / div, 2), f"{name} out of sample, {unit} "
                          f"({outside['level']:.0%}: {number(lo / div, 2)} to "
                          f"{number(hi / div, 2)})"))
    if s.get("mip_gap") is not None:
        cards.append((f"{s['mip_gap']:.2%}", "MIP gap"))
    cards.append((f"{len(s.get('probability', {}))}", "scenarios"))
    if s.get("total_s") is not None:
        cards.append((f"{s['total_s']:.1f} s", "build + solve"))
    return "<div class='cards'>" + "".join(
        f"<div class='card'><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>"
        for v, k in cards) + "</div>"
