"""Small datasets written on the fly, whose optimum can be worked out by hand."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

import optimizer

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "models" / "tiny.yaml"

HEADERS = {
    "materials": ["material", "name", "stage", "shortage_cost_eur_per_t",
                  "holding_cost_eur_per_t_yr"],
    "demand": ["material", "year", "demand_t"],
    "countries": ["country", "name", "eu"],
    "sources": ["source", "material", "country", "price_eur_per_t", "capacity_t_per_yr"],
    "facilities": ["facility", "kind", "country", "output", "capacity_t_per_yr",
                   "capex_eur_per_unit", "fixed_opex_eur_per_unit_yr", "variable_cost_eur_per_t",
                   "lead_time_yr"],
    "recipes": ["facility", "input", "t_per_t_output"],
    "scrap": ["material", "year", "available_t"],
    "scenarios": ["scenario", "probability"],
    "disruptions": ["scenario", "material", "country", "year_from", "year_to", "available_share"],
}


def write_dataset(folder: Path, tables: dict[str, list[dict]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        frame = pd.DataFrame(rows)
        if frame.empty:
            frame = pd.DataFrame(columns=HEADERS[name])
        frame.to_csv(folder / f"{name}.csv", index=False)
    for name, header in HEADERS.items():
        if name not in tables:
            pd.DataFrame(columns=header).to_csv(folder / f"{name}.csv", index=False)
    return folder


def write_study(folder: Path, **keys) -> Path:
    study = {"name": keys.pop("name", "hand"), "inputs": "data",
             "horizon": keys.pop("horizon", {"start": 2026, "end": 2026}),
             "discount_rate": keys.pop("discount_rate", 0.0),
             "solver": {"mip_rel_gap": 0.0, "time_limit_s": 60, "threads": 1}, **keys}
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


@pytest.fixture
def hand(tmp_path):
    """hand(tables, **study keys) -> Results of a dataset written to tmp_path."""
    counter = iter(range(1000))

    def make(tables, **keys):
        folder = tmp_path / f"case{next(counter)}"
        write_dataset(folder / "data", tables)
        return optimizer.solve(write_study(folder, **keys))

    return make


def one_material(demand=100.0, years=(2026,), shortage=1000.0, holding=300.0, stage="refined",
                 **material):
    return {
        "materials": [{"material": "x", "name": "X", "stage": stage,
                       "shortage_cost_eur_per_t": shortage, "holding_cost_eur_per_t_yr": holding,
                       **material}],
        "demand": [{"material": "x", "year": y, "demand_t": demand} for y in years],
        "countries": [{"country": "aa", "name": "A", "eu": "false"},
                      {"country": "bb", "name": "B", "eu": "false"},
                      {"country": "ee", "name": "E", "eu": "true"}],
        "sources": [{"source": "x_aa", "material": "x", "country": "aa", "price_eur_per_t": 100,
                     "capacity_t_per_yr": 100, "spot_premium": 1.0}],
        "scenarios": [{"scenario": "calm", "probability": 1.0}],
    }


def value(frame: pd.DataFrame, column: str, **where) -> float:
    rows = frame
    for k, v in where.items():
        rows = rows[rows[k] == v]
    return float(rows[column].sum())


@pytest.fixture(scope="session")
def tiny_results():
    return optimizer.solve(TINY)
