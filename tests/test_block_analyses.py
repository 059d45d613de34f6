"""Ranges and prioritisation on a model of independent blocks, solved block by block."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import scipy.sparse as sp

import optimizer
from optimizer.analysis.held_blocks import HeldBlocks
from optimizer.block_solve import BlockSolver
from optimizer.analysis.prioritize import prioritize
from optimizer.analysis.ranges import ranges
from optimizer.block_extremes import extremes, shares
from optimizer.blocks import INF, Form, split
from optimizer.formulation import build_model
from optimizer.highs import standard_form
from optimizer.solve_extremes import solve_reference
from conftest import write_dataset, write_study
from test_prioritize import two_materials
from test_ranges import two_sources_a_stock_and_a_mine


def with_second_material(tables: dict) -> dict:
    """`tables` plus material y: the same as x but with only aa's source (100 t at
    100,000 EUR/t, spot at twice the price), no facility: a block of its own."""
    tables = copy.deepcopy(tables)
    y = {**tables["materials"][0], "material": "y", "name": "Y"}
    tables["materials"].append(y)
    tables["demand"] += [{**row, "material": "y"} for row in tables["demand"]]
    tables["sources"].append({"source": "y_aa", "material": "y", "country": "aa",
                              "price_eur_per_t": 100_000, "capacity_t_per_yr": 100,
                              "spot_premium": 2.0})
    return tables


@pytest.fixture
def two_blocks(tmp_path):
    """x of test_ranges (its mine allowed 10 units) beside y: optimum 10,000,000 EUR each."""
    tables = with_second_material(two_sources_a_stock_and_a_mine())
    tables["facilities"][0]["max_units"] = 10
    write_dataset(tmp_path / "data", tables)
    case = optimizer.load_case(optimizer.load_study(write_study(tmp_path, resale_share=0.0)))
    blocks = split(standard_form(build_model(case))[0])
    assert blocks is not None and len(blocks.columns) == 2
    return case


def test_the_whole_slack_goes_to_the_block_of_the_decision(two_blocks):
    """C* = 20,000,000 EUR, so a 1% slack is 200,000 EUR, all of it for x's block while y
    stays at its optimum (and the other way round):

    - stock x, stock y: 200,000 / 10,000 = 20 t;
    - units of the mine: 6 (180,000 EUR; a seventh would be 210,000), EU output 60 t of 100;
    - bb: 20 t in place of aa at 10,000 EUR each, a share of 0.2;
    - aa: k units replace 10k t for 30,000k EUR, the rest buys bb in place of aa:
      10k + (200,000 − 30,000k) / 10,000 = 20 + 7k t, most at k = 6: aa ≥ 38 t, 0.38;
    - y from aa: spot at 200,000 EUR/t costs 100,000 more per tonne, so 2 t of the 100 leave
      the contract, a share of 0.98.
    """
    table, summary = ranges(two_blocks, slack=0.01, workers=1, integers="mip")
    assert summary["budget_eur"] == pytest.approx(20_200_000.0)
    got = {r.decision: (r.chosen, r.min, r.max) for r in table.itertuples()}
    expected = {"stock x": (0.0, 0.0, 20.0), "stock y": (0.0, 0.0, 20.0),
                "units mine_ee": (0.0, 0.0, 6.0), "contracted x/aa": (1.0, 0.38, 1.0),
                "contracted x/bb": (0.0, 0.0, 0.2), "contracted y/aa": (1.0, 0.98, 1.0),
                "eu_output x": (0.0, 0.0, 0.6)}
    assert set(got) == set(expected)
    for name, values in expected.items():
        assert got[name] == pytest.approx(values, abs=1e-6), name
    assert table["proven"].all()


@pytest.mark.parametrize("integers", ["mip", "relaxed", "held"])
def test_ranges_block_by_block_equal_the_whole_models(two_blocks, integers):
    apart, _ = ranges(two_blocks, slack=0.01, workers=1, integers=integers)
    whole, _ = ranges(two_blocks.with_solver(blocks=False), slack=0.01, workers=1,
                      integers=integers)
    assert apart["decision"].tolist() == whole["decision"].tolist()
    assert apart[["chosen", "min", "max"]].to_numpy() == \
        pytest.approx(whole[["chosen", "min", "max"]].to_numpy(), abs=1e-6)


@pytest.mark.parametrize("integers", ["mip", "relaxed"])
def test_extremes_cut_into_parts_are_those_of_one_part(two_blocks, integers):
    """Every job once over the parts, each with the answer one process gives: three parts of
    the 14 jobs, so that each block's extremes are shared between parts."""
    reference = solve_reference(two_blocks)
    jobs = [(d, sense) for d in reference.decisions for sense in ("min", "max")]
    whole = extremes(two_blocks, reference, 0.01, jobs, 0.01, 60.0, integers)
    parts = [extremes(two_blocks, reference, 0.01, jobs, 0.01, 60.0, integers, (k, 3))
             for k in range(3)]
    assert sorted(i for part in parts for i in part) == list(range(len(jobs)))
    assert all(parts)                                       # none left empty
    merged = {i: found for part in parts for i, found in part.items()}
    for i, (decision, sense) in enumerate(jobs):
        assert merged[i][:2] == pytest.approx(whole[i][:2], abs=1e-6), (decision.label, sense)
        assert merged[i][2] == whole[i][2] == "optimal"


def test_parts_are_shared_out_heaviest_first_to_the_lightest_part():
    assert shares([1.0] * 6, 3) == [[0, 4], [1, 5], [2, 3]]
    # equal weights go 0, 1, 1, 0, 0, 1, 1, 0: each pair split, its first not always on 0
    assert shares([4.0, 4.0, 4.0, 4.0, 2.0, 2.0, 2.0, 2.0], 2) == [[0, 3, 4, 7],
                                                                    [1, 2, 5, 6]]
    assert shares([1.0, 9.0, 1.0], 2) == [[1], [0, 2]]      # the heavy one alone
    assert shares([0.0, 0.0], 2) == [[0, 1], []]            # nothing to weigh: all in one
    assert shares([], 2) == [[], []]


@pytest.mark.parametrize("workers", [1, 2])
def test_prioritize_block_by_block_equals_the_whole_models_table(tmp_path, workers):
    """test_prioritize's two materials share no row: two blocks. The study's gap is 0, so
    both ways solve every plan to optimality and every figure the optimum fixes agrees up to
    the solver's tolerances (1e-6 relative); the ranking is the same, and so is the hand's
    (test_prioritize). Concentration is not in the objective: with spot at the contract
    price, optimal plans tie on cost and differ in what they buy, so it is left out."""
    write_dataset(tmp_path / "data", two_materials())
    case = optimizer.load_case(optimizer.load_study(write_study(tmp_path)))
    assert len(split(standard_form(build_model(case))[0]).columns) == 2
    apart = prioritize(case, workers=workers)
    whole = prioritize(case.with_solver(blocks=False), workers=workers)
    assert apart[["material", "lever", "ranked_by", "rank"]].equals(
        whole[["material", "lever", "ranked_by", "rank"]])
    figures = [c for c in apart.columns
               if apart[c].dtype.kind == "f" and c != "concentration_reduced"]
    assert apart[figures].to_numpy() == pytest.approx(whole[figures].to_numpy(), rel=1e-6,
                                                      abs=1e-6, nan_ok=True)
    assert list(zip(apart["material"], apart["lever"])) == \
        [("b", "stockpile"), ("a", "diversify"), ("b", "substitute")]


def units_and_a_floor():
    """Two blocks. Block 0: min x0 + 2 x1 + 3u, x0 + x1 >= 10, x1 <= 4u (u units of 4 t),
    x0 <= 6, u integer in [0, 5]: x0 = 6, x1 = 4, u = 1, cost 17. Block 1: min y, y >= 3."""
    A = sp.csc_array(np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 1.0, -4.0, 0.0],
                               [0.0, 0.0, 0.0, 1.0]]))
    form = Form(cost=np.array([1.0, 2.0, 3.0, 1.0]), offset=0.0, lower=np.zeros(4),
                upper=np.array([6.0, INF, 5.0, INF]), row_lower=np.array([10.0, -INF, 3.0]),
                row_upper=np.array([INF, 0.0, INF]), A=A,
                integer=np.array([False, False, True, False]))
    blocks = split(form)
    assert [c.tolist() for c in blocks.columns] == [[0, 1, 2], [3]]
    return form, blocks


def options(gap: float) -> dict:
    return {"time_limit": 60.0, "mip_rel_gap": gap, "threads": 1, "random_seed": 0}


def test_a_warm_re_solve_of_a_block_equals_a_cold_one():
    """Closing x0 (upper bound 0) leaves x1 = 10 on u = 3 units (the LP's 2.5 rounded up):
    cost 20 + 9 = 29. Re-solved on the kept instance from the base's basis, it is what a
    solve from scratch gives; opening x0 again on the same instance gives the base back
    (the bounds it held, and the integers' after rounding, are put back)."""
    form, blocks = units_and_a_floor()
    held = HeldBlocks(form, blocks, options(0.0))
    status, base_x, bases = held.solve(form.upper, [0, 1])
    assert status == "optimal" and set(bases) == {0, 1}
    assert base_x == pytest.approx([6.0, 4.0, 1.0, 3.0])
    closed = form.upper.copy()
    closed[0] = 0.0
    status, warm, _ = held.solve(closed, [0], base_x, bases)
    assert status == "optimal" and 0 in held.kept
    _, cold, _ = HeldBlocks(form, blocks, options(0.0)).solve(closed, [0, 1])
    assert warm == pytest.approx([0.0, 10.0, 3.0, 3.0]) and cold == pytest.approx(warm)
    _, again, _ = held.solve(form.upper, [0], base_x, bases)
    assert again == pytest.approx(base_x)


def test_no_mip_for_a_block_whose_rounded_plan_is_within_the_gap(monkeypatch):
    """With x0 closed the rounded plan costs 29 against the LP bound 27.5: a gap of 1.5,
    above the block's absolute share at 6% (6% of the whole 30.5 over 2 blocks: 0.92) but
    within 6% of the block's own 29 (1.74): no MIP; at 1% neither (the MIP, which proves 29
    optimal)."""
    form, blocks = units_and_a_floor()
    closed = form.upper.copy()
    closed[0] = 0.0
    ran = []
    mip = BlockSolver.mip
    monkeypatch.setattr(BlockSolver, "mip", lambda self, b: ran.append(b) or mip(self, b))
    for gap, expected in ((0.06, []), (0.01, [0])):
        ran.clear()
        status, x, _ = HeldBlocks(form, blocks, options(gap)).solve(closed, [0, 1])
        assert status == "optimal" and x == pytest.approx([0.0, 10.0, 3.0, 3.0])
        assert ran == expected, gap
