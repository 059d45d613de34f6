"""The registry (formulation/terms.py): what a concern registers must be declared, and what
the outputs read comes from the declarations."""
from __future__ import annotations

import pyomo.environ as pyo
import pytest

from optimizer import formulation
from optimizer.case import load_case
from optimizer.formulation import CONCERNS, build_model, first_stage_vars
from optimizer.formulation.declarations import PolicyRow, registry
from optimizer.formulation.terms import Terms
from optimizer.study import load_study, per_material_keys

from conftest import TINY



@pytest.fixture(scope="module")
def tiny_case():
    """The tiny study with every policy key set, loosely: every key study.py marks per
    material (a floor at 0, a cap at 1), a budget and limits nothing reaches."""
    study = load_study(TINY)
    given = {"policy": {"from_year": 2027, "budget_eur": 1e12,
                        "limits": {"land_ha": 1e6, "energy_gwh_per_yr": 1e6, "staff_fte": 1e6}},
             "risk": {}}
    for key in per_material_keys():
        section, name = key.split(".")
        given[section][name] = 0.0 if name.startswith("min_") else 1.0
    policy = study.policy.model_validate(given["policy"])
    risk = study.risk.model_validate({**study.risk.model_dump(), **given["risk"]})
    return load_case(study.model_copy(update={"policy": policy, "risk": risk}))


@pytest.mark.parametrize("register, what", [
    (lambda terms: terms.cost("capex_typo", 1.0), "capex_typo"),
    (lambda terms: terms.cost("shortage", 1.0), "shortage"),          # a second-stage cost
    (lambda terms: terms.supply(("x", 2026, "w"), "imported", pyo.Var(), "s"), "imported"),
    (lambda terms: terms.use(("x", 2026, "w"), "contract", pyo.Var(), "s"), "contract"),
    (lambda terms: terms.add_policy(pyo.ConcreteModel(), "my_cap", None, None), "my_cap"),
])
def test_registering_what_no_concern_declares_is_an_error(register, what):
    terms = Terms(CONCERNS)
    with pytest.raises(KeyError, match=what):
        register(terms)


def test_a_policy_row_must_enforce_a_study_key_with_known_labels():
    class Concern:
        __name__ = "concern"
        POLICIES = (PolicyRow("typo_limit", "policy.max_contry_share", ("material",)),)

    with pytest.raises(ValueError, match="max_contry_share"):
        registry((Concern,))
    Concern.POLICIES = (PolicyRow("cap", "policy.max_country_share", ("mineral",)),)
    with pytest.raises(ValueError, match="mineral"):
        registry((Concern,))


def test_a_flow_read_before_its_concern_registered_it_is_refused(tiny_case, monkeypatch):
    """shortfall reads the substitution flow: built before substitution, it is refused
    rather than reading an empty flow."""
    order = list(CONCERNS)
    order.remove(formulation.shortfall)
    order.insert(order.index(formulation.substitution), formulation.shortfall)
    monkeypatch.setattr(formulation, "CONCERNS", tuple(order))
    with pytest.raises(RuntimeError, match="substitution"):
        build_model(tiny_case)


def test_the_model_is_what_the_concerns_declare(tiny_case):
    """Every policy row of the model is declared, with one label per index position; the
    cost components are the declared ones; every flow term is of a declared flow; the plan
    is the declared decisions."""
    model = build_model(tiny_case)
    declared = registry(CONCERNS)
    assert set(model.policy_rows) == {r.name for r in declared["policies"].values()
                                      if not r.name.endswith("_aggregate_share")}
    for name, row in model.policy_rows.items():
        for index in model.find_component(name):
            k = index if isinstance(index, tuple) else (index,)
            assert len(row.labels) == (0 if index is None else len(k)), name
    costs = declared["costs"].values()
    assert model.cost_components == {
        stage: [c.name for c in costs if c.stage == stage] for stage in ("first", "second")}
    assert {flow.name for flow, *_ in model.flow_terms} == set(declared["flows"])
    assert [v.local_name for v in first_stage_vars(model)] == list(declared["decisions"])


def test_flows_csv_is_the_registered_terms(tiny_results):
    """Each flow's tonnes in flows.csv sum, per material, year and scenario, to what the
    balance holds: re-derived from the registered expressions of a solved model."""
    case = load_case(load_study(TINY))
    flows = tiny_results.flows
    declared = registry(CONCERNS)["flows"]
    assert set(flows["flow"]) <= {f.name for f in declared.values() if f.reported}
    assert (flows["t"] > 0).all()
    contract = flows[flows["flow"] == "contract"]
    assert set(contract["source_or_facility"]) <= set(case.sources.index)
    use = flows[flows["flow"] == "use"]
    assert set(use["source_or_facility"]) <= set(case.facilities.index)
