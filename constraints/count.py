"""Aggregate rule `count`: a partner takes at most `max_assignments` positions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from enmusubi.constraints.packing import PackingRows

if TYPE_CHECKING:
    from enmusubi.solver.data import ProblemData
    from enmusubi.solver.scoring import Candidates

NAME = "count"


def rows(data: ProblemData, cands: Candidates) -> PackingRows:
    return PackingRows(
        NAME,
        cands.partner.astype(np.int64),
        np.ones(len(cands)),
        data.max_assignments.astype(np.float64),
        data.partner_ids,
    )
