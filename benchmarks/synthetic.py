"""Synthetic studies of growing size: materials x sources x years x scenarios.

    python benchmarks/synthetic.py OUT_DIR --materials 10 --sources 6 --years 15 --scenarios 20

Each material has `sources` import options in as many countries (the first one dominant and
cheap), one EU refining or manufacturing candidate with up to 3 units, and the scenarios cut
the dominant country of a random subset of materials for random spans. Seeded: the same
arguments give the same files.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def generate(out: Path, materials: int, sources: int, years: int, scenarios: int,
             seed: int = 7, gap: float = 0.005) -> Path:
    rng = np.random.default_rng(seed)
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    start = 2026
    span = range(start, start + years)
    mats = [f"m{i:03d}" for i in range(materials)]
    countries = [f"c{j:02d}" for j in range(sources)] + ["eu1"]
    tables = {
        "materials": pd.DataFrame({
            "material": mats, "name": mats, "stage": "refined",
            "shortage_cost_eur_per_t": rng.uniform(2e5, 8e5, materials).round(),
            "holding_cost_eur_per_t_yr": rng.uniform(2e3, 6e3, materials).round()}),
        "countries": pd.DataFrame({"country": countries, "name": countries,
                                   "eu": [False] * sources + [True],
                                   "governance": rng.uniform(2, 9, sources + 1).round(1)}),
    }
    base = rng.uniform(500, 5000, materials)
    tables["demand"] = pd.DataFrame([(m, y, round(base[i] * 1.03 ** (y - start)))
                                     for i, m in enumerate(mats) for y in span],
                                    columns=["material", "year", "demand_t"])
    price = rng.uniform(2e4, 8e4, materials)
    tables["sources"] = pd.DataFrame([
        (f"{m}_{c}", m, c, round(price[i] * (1 + 0.12 * j)),
         round(base[i] * (1.4 if j == 0 else 0.5)), 1.3)
        for i, m in enumerate(mats) for j, c in enumerate(countries[:-1])],
        columns=["source", "material", "country", "price_eur_per_t", "capacity_t_per_yr",
                 "spot_premium"])
    tables["facilities"] = pd.DataFrame([
        (f"plant_{m}", "refining", "eu1", m, round(base[i] / 3), round(price[i] * base[i] / 2),
         round(price[i] * base[i] / 60), round(price[i] * 0.7), 2, 3, 0)
        for i, m in enumerate(mats)],
        columns=["facility", "kind", "country", "output", "capacity_t_per_yr",
                 "capex_eur_per_unit", "fixed_opex_eur_per_unit_yr", "variable_cost_eur_per_t",
                 "lead_time_yr", "max_units", "existing_units"])
    tables["recipes"] = pd.DataFrame(columns=["facility", "input", "t_per_t_output"])
    tables["scrap"] = pd.DataFrame(columns=["material", "year", "available_t"])
    names = ["calm"] + [f"w{k:03d}" for k in range(1, scenarios)]
    prob = np.full(scenarios, 0.5 / max(scenarios - 1, 1))
    prob[0] = 0.5 if scenarios > 1 else 1.0
    tables["scenarios"] = pd.DataFrame({"scenario": names, "probability": prob / prob.sum()})
    rows = []
    for w in names[1:]:
        for m in rng.choice(mats, size=max(1, materials // 3), replace=False):
            y0 = int(rng.integers(start, start + years))
            rows.append((w, m, countries[0], y0, min(y0 + int(rng.integers(0, 3)), span[-1]),
                         round(float(rng.uniform(0.1, 0.7)), 2),
                         round(float(rng.uniform(1.5, 4.0)), 2)))
    tables["disruptions"] = pd.DataFrame(rows, columns=[
        "scenario", "material", "country", "year_from", "year_to", "available_share",
        "price_multiplier"])
    for name, frame in tables.items():
        frame.to_csv(data / f"{name}.csv", index=False)
    study = {"name": f"synthetic-{materials}x{sources}x{years}x{scenarios}", "inputs": "data",
             "horizon": {"start": start, "end": span[-1]}, "discount_rate": 0.04,
             "solver": {"mip_rel_gap": gap, "time_limit_s": 600, "threads": 1}}
    path = out / "study.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    for name, default in (("materials", 10), ("sources", 6), ("years", 15), ("scenarios", 20)):
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()
    print(generate(args.out, args.materials, args.sources, args.years, args.scenarios))
