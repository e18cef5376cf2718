"""Rule 1, `skill`: the partner meets every required skill level of the position.

Most pairs fail this rule, so candidates are generated from an index instead of
testing every pair: partners sorted by level per skill make "level >= L" a prefix,
and each position starts from its most selective required skill.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from enmusubi.solver.data import ProblemData

NAME = "skill"


def mask(data: ProblemData, partner: np.ndarray, position: np.ndarray) -> np.ndarray:
    ok = np.ones(len(partner), dtype=bool)
    for s in np.flatnonzero(data.required.any(axis=0)):
        need = data.required[position, s]
        ok &= data.levels[partner, s] >= need
    return ok


def candidate_pairs(data: ProblemData) -> tuple[np.ndarray, np.ndarray]:
    """All (partner, position) pairs passing the skill rule, without touching the others.

    Returns flat index arrays grouped by position. No Python loop over positions or pairs:
    each position picks the skill whose level prefix is shortest, the prefixes are
    concatenated with repeat/cumsum, and the remaining required skills filter them.
    """
    n_p, n_j = data.n_partners, data.n_positions
    empty = np.zeros(0, dtype=np.int32)
    if n_p == 0 or n_j == 0:
        return empty, empty
    n_s = len(data.skills)
    levels = data.levels.astype(np.int8)
    # Row n_s is a virtual skill everybody has at level 5: the start for positions with no requirement.
    order = np.empty((n_s + 1, n_p), dtype=np.int32)
    # at_least[s, L] = number of partners with level(s) >= L, for L = 0..6
    at_least = np.zeros((n_s + 1, 7), dtype=np.int64)
    if n_s:
        order[:n_s] = np.argsort(-levels.T, axis=1, kind="stable")
        counts = np.stack([np.bincount(levels[:, s], minlength=6)[:6] for s in range(n_s)])
        at_least[:n_s, :6] = counts[:, ::-1].cumsum(axis=1)[:, ::-1]
    order[n_s] = np.arange(n_p, dtype=np.int32)
    at_least[n_s, :6] = n_p

    req = data.required.astype(np.int64)
    prefix = np.full((n_j, n_s + 1), np.iinfo(np.int64).max, dtype=np.int64)
    if n_s:
        rows, cols = np.nonzero(req)
        prefix[rows, cols] = at_least[cols, req[rows, cols]]
    prefix[:, n_s] = np.where(req.any(axis=1), np.iinfo(np.int64).max, n_p)
    start_skill = prefix.argmin(axis=1)
    length = prefix[np.arange(n_j), start_skill]

    total = int(length.sum())
    position = np.repeat(np.arange(n_j, dtype=np.int32), length)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(length) - length, length)
    partner = order[np.repeat(start_skill, length), offsets]

    # Filter by the required skills, walking each position's short padded list of them.
    per_position = (req > 0).sum(axis=1)
    width = int(per_position.max()) if n_j else 0
    slot_skill = np.full((n_j, max(width, 1)), n_s, dtype=np.int64)
    slot_level = np.zeros((n_j, max(width, 1)), dtype=np.int8)
    rows, cols = np.nonzero(req)
    slot = np.arange(len(rows)) - np.repeat(np.cumsum(per_position) - per_position, per_position)
    slot_skill[rows, slot] = cols
    slot_level[rows, slot] = req[rows, cols]
    padded = np.zeros((n_p, n_s + 1), dtype=np.int8)
    padded[:, :n_s] = levels
    flat_levels = padded.ravel()
    keep = np.ones(total, dtype=bool)
    base = partner.astype(np.int64) * (n_s + 1)
    for t in range(width):
        keep &= flat_levels[base + slot_skill[position, t]] >= slot_level[position, t]
    return partner[keep], position[keep]


def describe(data: ProblemData, i: int, j: int) -> str:
    needs = [
        (data.skills[s], int(data.required[j, s]), int(data.levels[i, s])) for s in np.flatnonzero(data.required[j])
    ]
    if not needs:
        return "the position requires no skill"
    return ", ".join(f"{s} {have} {'>=' if have >= need else '<'} {need}" for s, need, have in needs)
