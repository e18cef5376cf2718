"""Rule 4, `rate`: the partner's hourly rate is within the position's maximum, if any."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from enmusubi.solver.data import ProblemData

NAME = "rate"


def mask(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
    ok: np.ndarray = data.hourly_rate[partner] <= data.max_rate[position]
    return ok


def describe(data: ProblemData, i: int, j: int) -> str:
    rate, cap = float(data.hourly_rate[i]), float(data.max_rate[j])
    if not np.isfinite(cap):
        return f"hourly rate ¥{rate:,.0f}; the position sets no maximum"
    return f"hourly rate ¥{rate:,.0f} {'<=' if rate <= cap else '>'} position's maximum ¥{cap:,.0f}"
