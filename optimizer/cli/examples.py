"""Examples at the foot of every command's `--help` (click's epilog), kept in one place so
that each command's help shows a planner how it is called, and a test can check that every
option an example uses exists."""
from __future__ import annotations

import click

EXAMPLES = {
    "solve": ["crmplan solve models/tiny.yaml --report",
              "crmplan solve models/default.yaml --out results/default --json > summary.json",
              "crmplan solve models/narrative.yaml -q"],
    "report": ["crmplan report results/default", "crmplan report results/default --xlsx"],
    "export-template": ["crmplan export-template my-data.xlsx"],
    "export-dataset": ["crmplan export-dataset inputs/tiny tiny.xlsx"],
    "validate": ["crmplan validate models/default.yaml"],
    "sweep": ["crmplan sweep models/tiny.yaml --param policy.max_country_share "
              "--values 0.5 0.65 1",
              "crmplan sweep models/tiny.yaml --tornado \\\n"
              "    --param \"sources.price_eur_per_t[country=cn]\" --values 0.8 1.2 \\\n"
              "    --param facilities.capex_eur_per_unit --values 0.7 1.3"],
    "compare": ["crmplan compare models/tiny.yaml",
                "crmplan compare models/default.yaml no_stockpile allied_contracts --workers 2"],
    "frontier": ["crmplan frontier models/tiny.yaml --points 5",
                 "crmplan frontier models/tiny.yaml --risk shortfall --material ndpr_oxide"],
    "value": ["crmplan value models/narrative.yaml"],
    "stress": ["crmplan stress models/tiny.yaml --samples 200 --seed 1",
               "crmplan stress results/default --training"],
    "replan": ["crmplan replan results/default --year 2030",
               "crmplan replan results/default --year 2030 --study models/stockpile.yaml"],
    "prioritize": ["crmplan prioritize models/narrative.yaml --workers 2"],
    "saa": ["crmplan saa models/default.yaml --samples 20 --replications 10 --evaluate 500"],
    "backtest": ["crmplan backtest", "crmplan backtest models/backtest/antimony_2024.yaml"],
    "ranges": ["crmplan ranges models/tiny.yaml --slack 0.01",
               "crmplan ranges models/default.yaml --slack 0.02 --time-limit 120 --workers 2"],
}


def add_examples(group: click.Group) -> None:
    """Set the epilog of every command of `group` that has examples (\\b keeps the lines)."""
    for name, command in group.commands.items():
        if name in EXAMPLES:
            lines = [line for example in EXAMPLES[name] for line in example.splitlines()]
            command.epilog = "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
