"""docs/formulation.md, written from the formulation's own docstrings.

    python -m optimizer.formulation.doc > docs/formulation.md

Each concern module contributes its module docstring (the prose and the mathematics), its
variables (the `doc` of each `pyo.Var`) and its constraints (the docstring of each rule).
A test checks that the file is current and that it describes every constraint of a built
model (`undocumented`).
"""
from __future__ import annotations

import ast
import inspect
import sys
import textwrap

import pyomo.environ as pyo

from . import CONCERNS

HEADER = """# crmplan formulation

Generated from the docstrings of `optimizer/formulation/` by
`python -m optimizer.formulation.doc`; edit the code, not this file.

A two-stage stochastic mixed-integer program. First stage (before the scenario is known):
`units_built[f,y]`, `stock_capacity[m]`, `contract[s,y]`, `substitution_share[o,y]` and
`adopted[o]`. Second stage (per scenario w): everything else. Index letters: m material,
c country, s source, f facility, y year, o demand-side option, w scenario (always last).
All money is in present-value EUR at the horizon start, discounted by `discount_factor[y]`.
"""


def _var_docs(tree: ast.Module) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value
            if getattr(call.func, "attr", "") != "Var":
                continue
            doc = next((k.value.value for k in call.keywords if k.arg == "doc"), "")
            for target in node.targets:
                if isinstance(target, ast.Attribute):
                    found.append((target.attr, doc))
    return found


def _rule_docs(tree: ast.Module) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name not in ("add", "create"):
            doc = ast.get_docstring(node)
            if doc and node.args.args and node.args.args[0].arg == "m":
                found.append((node.name, doc))
    return found


def undocumented(model) -> set[str]:
    """The constraints of a built model that docs/formulation.md does not describe: a
    constraint is described when its name is a rule's, or when it carries (as `doc`) the
    docstring of a rule, as the policy rows Terms.add_policy builds do."""
    names, docs = set(), set()
    for module in CONCERNS:
        for name, doc in _rule_docs(ast.parse(inspect.getsource(module))):
            names.add(name)
            docs.add(doc)
    return {c.name for c in model.component_objects(pyo.Constraint)
            if c.name not in names and inspect.cleandoc(c.doc or "") not in docs}


def generate() -> str:
    parts = [HEADER]
    for module in CONCERNS:
        tree = ast.parse(inspect.getsource(module))
        title, _, body = (inspect.getdoc(module) or module.__name__).partition("\n")
        parts.append(f"## {module.__name__.rsplit('.', 1)[-1]}: {title}\n")
        if body.strip():
            parts.append(textwrap.dedent(body).strip() + "\n")
        variables = _var_docs(tree)
        if variables:
            parts.append("| variable | meaning |\n|---|---|")
            parts += [f"| `{name}` | {doc} |" for name, doc in variables]
            parts.append("")
        for name, doc in _rule_docs(tree):
            parts.append(f"**`{name}`**\n\n```\n{textwrap.dedent(doc).strip()}\n```\n")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(generate())
