"""docs/formulation.md is generated from the rule docstrings and names every constraint."""
from __future__ import annotations

import pyomo.environ as pyo

import optimizer
from optimizer.formulation import build_model
from optimizer.formulation.doc import generate, undocumented
from optimizer.study import Limits, Policy, Risk
from conftest import ROOT, TINY


def test_formulation_md_is_current():
    assert (ROOT / "docs" / "formulation.md").read_text() == generate(), \
        "run: python -m optimizer.formulation.doc > docs/formulation.md"


def test_every_constraint_of_a_full_model_is_documented():
    study = optimizer.load_study(TINY)
    study = study.model_copy(update={
        "policy": Policy(max_country_share=0.6, min_eu_extraction_share=0.1,
                         min_eu_processing_share=0.4, min_recycling_share=0.1, min_stock_days=30,
                         budget_eur=1e9, limits=Limits(land_ha=100, energy_gwh_per_yr=500,
                                                       staff_fte=900)),
        "risk": Risk(measure="cvar", alpha=0.9, weight=0.5, max_shortfall_share=0.5)})
    model = build_model(optimizer.load_case(study))
    built = {c.name for c in model.component_objects(pyo.Constraint)}
    assert not undocumented(model), undocumented(model)
    assert {"material_balance", "country_share_limit", "cvar_excess", "budget"} <= built
