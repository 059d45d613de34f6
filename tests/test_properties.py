"""Property tests (hypothesis) on studies built from inputs/tiny.

* A random valid study (horizon, demand and capacity scales, scenario weights, a disruption,
  risk and discounting) never crashes, and when it solves its flows conserve every material in
  every year and scenario (re-derived from the results, as in test_outputs.py).
* A random single mutation of the dataset (a cell, a row, the bytes of a file) either solves or
  exits 2 with every problem naming a file, never a traceback or a library's own words.
"""
from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimizer
from conftest import ROOT, TINY
from optimizer.cli import main
from test_outputs import INFLOWS, OUTFLOWS

DATA = ROOT / "inputs" / "tiny"
FILES = sorted(p.name for p in DATA.glob("*.csv"))
def fast(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))
LIBRARY = re.compile(r"Traceback|np\.float64|Extra inputs|Input should|codec can't|No columns to "
                     r"parse|tokenizing|zip file|trying to merge|KeyError|errors\.pydantic|"
                     r"NoneType|has no attribute")


def copy_tiny(folder: Path, **study_keys) -> Path:
    shutil.copytree(DATA, folder / "data")
    study = yaml.safe_load(TINY.read_text())
    study.update(inputs="data", **study_keys)
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


def scale(folder: Path, file: str, column: str, factors: dict[str, float], key: str) -> None:
    frame = pd.read_csv(folder / "data" / file, dtype=str, keep_default_na=False)
    frame[column] = [f"{float(v) * factors.get(k, 1.0):.6g}" for k, v in zip(frame[key],
                                                                             frame[column])]
    frame.to_csv(folder / "data" / file, index=False)


@st.composite
def studies(draw):
    start = draw(st.integers(2026, 2031))
    end = draw(st.integers(start, min(start + 4, 2035)))
    risk = draw(st.sampled_from([{"measure": "expected"},
                                 {"measure": "cvar", "alpha": 0.9, "weight": 0.5}]))
    keys = {"horizon": {"start": start, "end": end},
            "discount_rate": draw(st.sampled_from([0.0, 0.04, 0.15])), "risk": risk,
            "solver": {"mip_rel_gap": 1e-4, "time_limit_s": 60, "threads": 1}}
    if draw(st.booleans()):
        keys["policy"] = {"max_country_share": draw(st.sampled_from([0.5, 0.8, 1.0]))}
    unit = st.floats(0.0, 3.0, allow_nan=False).map(lambda x: round(x, 2))
    demand = {m: draw(unit) for m in ("ndpr_oxide", "ndfeb_magnet")}
    capacity = {s: draw(unit) for s in ("ndpr_cn", "ndpr_au", "magnet_cn", "magnet_jp")}
    cut = {"share": draw(st.sampled_from([0.0, 0.1, 0.5, 1.0])),
           "years": draw(st.sampled_from(["2026,2027", "2029,2030", "2030,2035"])),
           "probability": draw(st.sampled_from([0.0, 0.05, 0.2, 0.5, 1.0]))}
    drop = draw(st.sets(st.sampled_from(["substitutes.csv", "demand_shocks.csv"])))
    return keys, demand, capacity, cut, drop


def build(folder: Path, keys, demand, capacity, cut, drop) -> Path:
    path = copy_tiny(folder, **keys)
    scale(folder, "demand.csv", "demand_t", demand, "material")
    scale(folder, "sources.csv", "capacity_t_per_yr", capacity, "source")
    disruptions = folder / "data" / "disruptions.csv"
    disruptions.write_text(disruptions.read_text().replace("2029,2030,0.1", f"{cut['years']},"
                                                                           f"{cut['share']}"))
    p = cut["probability"]
    (folder / "data" / "scenarios.csv").write_text(
        f"scenario,probability\ncalm,{1 - p!r}\ncn_export_ban,{p!r}\n")
    for file in drop:
        (folder / "data" / file).unlink()
    return path


@fast(12)
@given(studies())
def test_random_valid_studies_solve_and_conserve(study):
    with tempfile.TemporaryDirectory() as tmp:
        path = build(Path(tmp), *study)
        results = optimizer.solve(path, duals=False)
        assert results.status in ("optimal", "infeasible")
        if results.status == "infeasible":
            assert len(results.conflicts) > 0   # said why
            return
        case = optimizer.load_case(optimizer.load_study(path))
    flows, short = results.flows, results.shortfall
    assert set(flows["flow"]) <= set(INFLOWS) | set(OUTFLOWS)
    net = flows.assign(t=flows["t"].where(flows["flow"].isin(INFLOWS), -flows["t"]))
    balance = net.groupby(["material", "year", "scenario"])["t"].sum()
    balance = balance.add(short.set_index(["material", "year", "scenario"])["shortfall_t"],
                          fill_value=0.0)
    balance = balance.sub(case.demand, fill_value=0.0)
    scale_t = max(1.0, float(case.demand.max()))
    assert balance.abs().max() <= 1e-6 * scale_t
    assert set(case.demand.index) <= set(balance.index)


VALUES = st.one_of(
    st.sampled_from(["", " ", "inf", "-inf", "nan", "NaN", "1e308", "-1", "0", "1e15", "2e8",
                     "3,000", "1,5", '"', "*", "true", "maybe", "Ndpr_Oxide", "ndpr_oxid",
                     "2026.5", "0x10", "\u00e9", "\u2212" + "5", "1_000", "=1+1", "cn", "calm"]),
    st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@st.composite
def mutations(draw):
    file = draw(st.sampled_from(FILES))
    kind = draw(st.sampled_from(["cell", "cell", "cell", "drop_row", "copy_row", "add_field",
                                 "drop_field", "cut_bytes", "insert_byte"]))
    return file, kind, draw(st.integers(0, 10_000)), draw(st.integers(0, 10_000)), draw(VALUES)


def mutate(path: Path, kind: str, a: int, b: int, value: str) -> None:
    data = path.read_bytes()
    if kind == "cut_bytes":
        path.write_bytes(data[:a % (len(data) + 1)])
        return
    if kind == "insert_byte":
        at = a % (len(data) + 1)
        path.write_bytes(data[:at] + bytes([b % 256]) + data[at:])
        return
    rows = list(csv.reader(io.StringIO(data.decode())))
    row = rows[a % len(rows)]
    if kind == "cell" and row:
        row[b % len(row)] = value
    elif kind == "drop_row" and len(rows) > 1:
        rows.pop(1 + a % (len(rows) - 1))
    elif kind == "copy_row":
        rows.append(list(row))
    elif kind == "add_field":
        row.insert(b % (len(row) + 1), value)
    elif kind == "drop_field" and row:
        row.pop(b % len(row))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue())


@fast(40)
@given(mutations())
def test_a_single_mutation_solves_or_is_an_input_error_naming_a_file(mutation):
    file, kind, a, b, value = mutation
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        study = copy_tiny(folder)
        mutate(folder / "data" / file, kind, a, b, value)
        result = CliRunner().invoke(main, ["solve", str(study), "--out", str(folder / "out"),
                                           "-q"])
        wrote = (folder / "out").exists()
    assert not LIBRARY.search(result.stderr), result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.stderr
    if result.exit_code == 2:
        problems = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
        assert problems and not wrote, result.stderr
        names = (*FILES, "study.yaml")
        assert all(line[4:].startswith(names) or "study.yaml" in line for line in problems), \
            result.stderr
    else:
        assert result.exit_code == 0 and wrote, result.stderr
