"""The L-shaped method (optimizer/decomposition) against the extensive form on small cases."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer.case import load_case
from optimizer.decomposition import NotDecomposable, choose_method, decompose, solve_lshaped
from optimizer.decomposition.master import Master
from optimizer.decomposition.plan_tables import plan_results
from optimizer.decomposition.subproblems import ScenarioLPs
from optimizer.explain import objective_weight
from optimizer.formulation.first_stage import hold
from optimizer.pipeline import solve as run_solve
from optimizer.run import solve_case
from optimizer.study import load_study

from conftest import TINY

GAP = 1e-4
LIMIT_S = 900.0     # tiny's own 60 s is short for the CVaR case on a loaded machine


def tiny_case(**changes):
    study = load_study(TINY)
    for key, values in changes.items():
        study = study.model_copy(update={key: getattr(study, key).model_copy(update=values)})
    return load_case(study)


@pytest.fixture(scope="module")
def cvar_case():
    """tiny weighing CVaR: the scenario whose costs are in the tail pulls the plan."""
    return tiny_case(risk={"measure": "cvar", "alpha": 0.5, "weight": 1.0})


def brackets(case, found, extensive):
    """The loop's bounds bracket the extensive form's optimum (which lies between its own
    objective and dual bound), and its plan is within the gap asked for."""
    objective = extensive.summary["objective_eur"]
    bound = objective * (1 - extensive.summary["mip_gap"])
    assert found.status == "optimal"
    assert found.lower_eur <= objective * (1 + 1e-9)
    assert found.upper_eur >= bound * (1 - 1e-9)
    assert found.gap <= case.study.solver.mip_rel_gap * (1 + 1e-6)
    assert abs(found.upper_eur - objective) <= GAP * 2 * objective


def test_tiny_matches_the_extensive_form():
    case = tiny_case()
    brackets(case, decompose(case, workers=1, time_limit_s=LIMIT_S), solve_case(case, duals=False))


def test_cvar_study_with_integer_builds_matches_the_extensive_form(cvar_case):
    extensive = solve_case(cvar_case, duals=False)
    assert extensive.tables["builds"]["units"].sum() > 0     # the integers matter
    brackets(cvar_case, decompose(cvar_case, workers=1, time_limit_s=LIMIT_S), extensive)


def test_worker_processes_find_what_one_process_finds(cvar_case):
    alone = decompose(cvar_case, workers=1, time_limit_s=LIMIT_S)
    shared = decompose(cvar_case, workers=2, time_limit_s=LIMIT_S)
    assert shared.workers == 2
    assert shared.upper_eur == pytest.approx(alone.upper_eur, rel=GAP)
    assert shared.lower_eur <= alone.upper_eur * (1 + 1e-9)


def test_cuts_underestimate_the_recourse_at_other_plans():
    """Q_w(x') ≥ Q_w(x) + g·(x' − x): the reduced costs of the held columns are a
    subgradient with the right sign and scale, checked at plans between the bounds."""
    case = tiny_case()
    master = Master(case)
    lps = ScenarioLPs(case, case.scenario_ids)
    rng = np.random.default_rng(3)
    span = master.upper - master.lower
    plans = [master.lower + rng.uniform(0, 1, len(span)) * span for _ in range(4)]
    cuts = [lps.evaluate(x) for x in plans]
    for x, at_x in zip(plans, cuts):
        for other, at_other in zip(plans, cuts):
            for cut, there in zip(at_x, at_other):
                below = cut.value + cut.gradient @ (other - x)
                assert there.value >= below - 1e-6 * max(1.0, abs(there.value))
    moved = [c.gradient for c in cuts[0]]
    assert any(np.abs(g).max() > 0 for g in moved)


def test_solve_path_writes_the_extensive_forms_results(tmp_path):
    """solver.method lshaped through pipeline.solve: the same tables and objective as the
    extensive form, the bounds in the summary."""
    study = load_study(TINY)
    solver = study.solver.model_copy(update={"method": "lshaped", "workers": 1})
    results = run_solve(study.model_copy(update={"solver": solver}))
    extensive = run_solve(study)
    summary = results.summary
    assert summary["engine"] == "lshaped" and results.status == "optimal"
    assert summary["lower_bound_eur"] <= summary["objective_eur"] * (1 + 1e-9)
    assert summary["objective_eur"] == pytest.approx(extensive.summary["objective_eur"],
                                                     rel=2 * GAP)
    assert set(extensive.tables) <= set(results.tables)
    flows = results.tables["flows"]
    assert set(flows["scenario"]) == set(extensive.tables["flows"]["scenario"])


def test_python_entry_point_returns_results():
    case = tiny_case()
    results = solve_lshaped(case, duals=False, workers=1)
    assert results.ok and results.summary["mip_gap"] <= case.study.solver.mip_rel_gap * 1.000001


def test_policy_rows_per_scenario_fall_back_to_the_extensive_form():
    case = tiny_case(policy={"min_stock_days": 30.0},
                     solver={"method": "lshaped"})
    assert choose_method(case) == "extensive"
    with pytest.raises(NotDecomposable):
        Master(case)
    assert choose_method(tiny_case(solver={"method": "auto"})) == "extensive"   # 2 scenarios


@pytest.fixture(scope="module")
def two_chains(tmp_path_factory):
    """Materials x and y, each with its plant (test_blocks.two_plants: y's plant is not worth
    its capex, the LP relaxation builds 2/3 of a unit of each), in two scenarios: calm, and
    every source at half its capacity in 2027."""
    from conftest import write_dataset, write_study
    from test_blocks import two_plants
    tables = two_plants(59000, 61000)
    tables["scenarios"] = [{"scenario": "calm", "probability": 0.5},
                           {"scenario": "bad", "probability": 0.5}]
    tables["disruptions"] = [{"scenario": "bad", "material": "*", "country": "*",
                              "year_from": 2027, "year_to": 2027, "available_share": 0.5}]
    folder = tmp_path_factory.mktemp("two_chains")
    write_dataset(folder / "data", tables)
    return load_case(load_study(write_study(folder, horizon={"start": 2026, "end": 2030},
                                            solver={"mip_rel_gap": GAP, "time_limit_s": 60,
                                                    "threads": 1})))


def test_block_cuts_underestimate_each_block_and_sum_to_the_scenario(two_chains):
    """Q_wb(x') ≥ Q_wb(x) + g_b·(x'_b − x_b) for each block b at random plans (each θ_wb
    under-estimates its own block), and the blocks' shares sum to Q_w."""
    lps = ScenarioLPs(two_chains, two_chains.scenario_ids)
    block = lps.block_of_plan
    assert sorted(set(block)) == [0, 1]
    master = Master(two_chains, block)
    rng = np.random.default_rng(5)
    span = master.upper - master.lower
    plans = [master.lower + rng.uniform(0, 1, len(span)) * span for _ in range(4)]
    cuts = [lps.evaluate(x) for x in plans]
    for x, at_x in zip(plans, cuts):
        for cut in at_x:
            assert cut.blocks.sum() == pytest.approx(cut.value, rel=1e-9)
        for other, at_other in zip(plans, cuts):
            for cut, there in zip(at_x, at_other):
                for b in (0, 1):
                    mine = block == b
                    below = cut.blocks[b] + cut.gradient[mine] @ (other - x)[mine]
                    assert there.blocks[b] >= below - 1e-6 * max(1.0, abs(there.value))
    # both blocks move with their own plan: neither share is a constant
    assert all(len({round(c[w].blocks[b], 6) for c in cuts}) > 1 for b in (0, 1) for w in (0, 1))


def test_two_chains_match_the_extensive_form(two_chains):
    """Cuts and trust regions per block, then the rounded plan (both plants) and master MIPs
    to the plan that builds x's plant alone: the extensive form's optimum."""
    extensive = solve_case(two_chains, duals=False)
    assert set(extensive.tables["builds"]["facility"]) == {"plant_x"}
    brackets(two_chains, decompose(two_chains, workers=1, time_limit_s=LIMIT_S), extensive)


def test_a_scenario_lp_in_one_piece_goes_to_its_plans_block():
    """A scenario LP that does not split (one row over both columns) is all of its plan's
    block, here block 1 (the first plan variable is in no row of it); one joining plan
    variables of two blocks is refused."""
    import highspy
    import scipy.sparse as sp
    from optimizer.blocks import Form
    from optimizer.decomposition.block_cuts import BlocksCrossed, ObjectiveSplit
    inf = highspy.kHighsInf
    form = Form(cost=np.array([1.0, 2.0]), offset=0.5, lower=np.zeros(2), upper=np.full(2, inf),
                row_lower=np.array([1.0]), row_upper=np.array([inf]),
                A=sp.csc_array(np.array([[1.0, 1.0]])), integer=np.zeros(2, bool))
    split = ObjectiveSplit(form, np.array([0, 1]), np.array([-1, 0]))
    assert split.values(np.array([1.0, 3.0])).tolist() == [0.5, 7.0]
    with pytest.raises(BlocksCrossed):
        ObjectiveSplit(form, np.array([0, 1]), np.array([1, 0]))


def same_tables(ours, theirs, atol=1e-6):
    """Equal frames up to row order (numbers to `atol` t or EUR)."""
    assert set(theirs) <= set(ours)
    for name, frame in theirs.items():
        keys = [c for c in frame.columns if frame[c].dtype.kind not in "fc"]
        left, right = (f[list(frame.columns)].sort_values(keys).reset_index(drop=True)
                       for f in (ours[name], frame))
        pd.testing.assert_frame_equal(left, right, check_dtype=False,
                                      check_exact=False, rtol=1e-9, atol=atol, obj=name)


def test_the_plans_tables_are_the_extensive_forms_held_at_it(two_chains):
    """The workers read the plan's tables off their scenario LPs (plan_tables.py): the same
    tables as the extensive form held at the plan, why.csv included; the balance prices
    (each scenario's LP dual times its weight in the objective) by hand: 0.5·200 = 100 a
    tonne of x in 2026, 0.5·50 = 25 once x's plant runs, 100 a tonne of y throughout."""
    found = decompose(two_chains, workers=2, time_limit_s=LIMIT_S, tables=True, duals=True)
    assert len(found.parts) == 2
    ours = plan_results(two_chains, found.plan, found.parts, True, {})
    held = solve_case(two_chains, prepare=lambda model: hold(model, found.plan))
    assert ours.summary["objective_eur"] == pytest.approx(held.summary["objective_eur"],
                                                          rel=1e-12)
    same_tables(ours.tables, held.tables)
    weight = objective_weight(two_chains, ours.tables["costs"])
    prices = {index: price * weight[index[-1]] for part in found.parts
              for (name, index), price in part.duals.items() if name == "material_balance"}
    assert prices == pytest.approx(
        {(m, y, w): 100.0 if m == "y" or y == 2026 else 25.0
         for m in ("x", "y") for y in range(2026, 2031) for w in ("calm", "bad")}, rel=1e-9)


def test_a_cvar_plans_tables_are_the_extensive_forms_held_at_it(cvar_case):
    """In a study weighing CVaR the objective read off the scenario LPs is expected cost +
    weight·CVaR over all scenarios, as the extensive form held at the plan has it."""
    found = decompose(cvar_case, workers=1, time_limit_s=LIMIT_S, tables=True)
    ours = plan_results(cvar_case, found.plan, found.parts, False, {})
    held = solve_case(cvar_case, duals=False, prepare=lambda model: hold(model, found.plan))
    for key in ("objective_eur", "expected_cost_eur", "cvar_eur"):
        assert ours.summary[key] == pytest.approx(held.summary[key], rel=1e-9), key
    assert ours.summary["objective_eur"] > ours.summary["expected_cost_eur"]
    same_tables({"costs": ours.tables["costs"]}, {"costs": held.tables["costs"]}, atol=0.01)
