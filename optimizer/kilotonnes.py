"""Material handed to HiGHS in kilotonnes: a diagonal scaling of the model's standard form.

The model counts material in tonnes and money in million EUR, so a tonne's price is about
1e-4 and a plant's capacity up to 3e5 t per unit: ten orders of magnitude in one matrix, which
HiGHS reports as badly scaled. Passing tonnes as kilotonnes narrows that to about seven, with
the same plan; on the 10-path EU default HiGHS took about 40% less CPU time, on 30 paths the
same (docs/performance.md). The model itself keeps its units; solve.Handover.values undoes the
column factors.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

KILOTONNE = 1e3


def _unit(var, unit: str, cache: dict) -> bool:
    """Whether the variable's component says (in its doc) that it is counted in `unit`."""
    component = var.parent_component()
    key = (id(component), unit)
    if key not in cache:
        cache[key] = unit in (component.doc or "")
    return cache[key]


def kilotonne_scales(columns: list, A: sp.spmatrix) -> tuple[np.ndarray, np.ndarray]:
    """Column and row factors (multiply the standard form's A by diag(row) on the left and
    diag(column) on the right) that hand HiGHS tonnes as kilotonnes. A continuous column whose doc gives its unit as [t] is passed in kt (column / 1000), and a
    row that holds such a column and no money column ([million EUR]) in kt too (row / 1000):
    a balance, a capacity, a stock. Integer columns and money rows keep their units.
    """
    cache: dict = {}
    tonnes = np.array([not v.is_integer() and _unit(v, "[t]", cache) for v in columns])
    money = np.array([_unit(v, "[million EUR]", cache) for v in columns])
    column_scale = np.where(tonnes, KILOTONNE, 1.0)
    pattern = abs(sp.csr_matrix(A)).astype(bool).astype(float)
    in_tonnes = (pattern @ tonnes.astype(float) > 0) & (pattern @ money.astype(float) == 0)
    return column_scale, np.where(in_tonnes, 1.0 / KILOTONNE, 1.0)
