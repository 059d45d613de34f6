"""VSS and EVPI: equal to the hand computation, and never negative."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import optimizer
from conftest import TINY, one_material, write_dataset, write_study
from optimizer.analysis import stochastic_value
from optimizer.cli import main
from test_hand_optima import fractile_case


def case_of(tmp_path, tables, **keys) -> optimizer.Case:
    write_dataset(tmp_path / "data", tables)
    return optimizer.load_case(optimizer.load_study(write_study(tmp_path, **keys)))


def table(frame) -> dict[str, float]:
    return dict(zip(frame["quantity"], frame["eur"]))


def test_vss_and_evpi_equal_the_hand_computation(tmp_path):
    """The fractile case: demand 100, supply share calm 1.0 (p .5), mid 0.6 (p .3), bad 0.2
    (p .2) at 100 EUR/t; stock costs fill 100 + holding 300 per t and is credited 100 when
    left; shortage 1000 EUR/t. K is the stock capacity.

    RP: K = 40 (critical fractile):
        40·400 + .5·(10000 − 4000) + .3·6000 + .2·(2000 + 40·1000)
        = 16000 + 3000 + 1800 + 8400 = 29200.
    EV: mean share .5 + .18 + .04 = 0.72, gap 28 t, all of it stocked (400 < 1000):
        K̄ = 28, EV = 28·400 + 72·100 = 18400.
    EEV: K̄ = 28 held: 11200 + .5·(10000 − 2800) + .3·(6000 + 12·1000) + .2·(2000 + 52·1000)
        = 11200 + 3600 + 5400 + 10800 = 31000.
    WS: calm K = 0: 10000; mid K = 40: 16000 + 6000 = 22000; bad K = 80: 32000 + 2000 = 34000;
        WS = .5·10000 + .3·22000 + .2·34000 = 18400.
    VSS = 31000 − 29200 = 1800;  EVPI = 29200 − 18400 = 10800.
    """
    values = table(stochastic_value(case_of(tmp_path, fractile_case()), workers=1))
    expected = {"RP": 29200, "EV": 18400, "EEV": 31000, "WS": 18400, "WS[calm]": 10000,
                "WS[mid]": 22000, "WS[bad]": 34000, "VSS": 1800, "EVPI": 10800}
    for quantity, eur in expected.items():
        assert values[quantity] == pytest.approx(eur, rel=1e-7), quantity


def test_vss_with_a_risk_measure_uses_the_studys_objective(tmp_path):
    """With weight 1 on CVaR_0.8 (the bad scenario alone), ρ = E + CVaR.
    RP: K = 80 (test_hand_optima): E = 32000 + .5·(10000 − 8000) + .3·(6000 − 4000) + .2·2000
        = 34000, every scenario costs 34000, so ρ = 68000 (K = 40 gives 29200 + 58000 = 87200).
    EEV: K̄ = 28 as before, E = 31000, bad costs 11200 + 54000 = 65200: ρ = 96200.
    WS: 18400 + 34000 (bad alone) = 52400.  VSS = 28200, EVPI = 15600.
    EV is the mean scenario's cost alone, 18400, whatever the risk measure.
    """
    case = case_of(tmp_path, fractile_case(), risk={"measure": "cvar", "alpha": 0.8, "weight": 1})
    values = table(stochastic_value(case, workers=1))
    for quantity, eur in {"RP": 68000, "EV": 18400, "EEV": 96200, "WS": 52400, "VSS": 28200,
                          "EVPI": 15600}.items():
        assert values[quantity] == pytest.approx(eur, rel=1e-7), quantity


def random_tables(rng: np.random.Generator) -> dict:
    """Two years, two import sources, an EU plant that may be built (a MIP), stock; two or
    three scenarios with random cuts, price spikes and demand shocks."""
    tables = one_material(demand=100.0, years=(2026, 2027), shortage=float(rng.uniform(400, 2000)),
                          holding=float(rng.uniform(20, 300)))
    tables["sources"] = [
        {"source": f"x_{c}", "material": "x", "country": c,
         "price_eur_per_t": float(rng.uniform(80, 200)),
         "capacity_t_per_yr": float(rng.uniform(40, 120)),
         "spot_premium": float(rng.uniform(1.0, 1.6))} for c in ("aa", "bb")]
    tables["facilities"] = [{
        "facility": "plant", "kind": "refining", "country": "ee", "output": "x",
        "capacity_t_per_yr": 40, "capex_eur_per_unit": float(rng.uniform(1000, 20000)),
        "fixed_opex_eur_per_unit_yr": 0, "variable_cost_eur_per_t": float(rng.uniform(50, 250)),
        "lead_time_yr": 0}]
    n = int(rng.integers(2, 4))
    weights = np.round(rng.dirichlet(np.ones(n)), 6)
    weights[-1] = round(1.0 - weights[:-1].sum(), 6)
    tables["scenarios"] = [{"scenario": f"s{i}", "probability": float(p)}
                           for i, p in enumerate(weights)]
    tables["disruptions"] = [
        {"scenario": f"s{i}", "material": "x", "country": c, "year_from": 2026 + k,
         "year_to": 2026 + k, "available_share": float(rng.uniform(0, 1)),
         "price_multiplier": float(rng.uniform(1, 3))}
        for i in range(n) for c in ("aa", "bb") for k in range(2) if rng.random() < 0.6]
    tables["demand_shocks"] = [
        {"scenario": f"s{i}", "material": "x", "year_from": 2027, "year_to": 2027,
         "multiplier": float(rng.uniform(0.7, 1.5))} for i in range(n)]
    return tables


@pytest.mark.parametrize("seed", range(5))
def test_vss_and_evpi_are_never_negative(tmp_path, seed):
    """RP ≤ EEV since the mean-scenario plan is a plan; WS ≤ RP since each scenario alone
    does at least as well as the plan that must serve all (solved to gap 0)."""
    rng = np.random.default_rng(seed)
    risk = {"measure": "cvar", "alpha": 0.7, "weight": 0.5} if seed % 2 else {}
    case = case_of(tmp_path, random_tables(rng), horizon={"start": 2026, "end": 2027},
                   **({"risk": risk} if risk else {}))
    values = table(stochastic_value(case, workers=1))
    tol = 1e-7 * abs(values["RP"])
    assert values["VSS"] >= -tol
    assert values["EVPI"] >= -tol
    assert values["EEV"] - values["VSS"] == pytest.approx(values["RP"])


def test_cli_value(tmp_path):
    out = tmp_path / "value"
    result = CliRunner().invoke(main, ["value", str(TINY), "--out", str(out), "--workers", "1",
                                       "-q"])
    assert result.exit_code == 0, result.output
    values = table(pd.read_csv(out / "value.csv"))
    assert values["VSS"] >= -1e-4 * values["RP"] and values["EVPI"] >= -1e-4 * values["RP"]
    assert values["EEV"] - values["RP"] == pytest.approx(values["VSS"])
