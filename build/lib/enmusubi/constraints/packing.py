"""The shape every aggregate rule gives the optimisation model.

Each aggregate rule of PROBLEM.md §6 is a family of packing rows
`sum(coef[p] * x[p] for p in row r) <= capacity[r]`, and every candidate pair
belongs to at most one row of a family (one position, one partner, one municipality).
So a family is just: which row each pair is in, its coefficient, and each row's capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PackingRows:
    name: str  # the rule's stable name: openings, hours, count, budget
    row_of_pair: np.ndarray  # int, -1 where the pair is in no row of this family
    coef: np.ndarray  # float64 per pair
    capacity: np.ndarray  # float64 per row
    row_labels: tuple[str, ...]  # the id of each row's entity (position, partner, municipality)

    def usage(self, chosen: np.ndarray) -> np.ndarray:
        """Per-row usage by the chosen pairs (a bool mask over pairs)."""
        in_row = chosen & (self.row_of_pair >= 0)
        return np.bincount(self.row_of_pair[in_row], weights=self.coef[in_row], minlength=len(self.capacity))
