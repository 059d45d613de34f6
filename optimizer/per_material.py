"""Study keys that may be given per material: the type of their values.

A per-material key takes one number for every material, or a mapping of materials, groups
(the study's `groups`) and "*" (every material not named) to numbers; a material none of
these covers is not constrained by the key. Study.for_material resolves a material's value.
"""
from __future__ import annotations

import math
from typing import Annotated

from pydantic import PlainValidator

from .errors import shown

# Marks a study key that may be given per material: one value for every material, or a
# mapping of materials and groups (the study's `groups`) to values, "*" for every material
# not named; a material not covered is not constrained by the key.
PER_MATERIAL = "per_material"


def _per_material(low: float, high: float) -> PlainValidator:
    expected = (f"a number from {shown(low)} to {shown(high)}, or a mapping of materials or "
                f"groups to such numbers ({{ndpr_oxide: {shown(high)}, magnets: {shown(low)}}})")

    def within(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value) and low <= value <= high

    def check(value):
        if value is None:
            return None
        if isinstance(value, dict) and value and all(within(v) for v in value.values()):
            return {str(k): float(v) for k, v in value.items()}
        if within(value):
            return float(value)
        raise ValueError(expected)

    return PlainValidator(check)


MaterialShare = Annotated[float | dict[str, float] | None, PER_MATERIAL, _per_material(0.0, 1.0)]
MaterialDays = Annotated[float | dict[str, float] | None, PER_MATERIAL, _per_material(0.0, 3650)]
