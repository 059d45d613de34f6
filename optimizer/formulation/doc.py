"""docs/formulation.md, written from the formulation's own docstrings.

    python -m optimizer.formulation.doc > docs/formulation.md

Each concern module contributes its module docstring (the prose and the mathematics), its
variables (the `doc` of each `pyo.Var`), its declarations (declarations.py: first-stage
decisions, flows, cost components, policy rows with their study key, index and unit) and its
constraints (the docstring of each rule). A test checks that the file is current and that it
describes every constraint of a built model (`undocumented`).
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

Under each concern, what it declares to the registry (`formulation/declarations.py`): its
first-stage variables, its flows (in or out of the material balance, and what labels their
rows in flows.csv), its cost components and its policy rows (the study key each enforces, its
index and unit, as duals.csv and conflicts.csv report them). Registering anything undeclared
is an error. A new policy is one `PolicyRow` in policy.py's `POLICIES`, its rule in `add`
and its key in `study.Policy` (`PER_MATERIAL` when it holds per material).
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
    constraint is described when its name is a rule's or a declared policy row's (listed
    with its study key, index and unit), or when it carries (as `doc`) a rule's docstring."""
    names, docs = set(), set()
    for module in CONCERNS:
        for name, doc in _rule_docs(ast.parse(inspect.getsource(module))):
            names.add(name)
            docs.add(doc)
        names |= {row.name for row in getattr(module, "POLICIES", ())}
    return {c.name for c in model.component_objects(pyo.Constraint)
            if c.name not in names and inspect.cleandoc(c.doc or "") not in docs}


def _declarations(module) -> list[str]:
    """The module's declarations (declarations.py) as a few lines of Markdown."""
    lines = []
    decisions = getattr(module, "DECISIONS", ())
    if decisions:
        lines.append("First stage: " + ", ".join(f"`{d.name}`" for d in decisions) + ".")
    flows = getattr(module, "FLOWS", ())
    if flows:
        lines.append("Flows: " + ", ".join(f"`{f.name}` ({f.direction}, by {f.label})"
                                           for f in flows) + ".")
    costs = getattr(module, "COSTS", ())
    if costs:
        lines.append("Cost components: " + ", ".join(f"`{c.name}` ({c.stage} stage)"
                                                     for c in costs) + ".")
    rows = getattr(module, "POLICIES", ())
    if rows:
        lines += [""] * bool(lines) + ["| policy row | study key | index | unit |",
                                       "|---|---|---|---|"]
        lines += [f"| `{r.name}` | `{r.key}` | {', '.join(r.labels) or '-'} | {r.unit} |"
                  for r in rows]
    return lines + [""] if lines else []


def generate() -> str:
    parts = [HEADER]
    for module in CONCERNS:
        tree = ast.parse(inspect.getsource(module))
        title, _, body = (inspect.getdoc(module) or module.__name__).partition("\n")
        parts.append(f"## {module.__name__.rsplit('.', 1)[-1]}: {title}\n")
        if body.strip():
            parts.append(textwrap.dedent(body).strip() + "\n")
        parts += _declarations(module)
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
