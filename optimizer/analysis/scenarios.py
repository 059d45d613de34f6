"""Moved to optimizer/scenarios.py; these names stay here while other branches still import
them from analysis.scenarios (removed once they are merged)."""
from ..scenarios import (ScenarioCase, ScenarioData, case_scenario, expected_cost_study,  # noqa: F401
                         expected_value_case, mean_scenario, subset_case, with_scenarios)
