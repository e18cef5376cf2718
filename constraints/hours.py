"""Rule 6 and an aggregate rule, `hours`: a position's weekly hours fit the partner's,
and the positions a partner takes sum to at most their weekly hours."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from enmusubi.constraints.packing import PackingRows

if TYPE_CHECKING:
    from enmusubi.solver.data import ProblemData
    from enmusubi.solver.scoring import Candidates

NAME = "hours"


def mask(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
    ok: np.ndarray = data.position_hours[position] <= data.partner_hours[partner]
    return ok


def rows(data: ProblemData, cands: Candidates) -> PackingRows:
    return PackingRows(
        NAME, cands.partner.astype(np.int64), data.position_hours[cands.position], data.partner_hours, data.partner_ids
    )


def describe(data: ProblemData, i: int, j: int) -> str:
    need, have = float(data.position_hours[j]), float(data.partner_hours[i])
    return f"{need:g} h/week {'<=' if need <= have else '>'} partner's {have:g} h/week"
