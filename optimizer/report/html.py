"""The report of a finished run or analysis: figures/*.png and one self-contained report.html.

The page needs no network: images are embedded as base64 data URIs, the CSS is inline and
there is no script. It reads the files of the folder, so it works on any finished run (the
dataset the run read only names the country of spot-only sources and existing facilities in
figures, and only while its sha256 is the run's):

    optimizer.report.write_report("results/tiny-20260101-120000", xlsx=True)

An analysis writes its tables into its folder as <kind>.csv (sweep.csv, tornado.csv,
compare.csv, frontier.csv, stress.csv) and calls `write_report(folder)`; a folder may hold a
run (summary.json), analysis tables, or both.
"""
from __future__ import annotations

import html
import json
import logging
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from ..display import money_scale
from ..errors import InputError, Problem
from ..results import Results
from .analyses import KINDS, analysis_figures
from .answers import MATERIALS_NOTE, material_view
from .charts import numeric
from .figures import plan_figures
from .output import publish
from .page import CSS, figure_section, plan_html, planner_table, summary_cards, table
from .text import plain_summary
from .writer import read

log = logging.getLogger(__name__)
def countries(summary: dict) -> dict[str, str]:
    """Country of every source and facility, from the run's dataset if it is still the one
    the run read (same sha256): the output tables name the country of contracted sources and
    built facilities only. Empty when the dataset has moved or changed."""
    from ..case import _sha256
    from ..data import read_tables

    inputs = Path(summary.get("inputs") or "")
    if not inputs.exists() or _sha256(inputs) != summary.get("inputs_sha256"):
        return {}
    tables, _, problems = read_tables(inputs)
    if problems:
        return {}
    return {**dict(zip(tables["sources"]["source"], tables["sources"]["country"])),
            **dict(zip(tables["facilities"]["facility"], tables["facilities"]["country"]))}


def _plan_sections(results: Results, pngs: dict[str, bytes], scale: tuple[float, str]
                   ) -> list[tuple[str, str, str]]:
    duals = numeric(results.duals, "shadow_price_pv")
    duals = duals.reindex(duals["shadow_price_pv"].abs().sort_values(ascending=False).index)
    stock = numeric(results.stockpile, "capacity_t")
    tables = {"builds": table(results.builds) if not results.builds.empty else "",
              "stock": table(stock) if stock["capacity_t"].max() > 1e-6 else "",
              "costs": table(_cost_table(results, scale), digits=2),
              "duals": table(duals[duals["shadow_price_pv"].abs() > 1e-6]) if len(duals) else ""}
    return [figure_section(c, pngs, tables.get(c.name, ""))
            for c in plan_figures(results, countries(results.summary), scale)]


def _cost_table(results: Results, scale: tuple[float, str]) -> pd.DataFrame:
    """Cost by component in the page's money unit: first stage, each scenario and the
    probability-weighted expectation."""
    costs = numeric(results.costs, "eur")
    wide = costs.pivot_table(index="component", columns="scenario", values="eur", aggfunc="sum",
                             sort=False).fillna(0.0)
    weights = pd.Series({w: 1.0 if w == "*" else results.summary["probability"].get(w, 0.0)
                         for w in wide.columns})
    wide.insert(0, "expected", wide.mul(weights).sum(axis=1))
    wide = wide.rename(columns={"*": "first stage"})
    wide = wide[wide.abs().max(axis=1) > 0.5]
    wide.loc["total"] = wide.sum()
    wide = wide / scale[0]
    return wide.rename_axis(f"component ({scale[1]})").reset_index().rename_axis(columns=None)


def _infeasible(results: Results) -> tuple[str, str, str]:
    from ..diagnostics import summarize_conflicts

    labels = ("material", "country", "year", "scenario")
    conflicts = results.conflicts.astype(dict.fromkeys(labels, object)).fillna(
        dict.fromkeys(labels, ""))
    items = "".join(f"<li>{html.escape(line)}</li>" for line in summarize_conflicts(conflicts))
    return ("conflicts", "Why there is no plan", "<p>These policy constraints cannot all be "
            f"met:</p><ul>{items}</ul>{table(conflicts)}")


def is_run(folder: Path) -> bool:
    """A folder written by `writer.write` (an analysis folder may hold other summaries)."""
    return (folder / "summary.json").is_file() and (folder / "flows.csv").is_file()


def analysis_title(folder: Path, tables: dict[str, pd.DataFrame]) -> str:
    """'<study>: compare of optimal, no_stockpile' from the analysis' own plans and table,
    not the folder's name (which the user chose)."""
    studies = sorted({json.loads(p.read_text()).get("study", "") for p in
                      [*folder.glob("*/*/summary.json")][:50]} - {""})
    parts = []
    for kind, frame in tables.items():
        label = frame.columns[0]
        if kind == "compare":
            parts.append("compare of " + ", ".join(map(str, frame[label])))
        elif kind == "sweep":
            keys = [c for c in frame.columns if "." in str(c)]
            parts.append("sweep of " + ", ".join(keys or [str(label)]))
        else:
            parts.append(kind)
    study = " / ".join(studies)
    return f"{study}: {'; '.join(parts)}" if study else "; ".join(parts) or folder.name


def render(folder: Path, pngs: dict[str, bytes]) -> str:
    """The page for a folder; the PNG of every figure is drawn into pngs by name. Money is in
    one unit on the whole page: that of the run's expected cost, else of the analysis'."""
    results = read(folder) if is_run(folder) else None
    tables = {kind: pd.read_csv(folder / f"{kind}.csv", keep_default_na=False, na_values=[""])
              for kind in KINDS if (folder / f"{kind}.csv").is_file()}
    sections, title, head = [], analysis_title(folder, tables), ""
    if results is not None:
        s = results.summary
        title = s["study"]
        scale = money_scale([s.get("expected_cost_eur") or 0.0])
        cls = {"optimal": "ok", "feasible": "warn"}.get(results.status, "bad")
        head = (f"<p><span class='status {cls}'>{html.escape(results.status)}</span> "
                f"study file {html.escape(str(s.get('study_file', '')))}</p>"
                f"{summary_cards(s, scale)}")
        if results.ok:
            sections.append(("plan", "The plan in plain language",
                             plan_html(plain_summary(results))))
            sections += _plan_sections(results, pngs, scale)
            if not results.materials.empty:
                sections.append(("materials", "By material", MATERIALS_NOTE
                                 + table(material_view(results.materials, scale))))
        elif results.status == "infeasible":
            sections.append(_infeasible(results))
        else:
            sections.append(("status", "No plan", f"<p>The solver stopped without a plan "
                             f"({html.escape(results.status)}); see highs.log.</p>"))
    for kind, frame in tables.items():
        sections += [figure_section(c, pngs, planner_table(frame))
                     for c in analysis_figures(kind, frame)]
    known = {*Results.TABLES, *KINDS}
    for path in sorted(p for p in folder.glob("*.csv") if p.stem not in known):
        sections.append((path.stem, path.stem.replace("_", " ").capitalize(), table(
            pd.read_csv(path, keep_default_na=False, na_values=[""]))))
    nav = "".join(f"<a href='#{a}'>{html.escape(t)}</a>" for a, t, _ in sections)
    body = "".join(f"<h2 id='{a}'>{html.escape(t)}</h2>{b}" for a, t, b in sections)
    stamp = f"{datetime.now():%Y-%m-%d %H:%M}"
    foot = (f"Made by crmplan {version('crmplan')} on {stamp} from the files of "
            f"{html.escape(str(folder.resolve()))}.")
    if results is not None:
        foot += f" Inputs {html.escape(str(results.summary.get('inputs', '')))} (sha256 " \
                f"{html.escape(str(results.summary.get('inputs_sha256', ''))[:12])})."
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='generator'"
            f" content='crmplan report'><meta name='viewport' content='width=device-width'>"
            f"<title>crmplan: {html.escape(title)}</title><style>{CSS}</style></head><body><main>"
            f"<h1>{html.escape(title)}</h1>{head}<nav>{nav}</nav>{body}"
            f"<footer>{foot}</footer></main></body></html>\n")


def write_report(folder: str | Path, xlsx: bool = False) -> Path:
    """Write report.html and figures/*.png (and results.xlsx) into a finished folder."""
    folder = Path(folder)
    if not is_run(folder) and not any((folder / f"{k}.csv").is_file() for k in KINDS):
        raise InputError([Problem(str(folder), None, None, None, "a results folder (with "
                                  "summary.json) or analysis tables (" +
                                  ", ".join(f"{k}.csv" for k in KINDS) + ")")])
    pngs: dict[str, bytes] = {}
    page = render(folder, pngs)
    files = {f"figures/{name}.png": data for name, data in pngs.items()}
    files["report.html"] = page.encode()
    if xlsx:
        from .excel import results_workbook
        files["results.xlsx"] = results_workbook(folder)
    publish(folder, files)
    log.info("wrote %s (%d figures)", folder / "report.html", len(pngs))
    return folder / "report.html"
