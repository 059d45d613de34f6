"""What a planner sees on screen: a run report and a compare report rendered in headless
Chromium, with one colour per country in each chart and one money unit per page."""
from __future__ import annotations

import itertools
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

import optimizer
from optimizer import report
from optimizer.cli import main
from optimizer.report.charts import COUNTRY_COLORS, country_color
from optimizer.report.figures import FIXED, origin_country, plan_figures
from optimizer.report.html import countries

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MONEY_UNIT = re.compile(r"EUR (bn|m|k)\b")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: "
                                    "apt-get install -y chromium")


def rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def test_every_country_of_every_dataset_has_its_own_colour():
    ids = set()
    for path in ROOT.glob("inputs/**/countries.csv"):
        ids |= set(pd.read_csv(path, keep_default_na=False)["country"])
    assert ids <= set(COUNTRY_COLORS), sorted(ids - set(COUNTRY_COLORS))
    colours = {c: rgb(country_color(c)) for c in ids} | {k: rgb(v) for k, v in FIXED.items()}
    closest = min((math.dist(a, b), x, y) for (x, a), (y, b) in
                  itertools.combinations(colours.items(), 2))
    assert closest[0] > 40, closest                       # told apart at a glance
    assert country_color("cn") != country_color("tr")     # antimony from CN and from TR
    assert country_color("zz") == country_color("ZZ")     # an unknown id keeps its colour


def shoot(page: Path, height: int, tmp_path: Path) -> tuple[np.ndarray, str]:
    """(screenshot as an RGB array, the rendered DOM) of a page in headless Chromium."""
    profile = tmp_path / "profile"
    shot = tmp_path / f"{page.parent.name}.png"
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}",
                    f"--window-size=1280,{height}", page.as_uri()], capture_output=True,
                   timeout=120, cwd=tmp_path)
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path).stdout
    return np.asarray(Image.open(shot).convert("RGB")).astype(int), dom


def shown(pixels: np.ndarray, color: str, tolerance: int = 6) -> int:
    """How many pixels of the screenshot have this colour."""
    return int((np.abs(pixels - np.array(rgb(color))).max(axis=2) <= tolerance).sum())


def page_text(dom: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"data:image/png;base64,[^'\"]+", "", dom))


def figure_text(chart) -> str:
    """Every title, axis label, tick label and legend entry of a chart's figure."""
    texts = [t.get_text() for t in chart.figure.findobj(lambda a: hasattr(a, "get_text"))]
    return " ".join(texts)


def one_money_unit(dom: str, charts) -> set[str]:
    units = set(MONEY_UNIT.findall(page_text(dom)))
    for chart in charts:
        if chart.figure is not None:
            units |= set(MONEY_UNIT.findall(figure_text(chart)))
    assert not re.search(r"\d{1,3}(,\d{3}){3}", page_text(dom))   # no raw euros (>= 1e9)
    return units


@needs_chromium
def test_run_report_on_screen(tiny_results, tmp_path):
    folder = optimizer.write(tiny_results, tmp_path / "run")
    report.write_report(folder)
    pixels, dom = shoot(folder / "report.html", 7000, tmp_path)
    charts = plan_figures(tiny_results, countries(tiny_results.summary))
    mix = next(c for c in charts if c.name == "supply_mix")
    by_country = {}
    for origin, colour in mix.colors.items():
        country = origin_country(origin)
        if country is None:
            continue
        assert colour == country_color(country)                 # its colour in every chart
        by_country.setdefault(colour, set()).add(country)
        assert shown(pixels, colour) > 30, (origin, colour)     # and drawn on the page
    assert by_country and all(len(c) == 1 for c in by_country.values())   # one each
    assert one_money_unit(dom, charts) == {"bn"}
    assert "largest single non-EU country" in figure_text(
        next(c for c in charts if c.name == "concentration"))


@needs_chromium
def test_compare_report_on_screen(tmp_path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(main, ["compare", str(ROOT / "models" / "tiny.yaml"),
                                       "no_eu_builds", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    report.write_report(out)
    pixels, dom = shoot(out / "report.html", 2400, tmp_path)
    title = re.search(r"<h1>(.*?)</h1>", dom).group(1)
    assert title == "tiny: compare of optimal, no_eu_builds"           # not the folder's name
    frame = pd.read_csv(out / "compare.csv")
    charts = report.analysis_figures("compare", frame)
    assert len(set(charts[0].colors.values())) == len(frame)           # a colour per strategy
    for colour in charts[0].colors.values():
        assert shown(pixels, colour) > 15
    assert one_money_unit(dom, charts) == {"bn"}
    # the gap is drawn as a difference from the optimum, labelled in per cent
    gap = frame["expected_cost_eur"].iloc[1] / frame["expected_cost_eur"].iloc[0] - 1
    assert f"{gap:+.1%}" in figure_text(charts[0])
    assert dom.count("<tr>") > len(frame.columns) // 2                 # transposed: metrics as rows


def test_an_analysis_figure_has_one_money_unit():
    """A sweep whose capex is in millions and costs in billions: all in EUR bn."""
    frame = pd.DataFrame({"point": ["p1", "p2"], "policy.min_stock_days": [0, 30],
                          "expected_cost_eur": [1.80e9, 1.85e9], "capex_eur": [3e8, 3.2e8],
                          "total_stock_t": [0.0, 565.0]})
    for kind in ("sweep", "compare"):
        (chart,) = report.analysis_figures(kind, frame)
        assert set(MONEY_UNIT.findall(figure_text(chart))) == {"bn"}, kind
