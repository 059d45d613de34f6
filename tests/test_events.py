"""The event model (optimizer/events.py) and the studies that plan against its samples."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2

from conftest import ROOT
from optimizer.case import load_case
from optimizer.data import read_tables
from optimizer.errors import InputError
from optimizer.events import (STUDY_STREAM, Event, EventModel, Hit, Occurrence, describe,
                              draw_paths, event_model, path_rows, record_interval)
from optimizer.study import load_study

EU = ROOT / "inputs" / "eu-2025"
YEARS = list(range(2026, 2041))
PATHS = 4000


@pytest.fixture(scope="module")
def eu_model():
    tables, _, problems = read_tables(EU)
    assert not problems
    return event_model(tables)


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "stratified"])
def starts(eu_model, request):
    """Starts per event over PATHS sampled paths of 15 years, drawn independently or by
    Latin hypercube on the starts."""
    counts = dict.fromkeys((e.name for e in eu_model.events), 0)
    for path in draw_paths(eu_model, YEARS, PATHS, seed=11, stratified=request.param):
        for occ in path:
            counts[occ.event.name] += 1
    return counts


def test_sampled_events_occur_at_the_recorded_frequency(eu_model, starts):
    """Each event's starts per year in the sample lie in the exact 95% interval of its record
    (k events in n years), and so do all recorded kinds together (Poisson, exact)."""
    recorded = [e for e in eu_model.events if e.recorded_events is not None]
    assert len(recorded) >= 10
    exposure = PATHS * len(YEARS)
    for event in recorded:
        lo, hi = record_interval(event.recorded_events, event.record_yr)
        assert lo <= starts[event.name] / exposure <= hi, event.name
    supply = [e for e in recorded if e.hits[0].kind == "supply"]
    k, years = sum(e.recorded_events for e in supply), supply[0].record_yr
    assert all(e.record_yr == years for e in supply)
    lo, hi = chi2.ppf(0.025, 2 * k) / 2 / years, chi2.ppf(0.975, 2 * k + 2) / 2 / years
    per_year = sum(starts[e.name] for e in supply) / exposure
    assert lo <= per_year <= hi
    assert per_year == pytest.approx(k / years, rel=0.05)


def test_the_sampler_draws_each_yearly_probability(eu_model, starts):
    """Starts are not held back while an event runs: each event's frequency is its yearly
    probability within 4.5 binomial standard errors."""
    exposure = PATHS * len(YEARS)
    for event in eu_model.events:
        p = event.yearly_probability
        assert abs(starts[event.name] / exposure - p) <= 4.5 * (p * (1 - p) / exposure) ** 0.5


def test_stratified_starts_hold_n_p_per_event_and_year(eu_model):
    """Latin hypercube on the starts: of n paths, each event starts in each year in ⌊n·p⌋ or
    ⌈n·p⌉ of them, where independent draws scatter binomially."""
    n = 37
    for seed in (3, 4):
        counts = {}
        for path in draw_paths(eu_model, YEARS, n, seed=seed, stratified=True):
            for occ in path:
                counts[occ.event.name, occ.start] = counts.get((occ.event.name, occ.start), 0) + 1
        for event in eu_model.events:
            expected = n * event.yearly_probability
            for y in YEARS:
                assert np.floor(expected) <= counts.get((event.name, y), 0) <= np.ceil(expected)


def test_rows_of_one_event_start_together_with_one_severity():
    hits = (Hit("supply", "a", "cn", (2, 2), (0.2, 0.6), (1.5, 3.0)),
            Hit("supply", "b", "cn", (1, 1), (0.0, 0.4), (2.0, 4.0)),
            Hit("demand", "a", "*", (3, 3), demand_multiplier=(0.5, 0.9)))
    occ = Occurrence(Event("escalation", 0.1, hits), 2030, u_duration=0.0, u_severity=0.25)
    cuts, shocks = path_rows("w", [occ], YEARS, pd.DataFrame())
    got = sorted((r["material"], r["year_from"], r["year_to"], r["available_share"],
                  r["price_multiplier"]) for r in cuts)
    assert got == [("a", 2030, 2031, pytest.approx(0.3), pytest.approx(2.625)),
                   ("b", 2030, 2030, pytest.approx(0.1), pytest.approx(3.5))]
    assert [(r["material"], r["year_from"], r["year_to"], r["multiplier"]) for r in shocks] == \
        [("a", 2030, 2032, pytest.approx(0.6))]


def test_overlaps_take_the_most_severe_and_never_ease_the_regime():
    hit = Hit("supply", "a", "cn", (1, 3), (0.2, 0.8), (1.5, 2.5))
    event = Event("cut", 0.1, (hit,))
    first = Occurrence(event, 2030, u_duration=0.99, u_severity=0.5)   # 2030-2032, 0.5, x2
    second = Occurrence(event, 2031, u_duration=0.0, u_severity=0.0)   # 2031, 0.2, x2.5
    regime = pd.DataFrame([{"scenario": "*", "material": "a", "country": "*", "year_from": 2032,
                            "year_to": 2040, "available_share": 0.4, "price_multiplier": 1.2}])
    cuts, _ = path_rows("w", [first, second], YEARS, regime)
    got = sorted((r["year_from"], r["year_to"], r["available_share"], r["price_multiplier"])
                 for r in cuts)
    assert got == [(2030, 2030, 0.5, 2.0), (2031, 2031, pytest.approx(0.2), 2.5),
                   (2032, 2032, 0.4, 2.0)]


def test_a_repeated_demand_event_does_not_compound():
    hit = Hit("demand", "a", "*", (15, 15), demand_multiplier=(0.6, 0.6))
    event = Event("shift", 0.1, (hit,))
    _, shocks = path_rows("w", [Occurrence(event, 2030, 0, 0), Occurrence(event, 2033, 0, 0)],
                          YEARS, pd.DataFrame())
    assert [(r["year_from"], r["year_to"], r["multiplier"]) for r in shocks] == \
        [(2030, 2040, 0.6)]


def test_a_sampled_study_plans_against_equally_likely_paths(tmp_path):
    study = tmp_path / "sampled.yaml"
    study.write_text(f"name: sampled\ninputs: {EU}\nhorizon: {{start: 2026, end: 2040}}\n"
                     "sample: {scenarios: 30, seed: 5}\n")
    case = load_case(load_study(study))
    again = load_case(load_study(study))
    assert case.scenario_ids == [f"s{i:02d}" for i in range(1, 31)]
    assert list(case.probability.values()) == [pytest.approx(1 / 30)] * 30
    pd.testing.assert_series_equal(case.availability, again.availability)
    paths = draw_paths(event_model(case.tables), case.years, 30, seed=5, stream=STUDY_STREAM)
    unseen = draw_paths(event_model(case.tables), case.years, 30, seed=5)
    assert [describe(p) for p in paths] == case.scenarios["description"].tolist()
    assert [describe(p) for p in unseen] != case.scenarios["description"].tolist()
    rows = case.tables["disruptions"].query("scenario == 's01'")
    hit = {(r.material, r.country, y) for r in rows.itertuples()
           for y in range(r.year_from, r.year_to + 1)}
    expected = {(h.material, h.country, y) for occ in paths[0] for h in occ.event.hits
                if h.kind == "supply" for y in occ.years(h, case.years)}
    assert hit == expected and expected
    cut = case.availability.xs("s01", level="scenario")
    sources = case.sources.reset_index().set_index(["material", "country"])["source"]
    assert all(cut[s, y] < 1 for m, c, y in hit for s in np.atleast_1d(sources.loc[m, c]))
    other = case.with_study(case.study.model_copy(update={
        "sample": case.study.sample.model_copy(update={"seed": 6})}))
    assert not other.availability.equals(case.availability)


def test_sampling_without_an_event_table_is_bad_input(tmp_path):
    data = tmp_path / "tiny"
    shutil.copytree(ROOT / "inputs" / "tiny", data)
    (data / "events.csv").unlink()
    study = tmp_path / "tiny.yaml"
    study.write_text(f"name: t\ninputs: {data}\n"
                     "horizon: {start: 2026, end: 2035}\nsample: {scenarios: 5}\n")
    with pytest.raises(InputError) as err:
        load_case(load_study(study))
    assert any(p.column == "sample" and "events" in p.expected for p in err.value.problems)


def test_a_probability_outside_its_record_is_bad_input(tmp_path):
    data = tmp_path / "eu"
    shutil.copytree(EU, data)
    events = pd.read_csv(data / "events.csv", dtype=str, keep_default_na=False)
    events.loc[events["event"] == "cn_antimony", "yearly_probability"] = "0.5"
    events.loc[0, "max_duration_yr"] = "0"
    events.to_csv(data / "events.csv", index=False)
    tables, where, problems = read_tables(data)
    found = {(p.file, p.row, p.column) for p in problems}
    assert ("events.csv", 2, "max_duration_yr") in found
    study = tmp_path / "s.yaml"
    study.write_text(f"name: s\ninputs: {data}\nhorizon: {{start: 2026, end: 2040}}\n")
    events.loc[0, "max_duration_yr"] = "2"
    events.to_csv(data / "events.csv", index=False)
    with pytest.raises(InputError) as err:
        load_case(load_study(study))
    row = 2 + int(events.index[events["event"] == "cn_antimony"][0])
    assert [(p.file, p.row, p.column) for p in err.value.problems] == \
        [("events.csv", row, "yearly_probability")]


def test_record_interval_is_the_exact_binomial_interval():
    lo, hi = record_interval(2, 26)
    assert (lo, hi) == pytest.approx((0.00946, 0.2513), abs=1e-4)
    assert record_interval(0, 26)[0] == 0.0
    assert EventModel(()).for_case(None).events == ()


def test_a_sweep_of_a_sampled_study_varies_the_event_model(tmp_path):
    """Scaling events.csv resamples the paths; the scenario tables a sampled study does not
    read are refused rather than varied without effect."""
    from optimizer.analysis.params import apply, parse_param

    study = tmp_path / "tiny.yaml"
    study.write_text(f"name: t\ninputs: {ROOT / 'inputs' / 'tiny'}\n"
                     "horizon: {start: 2026, end: 2035}\nsample: {scenarios: 40, seed: 2}\n")
    case = load_case(load_study(study))
    assert (case.availability < 1).any()
    param = parse_param("events.yearly_probability", case)
    assert (apply(case, [(param, 0.0)]).availability == 1).all()
    doubled = apply(case, [(param, 2.0)]).availability
    assert (doubled < 1).sum() > (case.availability < 1).sum()
    for path in ("disruptions.available_share", "scenarios.probability[scenario=s01]"):
        with pytest.raises(InputError):
            parse_param(path, case)


def test_bad_cells_of_the_event_table_are_all_reported(tmp_path):
    data = tmp_path / "eu"
    shutil.copytree(EU, data)
    events = pd.read_csv(data / "events.csv", dtype=str, keep_default_na=False)
    events.loc[0, "max_duration_yr"] = "soon"
    events.loc[1, "max_available_share"] = "0.1"          # below its min 0.2
    events.loc[2, "record_yr"] = ""                       # count without a record
    events.loc[3, "material"] = "unobtainium"
    events.to_csv(data / "events.csv", index=False)
    study = tmp_path / "s.yaml"
    study.write_text(f"name: s\ninputs: {data}\nhorizon: {{start: 2026, end: 2040}}\n")
    with pytest.raises(InputError) as err:
        load_case(load_study(study))
    assert {(p.row, p.column) for p in err.value.problems} >= {
        (2, "max_duration_yr"), (3, "max_available_share"), (4, "record_yr"), (5, "material")}
