"""Numbers of a Pyomo model as affine forms in its mutable Params: a + Σ_p B_p θ_p.

held_lp.py compiles a held model's LP once with every coefficient, bound and cost recorded
here, and evaluates them all for a scenario's θ in one sparse product. A number that is not
affine in the Params (a product of two Params, a division by one) is refused (NotAffine)
rather than evaluated wrongly.
"""
from __future__ import annotations

import highspy
import numpy as np
from pyomo.core.expr.numeric_expr import (DivisionExpression, NegationExpression,
                                          ProductExpression, SumExpression)
from pyomo.core.expr.numvalue import native_numeric_types, value
from pyomo.core.expr.visitor import identify_mutable_parameters
from scipy import sparse

INF = highspy.kHighsInf


class NotAffine(ValueError):
    """A number of the model is not affine in its mutable Params."""


class AffineNumbers:
    """Numbers of the LP as affine forms a + Σ B_p θ_p over the Params met so far."""

    def __init__(self):
        self.params: list = []          # ParamData, in θ order
        self._where: dict[int, int] = {}
        self.constant: list[float] = []
        self.rows: list[int] = []       # B as coordinates
        self.cols: list[int] = []
        self.coefs: list[float] = []

    def add(self, expr, missing: float = INF) -> int:
        """Record the number `expr` (None: `missing`); its position."""
        k = len(self.constant)
        if expr is None:
            self.constant.append(missing)
            return k
        const, terms = self._affine(expr)
        self.constant.append(const)
        for p, c in terms.items():
            self.rows.append(k)
            self.cols.append(p)
            self.coefs.append(c)
        return k

    def _affine(self, e) -> tuple[float, dict[int, float]]:
        if type(e) in native_numeric_types:
            return float(e), {}
        if e.is_parameter_type() and not e.is_constant():
            where = self._where.setdefault(id(e), len(self.params))
            if where == len(self.params):
                self.params.append(e)
            return 0.0, {where: 1.0}
        if not e.is_expression_type() or next(identify_mutable_parameters(e), None) is None:
            return float(value(e)), {}
        if isinstance(e, NegationExpression):
            a, t = self._affine(e.args[0])
            return -a, {p: -c for p, c in t.items()}
        if isinstance(e, SumExpression):
            const, terms = 0.0, {}
            for arg in e.args:
                a, t = self._affine(arg)
                const += a
                for p, c in t.items():
                    terms[p] = terms.get(p, 0.0) + c
            return const, terms
        if isinstance(e, ProductExpression):
            (a1, t1), (a2, t2) = (self._affine(arg) for arg in e.args)
            if t1 and t2:
                raise NotAffine(f"a product of Params: {e}")
            terms = {p: a2 * c for p, c in t1.items()} | {p: a1 * c for p, c in t2.items()}
            return a1 * a2, terms
        if isinstance(e, DivisionExpression):
            (a1, t1), (a2, t2) = (self._affine(arg) for arg in e.args)
            if t2:
                raise NotAffine(f"a division by a Param: {e}")
            return a1 / a2, {p: c / a2 for p, c in t1.items()}
        raise NotAffine(f"{type(e).__name__} of Params: {e}")

    def evaluator(self):
        """θ -> the values of every number recorded."""
        base = np.array(self.constant, dtype=float)
        B = sparse.csr_matrix((self.coefs, (self.rows, self.cols)),
                              shape=(len(base), len(self.params)))
        return lambda theta: base + B @ theta
