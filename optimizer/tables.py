"""A solved model's output tables (DESIGN's CSV files, results.py) and their KPIs (kpis.py),
read in one pass: what a solve (run.py) and a held model (analysis/held.py) both write."""
from __future__ import annotations

import pandas as pd
from pyomo.common.gc_manager import PauseGC

from . import kpis, results
from .case import Case


def plan_tables(case: Case, model) -> dict[str, pd.DataFrame]:
    with PauseGC():    # millions of small objects: the collector would scan the whole model
        flows = results.flows(case, model)
        return {"builds": results.builds(case, model),
                "stockpile": results.stockpile(case, model, flows),
                "contracts": results.contracts(case, model), "flows": flows,
                "shortfall": results.shortfall(case, model), "costs": results.costs(model),
                "kpis": kpis.kpis(case, flows)}
