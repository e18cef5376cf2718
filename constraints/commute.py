"""Rule 3, `commute`: on-site positions must be within the partner's one-way commute limit.

Also the commute penalty of the score: (onsite days / 5) x (commute hours).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from enmusubi.solver.data import ProblemData

NAME = "commute"


def minutes(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
    found: np.ndarray = data.commute[partner, data.position_muni[position]]
    return found


def mask(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
    ok: np.ndarray = (data.onsite_days[position] == 0) | (minutes(data, partner, position) <= data.max_commute[partner])
    return ok


def penalty(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
    days = data.onsite_days[position].astype(np.float64)
    return np.where(days > 0, days / 5.0 * minutes(data, partner, position) / 60.0, 0.0)


def describe(data: ProblemData, i: int, j: int) -> str:
    m = int(data.position_muni[j])
    travel = float(data.commute[i, m])
    source = "measured" if data.commute_measured[i, m] else "estimated"
    if data.onsite_days[j] == 0:
        return f"fully remote position (commute {travel:.1f} min {source}, not limited)"
    limit = float(data.max_commute[i])
    return f"commute {travel:.1f} min ({source}) {'<=' if travel <= limit else '>'} partner's limit {limit:g} min"
