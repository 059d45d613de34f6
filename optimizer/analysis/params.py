"""What a sweep varies: a study key set to a value, or an input column scaled by a factor.

    policy.max_country_share                 a study key, as a dotted path in the study YAML;
    risk.weight                              each value is the key's value (YAML: 0.5, null)
    sources.price_eur_per_t[country=cn]      column price_eur_per_t of sources.csv, in the rows
    facilities.capex_eur_per_unit            matching the filter (all rows without one),
    disruptions.available_share[scenario=cn_export_ban,material=ndpr_oxide|ndfeb_magnet]
                                             multiplied by each value: a factor

A filter is column=value pairs separated by commas, all of which must hold; value|value
lists alternatives. Scaling is applied to the Case's tables before the model is built.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import pandas as pd
import yaml
from pydantic import ValidationError

from ..case import Case, build_case
from ..errors import InputError, Problem
from ..study import Study
from ..yaml_file import explain

SAMPLED = ("scenarios", "disruptions", "demand_shocks")   # replaced by a study's `sample`
PATH = re.compile(r"^(?P<path>[a-z_][a-z0-9_.]*)(\[(?P<where>[^\]]*)\])?$")


@dataclass(frozen=True)
class Param:
    text: str                               # as the user wrote it
    keys: tuple[str, ...]                   # study key path, or (table, column)
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    scales: bool = False                    # True: a factor on an input column

    def __str__(self) -> str:
        return self.text


def _problem(text: str, value, expected: str) -> InputError:
    return InputError([Problem("--param", None, text, value, expected)])


def parse_param(text: str, case: Case) -> Param:
    """Parse and check PATH against the case's study and tables."""
    match = PATH.match(text.strip())
    if not match:
        raise _problem(text, None, "study.key or table.column[column=value,...]")
    keys = tuple(match["path"].split("."))
    if keys[0] not in case.tables:
        if match["where"] is not None:
            raise _problem(text, None, "a filter [..] only on an input table column")
        return Param(text, keys)
    table = case.tables[keys[0]]
    if len(keys) != 2 or keys[1] not in table.columns or \
            not pd.api.types.is_float_dtype(table[keys[1]]):
        numbers = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
        raise _problem(text, None, f"a number column of {keys[0]}.csv: {', '.join(numbers)}")
    where = []
    for clause in filter(None, (match["where"] or "").split(",")):
        column, _, values = clause.partition("=")
        if column.strip() not in table.columns or not values:
            raise _problem(text, clause, f"column=value with a column of {keys[0]}.csv")
        where.append((column.strip(), tuple(v.strip() for v in values.split("|"))))
    if case.study.sample is not None and keys[0] in SAMPLED and \
            ("scenario", ("*",)) not in where:
        raise _problem(text, None, "a column of events.csv or the [scenario=*] rows: this study "
                       f"samples its scenarios from events.csv, not from {keys[0]}.csv")
    param = Param(text, keys, tuple(where), scales=True)
    if not _rows(table, param.where).any():
        raise _problem(text, match["where"], f"a filter that selects rows of {keys[0]}.csv")
    return param


def parse_values(tokens: Sequence[str]) -> list:
    """Values as YAML scalars; a token may hold several, separated by commas."""
    return [yaml.safe_load(part) for token in tokens for part in str(token).split(",") if part]


def _rows(table: pd.DataFrame, where) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for column, values in where:
        mask &= table[column].astype(str).isin(values)
    return mask


def set_study_key(study: Study, param: Param, value) -> Study:
    """The study with one (nested) key set; checked like a study file."""
    data = study.model_dump()
    node = data
    for key in param.keys[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[param.keys[-1]] = value
    data["path"] = study.path
    try:
        return Study.model_validate(data)
    except ValidationError as exc:
        raise _problem(param.text, value, "; ".join(p.expected for p in explain(exc, "--param", Study))) \
            from exc


def check(study: Study, param: Param, value) -> None:
    """Raise InputError unless `value` suits `param`: a valid study, or a number factor."""
    if not param.scales:
        set_study_key(study, param, value)
    elif not isinstance(value, (int, float)) or isinstance(value, bool):
        raise _problem(param.text, value, "a number (the factor on the column)")


def apply(case: Case, changes: Sequence[tuple[Param, object]]) -> Case:
    """The case with every change applied: study keys set, table columns scaled."""
    study, tables = case.study, dict(case.tables)
    for param, value in changes:
        check(study, param, value)
        if not param.scales:
            study = set_study_key(study, param, value)
            continue
        name, column = param.keys
        frame = tables[name].copy()
        rows = _rows(frame, param.where)
        frame.loc[rows, column] = frame.loc[rows, column] * float(value)
        tables[name] = frame
    return build_case(tables, study, case.inputs_sha256)
