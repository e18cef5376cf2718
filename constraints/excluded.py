"""Rule 5, `excluded`: the partner has not excluded the municipality, and the pair is not forbidden."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from enmusubi.solver.data import ProblemData

NAME = "excluded"


def mask(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
    ok: np.ndarray = ~data.excluded_muni[partner, data.position_muni[position]] & ~data.is_forbidden(partner, position)
    return ok


def describe(data: ProblemData, i: int, j: int) -> str:
    m = int(data.position_muni[j])
    if data.excluded_muni[i, m]:
        return f"partner excludes municipality {data.muni_ids[m]}"
    if data.is_forbidden(np.array([i]), np.array([j]))[0]:
        return "the pair is forbidden"
    return f"municipality {data.muni_ids[m]} not excluded and the pair not forbidden"
