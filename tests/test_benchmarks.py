"""The benchmark ladder's row is what its columns say: parts that add up to the end-to-end time,
a ratio to HiGHS alone on the same model, and the fastest of the repeated runs."""
from __future__ import annotations

import importlib.util

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def overhead():
    """benchmarks/overhead.py, which puts its own folder on sys.path for synthetic.py."""
    spec = importlib.util.spec_from_file_location("overhead", ROOT / "benchmarks" / "overhead.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ladder_row_is_consistent_and_the_best_of_its_runs(overhead, tmp_path, monkeypatch):
    case = overhead.synthetic_case("3x2x4x3", tmp_path)
    totals = []
    end_to_end = overhead.end_to_end

    def recorded(case):
        run, model = end_to_end(case)
        totals.append(run["total_s"])
        return run, model

    monkeypatch.setattr(overhead, "end_to_end", recorded)
    row = overhead.measure("3x2x4x3", case, tmp_path, repeat=3)

    assert set(row) == set(overhead.COLUMNS)
    assert len(totals) == 3 and row["total_s"] == min(totals)
    parts = row["build_s"] + row["handover_s"] + row["highs_s"] + row["extract_s"]
    assert row["total_s"] == pytest.approx(parts)
    assert row["ratio"] == pytest.approx(row["total_s"] / row["highs_alone_s"])
    assert 0 < row["overhead"] < 1
    # 3 materials x 2 sources x 4 years x 3 scenarios: spot and surplus alone are 144 columns
    # the model splits into its materials (optimizer/blocks.py): nodes counts the blocks' MIP
    # nodes, none when every block is settled by its LP and rounding
    assert row["vars"] >= 144 and row["rows"] > 0 and int(row["nodes"]) >= 0
