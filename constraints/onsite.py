"""Rule 2, `onsite`: the position's on-site days fit the partner's maximum."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from enmusubi.solver.data import ProblemData

NAME = "onsite"


def mask(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
    ok: np.ndarray = data.onsite_days[position] <= data.max_onsite_days[partner]
    return ok


def describe(data: ProblemData, i: int, j: int) -> str:
    need, limit = int(data.onsite_days[j]), int(data.max_onsite_days[i])
    return f"{need} on-site day(s) a week {'<=' if need <= limit else '>'} partner's maximum {limit}"
