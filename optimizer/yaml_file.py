"""A YAML input file (a study, a strategy, an event model) read strictly, and pydantic's
validation errors of its contents in the planner's words: key, what was expected, what was
given."""
from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import get_args

import yaml
from pydantic import BaseModel, ValidationError

from .errors import InputError, Problem, shown, suggest


class _UniqueKeys(yaml.SafeLoader):
    """A YAML loader that notes every key given twice in one mapping (PyYAML keeps the last)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.repeated: list[tuple[object, int, int]] = []   # (key, first line, repeat line)

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float, bool)) or key == "<<":
                continue
            if key in seen:
                self.repeated.append((key, seen[key], line))
            seen.setdefault(key, line)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> tuple[object, list[Problem]]:
    """A YAML file's data and a problem for each key given twice; InputError for bytes that
    are not UTF-8 or bad syntax."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(name, None, None, None, f"a readable file ({exc.strerror})")]) \
            from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError([Problem(name, line, None, None, f"text in UTF-8; byte "
                                  f"0x{data[exc.start]:02x} is not (save the file as UTF-8)")]) \
            from exc
    loader = _UniqueKeys(text)
    try:
        raw = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or "a syntax error"
        raise InputError([Problem(name, mark.line + 1 if mark else None, None, None,
                                  f"valid YAML; reading stopped here: {what}")]) from exc
    finally:
        loader.dispose()
    return raw, [Problem(name, line, str(key), None, f"each key once in a mapping; {key} is "
                         f"first given on line {first}") for key, first, line in loader.repeated]


def _keys_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys `model` accepts at `loc` (the mapping that holds the bad key)."""
    for part in loc:
        if isinstance(part, int):         # an item of a list: the same model
            continue
        field = model.model_fields.get(str(part)) if model else None
        if field is None:
            return []
        kinds = get_args(field.annotation) or (field.annotation,)
        model = next((k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)),
                     None)
    return list(model.model_fields) if model else []


def _expected(err: dict, model: type[BaseModel]) -> str:
    kind, ctx, loc = err["type"], err.get("ctx", {}), err["loc"]
    if kind == "extra_forbidden":
        known = [k for k in _keys_at(model, loc[:-1]) if k != "path"]
        return f"one of the keys {', '.join(known)}{suggest(loc[-1], known)}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", ctx["expected"])
        return f"one of {', '.join(choices)}{suggest(err.get('input'), choices)}"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", "a valid value"))
    bound = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">",
             "less_than": "<"}
    if kind in bound:
        limit = next(iter(ctx.values()))
        return f"a number {bound[kind]} {shown(limit)}"
    return _KINDS.get(kind, "a valid value")


_KINDS = {"missing": "a value; the key is missing", "finite_number": "a finite number",
          "float_parsing": "a number", "float_type": "a number", "int_parsing": "a whole number",
          "int_type": "a whole number", "int_from_float": "a whole number",
          "bool_parsing": "true or false", "bool_type": "true or false", "string_type": "text",
          "model_type": "a mapping of keys (key: value)", "dict_type": "a mapping of keys",
          "model_attributes_type": "a mapping of keys", "tuple_type": "a list",
          "list_type": "a list", "path_type": "a path (text)"}


def explain(exc: ValidationError, file: str, model: type[BaseModel]) -> list[Problem]:
    """Validation errors of `model` (a study, or another model read from a YAML file) in the
    planner's words: key, what was expected, what was given (never the library's own text)."""
    errors = exc.errors()
    misspelt = {(*e["loc"][:-1], m) for e in errors if e["type"] == "extra_forbidden"
                for m in difflib.get_close_matches(str(e["loc"][-1]),
                                                   _keys_at(model, e["loc"][:-1]), n=1)}
    problems = []
    for err in errors:
        if err["type"] == "missing" and tuple(err["loc"]) in misspelt:
            continue   # said once, as the misspelt key with its suggestion
        given = err.get("input")
        shown_value = None if err["type"] in ("missing", "extra_forbidden") or \
            isinstance(given, (dict, list, tuple)) else given
        problems.append(Problem(file, None, ".".join(str(p) for p in err["loc"]) or None,
                                shown_value, _expected(err, model)))
    return problems
