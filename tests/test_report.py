"""The report of a finished run: figures, one self-contained HTML page, rendered in Chromium."""
from __future__ import annotations

import base64
import io
import json
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
from optimizer.report.writer import OutputExists

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = Path("/tmp/crmplan-report.png")
PNG = b"\x89PNG\r\n\x1a\n"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Injected into a copy of the page only: records script and resource errors, then whether
# every image decoded, where --dump-dom can read it.
PROBE = """<script>
window.__errors = [];
addEventListener('error',
  e => __errors.push(String(e.message || e.target.src || e.target.href)), true);
addEventListener('load', () => document.body.setAttribute('data-probe', JSON.stringify({
  errors: __errors, images: document.images.length,
  decoded: [...document.images].filter(i => i.complete && i.naturalWidth > 0).length})));
</script>"""


@pytest.fixture(scope="module")
def run_dir(tiny_results, tmp_path_factory) -> Path:
    folder = optimizer.write(tiny_results, tmp_path_factory.mktemp("run") / "tiny")
    report.write_report(folder, xlsx=True)
    return folder


def data_uris(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r"src='data:image/png;base64,([^']+)'", page)]


def test_report_is_self_contained_and_embeds_every_figure(run_dir):
    page = (run_dir / "report.html").read_text()
    pngs = sorted((run_dir / "figures").glob("*.png"))
    assert {p.stem for p in pngs} >= {"builds", "supply_mix", "costs"}
    embedded = data_uris(page)
    assert sorted(embedded) == sorted(p.read_bytes() for p in pngs)
    for data in embedded:
        assert data.startswith(PNG)
        assert Image.open(io.BytesIO(data)).size[0] > 500
    assert not re.search(r"""(src|href)=['"]?(https?:)?//""", page)   # nothing from a network
    assert "<script" not in page
    for heading in ("The plan in plain language", "Supply mix by origin", "Build timeline",
                    "Strategic stock", "Shortfall", "Cost breakdown", "Policy shadow prices"):
        assert heading in page
    assert "magnet_plant_ee" in page and "<table>" in page


def test_report_writes_a_workbook_of_every_table(run_dir):
    from openpyxl import load_workbook

    book = load_workbook(run_dir / "results.xlsx", read_only=True)
    assert book.sheetnames[0] == "summary"
    for name in ("builds", "contracts", "flows", "costs", "kpis"):
        rows = list(book[name].iter_rows(values_only=True))
        assert len(rows) - 1 == len(pd.read_csv(run_dir / f"{name}.csv"))
    summary = {row[0]: row[-1] for row in book["summary"].iter_rows(values_only=True)}
    assert summary["objective_eur"] == pytest.approx(
        json.loads((run_dir / "summary.json").read_text())["objective_eur"])


def test_report_replaces_its_own_files_but_never_a_users(run_dir, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(run_dir, folder)
    report.write_report(folder)                         # again: its own files are replaced
    assert not (folder / "results.xlsx").exists()       # stale output of the last report gone
    (folder / "report.html").unlink()
    (folder / "report.html").write_text("my notes")
    (folder / ".crmplan-report.json").unlink()
    with pytest.raises(OutputExists, match=r"report\.html"):
        report.write_report(folder)
    assert (folder / "report.html").read_text() == "my notes"


def test_solve_report_flag_and_report_command(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["solve", "models/tiny.yaml", "--out", str(out),
                                       "--report", "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file() and (out / "figures" / "costs.png").is_file()
    result = CliRunner().invoke(main, ["report", str(out), "--xlsx", "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "results.xlsx").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["report", str(empty)])
    assert result.exit_code == 2 and "summary.json" in result.output


def analysis_tables() -> dict[str, pd.DataFrame]:
    """Tables shaped as optimizer.analysis writes them."""
    rng = np.random.default_rng(0)
    return {
        "sweep": pd.DataFrame({"point": ["p001", "p002", "p003"],
                               "policy.min_stock_days": [0, 30, 60], "status": "optimal",
                               "expected_cost_eur": [1.8e9, 1.83e9, 1.86e9],
                               "cvar_eur": [1.8e9, 1.84e9, 1.87e9],
                               "total_stock_t": [0.0, 565.2, 1088.8], "folder": "points/p001"}),
        "tornado": pd.DataFrame({"param": ["sources.price_eur_per_t[country=cn]",
                                           "policy.min_stock_days"],
                                 "low_eur": [1.62e9, 1.8e9], "high_eur": [1.91e9, 1.86e9],
                                 "base_eur": [1.8e9, 1.8e9], "low": [0.8, 0.0],
                                 "high": [1.2, 60.0], "rank_cost": [1, 2]}),
        "compare": pd.DataFrame({"strategy": ["optimal", "no stock"],
                                 "description": ["the study", "no stockpile"],
                                 "expected_cost_eur": [1.8e9, 1.9e9], "cvar_eur": [2e9, 2.6e9],
                                 "policy_met": [True, False],
                                 "expected_shortfall_t[ndpr_oxide]": [0.0, 3.0]}),
        "frontier": pd.DataFrame({"point": ["k00", "k01", "k02"], "bound": [2.4e9, 2.1e9, 2e9],
                                  "risk_cvar": [2.4e9, 2.1e9, 2.05e9],
                                  "expected_cost_eur": [1.8e9, 1.82e9, 1.9e9]}),
        "stress": pd.DataFrame({"sample": [f"s{i:05d}" for i in range(100)], "weight": 0.01,
                                "status": "optimal", "total_cost_eur": rng.normal(2e9, 1e8, 100),
                                "shortfall_t": rng.exponential(10.0, 100)}),
    }


@pytest.mark.parametrize("kind", ["sweep", "tornado", "compare", "frontier", "stress"])
def test_analysis_figures_read_any_table(kind):
    (chart,) = report.analysis_figures(kind, analysis_tables()[kind])
    assert chart.figure is not None and chart.caption


def test_report_of_an_analysis_folder(tmp_path):
    for kind, frame in analysis_tables().items():
        frame.to_csv(tmp_path / f"{kind}.csv", index=False)
    pd.DataFrame({"metric": ["total_cost_eur"], "p95": [2.2e9]}).to_csv(
        tmp_path / "stress_summary.csv", index=False)
    page = report.write_report(tmp_path).read_text()
    assert len(data_uris(page)) == 5
    assert "no stock" in page and "Policy shadow prices" not in page
    assert "Stress summary" in page and "2,200,000,000" in page


def chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    profile = cwd / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: `make test` installs it "
                    "as root on Debian, else apt-get install -y chromium")
def test_report_renders_in_headless_chromium(run_dir, tmp_path):
    page = (run_dir / "report.html").read_text()
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("<head>", "<head>" + PROBE, 1))
    dom = chromium("--virtual-time-budget=10000", "--dump-dom", probe.as_uri(), cwd=tmp_path)
    found = re.search(r'data-probe="([^"]+)"', dom.stdout)
    assert found, dom.stderr[-2000:]
    state = json.loads(found.group(1).replace("&quot;", '"'))
    assert state["errors"] == []
    assert state["images"] == len(list((run_dir / "figures").glob("*.png"))) >= 3
    assert state["decoded"] == state["images"]
    assert dom.stdout.count("<table>") >= 2 and "The plan in plain language" in dom.stdout

    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,4000", "--hide-scrollbars",
             (run_dir / "report.html").as_uri(), cwd=tmp_path)
    image = Image.open(shot).convert("L")
    assert image.size == (1280, 4000)
    assert np.asarray(image).std() > 10                       # not a blank page
    shutil.copy(shot, SCREENSHOT)


def test_progress_logs_each_step_and_always_the_last(caplog):
    from optimizer.progress import Progress

    step = Progress(3, "sweep", every=0.0)
    with caplog.at_level("INFO", logger="optimizer.progress"):
        for _ in range(3):
            step()
    assert [r.getMessage().split(",")[0] for r in caplog.records] == [
        "sweep: 1/3 done", "sweep: 2/3 done", "sweep: 3/3 done"]
    assert "left" not in caplog.records[-1].getMessage()


def test_an_infeasible_run_reports_the_conflicting_policy(tmp_path):
    conflicts = pd.DataFrame([
        ("recycling_share", "policy.min_recycling_share", "ndpr_oxide", "", 2027, "calm", 374.4,
         "t", "EU recycling of ndpr_oxide can reach at most 0 t/yr in 2027"),
        ("budget", "policy.budget_eur", "", "", "", "*", 2e8, "EUR", "capex needed")],
        columns=optimizer.results.COLUMNS["conflicts"])
    summary = {"status": "infeasible", "study": "hard", "probability": {"calm": 1.0}}
    results = optimizer.Results(summary, {"conflicts": conflicts})
    folder = optimizer.write(results, tmp_path / "run")
    page = report.write_report(folder).read_text()
    assert "Why there is no plan" in page and "policy.min_recycling_share for ndpr_oxide" in page
    assert "policy.budget_eur" in page and "<img" not in page


def test_a_long_solve_logs_highs_gap_as_it_falls(caplog, monkeypatch):
    """HiGHS's progress from its callbacks (every 0 s here, so that the tiny solve shows it);
    the lines go to optimizer.progress at INFO, which --quiet hides."""
    import optimizer.progress as progress
    from optimizer.progress import SolverProgress

    assert SolverProgress.line(95.2, 0.0341, 12, 9000) == "95 s, gap 3.41%, 12 nodes"
    assert SolverProgress.line(40.0, float("inf"), 0, 182_311) == \
        "40 s, root LP, 182,311 simplex iterations"
    monkeypatch.setattr(progress, "SOLVE_EVERY_S", 0.0)
    with caplog.at_level("INFO", logger="optimizer.progress"):
        optimizer.solve("models/tiny.yaml")
    lines = [r.getMessage() for r in caplog.records if r.name == "optimizer.progress"]
    assert lines and all(line.startswith("HiGHS: ") for line in lines)
    gaps = [float(g) for g in re.findall(r"gap ([\d.]+)%", " ".join(lines))]
    assert gaps and gaps == sorted(gaps, reverse=True)          # the gap only falls
