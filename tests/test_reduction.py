"""Scenario reduction (optimizer/reduction.py) and the study key sample.draw."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import ROOT
from optimizer.case import load_case
from optimizer.events import STUDY_STREAM, describe, draw_paths, event_model
from optimizer.reduction import forward_selection
from optimizer.study import load_study

TINY = ROOT / "inputs" / "tiny"


def test_forward_selection_keeps_one_path_per_cluster_with_its_probability():
    """Two clusters on a line, {0, 1} and {10, 11, 12}. By hand: first the path of least
    expected distance to all, c = 10 (0.1·10 + 0.3·9 + 0.2·1 + 0.2·2 = 4.3 against 4.5 for
    11 and 6.1 for 1), then the one that cuts it most, b = 1 (leaving 0.1·1 + 0.2·1 +
    0.2·2 = 0.7 against 0.9 for a); each keeps its cluster's probability."""
    features = pd.DataFrame({"x": [0.0, 1.0, 10.0, 11.0, 12.0]}, index=list("abcde"))
    probability = pd.Series([0.1, 0.3, 0.2, 0.2, 0.2], index=list("abcde"))
    kept = forward_selection(features, probability, 2)
    assert list(kept.index) == ["c", "b"]
    assert kept["b"] == pytest.approx(0.4) and kept["c"] == pytest.approx(0.6)


def test_keeping_every_path_keeps_the_distribution():
    features = pd.DataFrame({"x": [3.0, 1.0, 2.0], "y": [0.0, 5.0, 1.0]}, index=list("pqr"))
    probability = pd.Series([0.5, 0.25, 0.25], index=list("pqr"))
    kept = forward_selection(features, probability, 3)
    pd.testing.assert_series_equal(kept.sort_index(), probability.rename("probability"))


def test_a_reduced_study_plans_on_drawn_paths_whose_probabilities_sum_to_one(tmp_path):
    """sample: {scenarios: 4, draw: 15}: the four scenarios are four of the fifteen paths the
    study's stream draws (same names, same events), their probabilities sum to 1, and each is
    at least 1/15 (every kept path keeps at least its own)."""
    study = tmp_path / "reduced.yaml"
    study.write_text(f"name: reduced\ninputs: {TINY}\nhorizon: {{start: 2026, end: 2035}}\n"
                     "sample: {scenarios: 4, seed: 2, stratified: true, draw: 15}\n")
    case = load_case(load_study(study))
    drawn = draw_paths(event_model(case.tables), case.years, 15, seed=2, stream=STUDY_STREAM,
                       stratified=True)
    names = {f"s{i:02d}": describe(path) for i, path in enumerate(drawn, 1)}
    assert len(case.scenario_ids) == 4 and set(case.scenario_ids) <= set(names)
    assert case.scenarios["description"].tolist() == [names[w] for w in case.scenario_ids]
    assert sum(case.probability.values()) == pytest.approx(1.0)
    assert min(case.probability.values()) >= 1 / 15 - 1e-12


def test_draw_below_the_kept_number_is_bad_input(tmp_path):
    study = tmp_path / "bad.yaml"
    study.write_text(f"name: bad\ninputs: {TINY}\nhorizon: {{start: 2026, end: 2035}}\n"
                     "sample: {scenarios: 4, draw: 3}\n")
    with pytest.raises(Exception, match="draw"):
        load_case(load_study(study))
