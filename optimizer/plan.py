"""A plan: the first-stage decisions of a solve, in one type with every form it travels in.

The first stage is what `formulation.first_stage_vars` names (contract[s,y], units_built[f,y],
stock_capacity[m], substitution_share[o,y], adopted[o]); a Plan holds {variable name:
{index: value}}, an index it does not name meaning 0. It is

- read from a solved model (`from_model`), exactly as the solver left it;
- read from the output tables (`from_tables`, a run folder read back): contracts.csv the
  volumes, builds.csv the units, stockpile.csv the capacities, and flows.csv the tonnes each
  demand-side option avoids, t = substitution_share[o,y]·demand_t[m,y,w], from which the share
  is recovered with the demand of the case the plan was solved on; an option with capex is
  adopted when it avoids anything;
- held in a model (`hold`: lb = ub on every first-stage variable, formulation.first_stage);
- written and read in the mpi-sppy engine's form, {variable name: value} (`to_engine`,
  `from_engine`).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from .case import Case
from .errors import InputError, Problem
from .formulation import first_stage_vars
from .formulation.first_stage import hold
from .results import Results

# plan entry -> (what its index names first, where the case lists them)
NAMED = {"contract": ("source", "sources"), "units_built": ("facility", "facilities"),
         "stock_capacity": ("material", "materials"),
         "substitution_share": ("option", "substitutes"), "adopted": ("option", "substitutes")}


@dataclass(frozen=True)
class Plan(Mapping):
    """{first-stage variable name: {index: value}}, read-only."""

    decisions: dict[str, dict] = field(default_factory=dict)

    def __getitem__(self, name: str) -> dict:
        return self.decisions[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.decisions)

    def __len__(self) -> int:
        return len(self.decisions)

    @classmethod
    def from_model(cls, model) -> Plan:
        """The plan a solved model holds (0 for a variable without a value)."""
        return cls({var.local_name: {index: float(v.value or 0.0) for index, v in var.items()}
                    for var in first_stage_vars(model)})

    @classmethod
    def from_tables(cls, results: Results, case: Case) -> Plan:
        """The plan of a run's output tables, solved on `case`."""
        contracts = {(r.source, int(r.year)): float(r.volume_t)
                     for r in results.contracts.itertuples()}
        units = {(r.facility, int(r.year_built)): float(r.units)
                 for r in results.builds.itertuples()}
        stock = {r.material: float(r.capacity_t) for r in results.stockpile.itertuples()}
        flows = results.flows
        subs = case.substitutes
        shares = {}
        for r in flows[flows["flow"] == "substitution"].itertuples():
            option = r.source_or_facility
            mat = subs.at[option, "material"] if option in subs.index else None
            demand = case.demand.get((mat, int(r.year), r.scenario), 0.0)
            if demand > 0:
                shares[option, int(r.year)] = float(r.t) / demand
        adopted = {o: float(any(share > 0 for (p, _), share in shares.items() if p == o))
                   for o in subs.index[subs["capex_eur"] > 0]}
        plan = cls({"contract": contracts, "units_built": units, "stock_capacity": stock,
                    "substitution_share": shares, "adopted": adopted})
        plan.check(case)
        return plan

    @classmethod
    def of(cls, results: Results, case: Case) -> Plan:
        """The plan of `results`: the solved model's, when the solve kept it
        (run.solve_case does), else the one its tables hold."""
        return results.plan if results.plan is not None else cls.from_tables(results, case)

    @classmethod
    def from_engine(cls, values: dict[str, float | None], model) -> Plan:
        """The plan of the engine's {variable name: value} over `model`'s first stage (None,
        a variable in no row, reads as 0)."""
        return cls({var.local_name: {index: float(values[v.name] or 0.0)
                                     for index, v in var.items()}
                    for var in first_stage_vars(model)})

    def to_engine(self, model) -> dict[str, float]:
        """{variable name: value} over `model`'s first stage."""
        return {v.name: float(self.decisions.get(var.local_name, {}).get(index, 0.0))
                for var in first_stage_vars(model) for index, v in var.items()}

    def hold(self, model, case: Case | None = None, before: int | None = None) -> None:
        """Bound `model`'s first stage to this plan (only decisions taken before `before`,
        which needs the `case`, when given)."""
        hold(model, self.decisions, case, before)

    def check(self, case: Case) -> None:
        """Every source, facility, material and option the plan names exists in the case."""
        problems = []
        for name, (what, table) in NAMED.items():
            known = set(getattr(case, table).index)
            named = {k[0] if isinstance(k, tuple) else k for k in self.decisions.get(name, {})}
            problems += [Problem(f"plan {name}", None, what, item,
                                 f"a {what} of the study's dataset {case.study.inputs}")
                         for item in sorted(named - known)]
        if problems:
            raise InputError(problems)
