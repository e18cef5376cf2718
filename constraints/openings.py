"""Aggregate rule `openings`: a position gets at most its number of openings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from enmusubi.constraints.packing import PackingRows

if TYPE_CHECKING:
    from enmusubi.solver.data import ProblemData
    from enmusubi.solver.scoring import Candidates

NAME = "openings"


def rows(data: ProblemData, cands: Candidates) -> PackingRows:
    return PackingRows(
        NAME, cands.position.astype(np.int64), np.ones(len(cands)), data.openings.astype(np.float64), data.position_ids
    )
