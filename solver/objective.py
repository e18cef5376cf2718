"""The objective of PROBLEM.md §6 and §9 in one place: the chosen pairs' scores plus the equity term.

Every caller that reports or compares an objective (solve, engines, certification,
explanations) goes through here, so the equity term can never be left out of one of them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from enmusubi.solver.data import ProblemData
from enmusubi.solver.problem import Problem
from enmusubi.solver.scoring import Candidates


def served_mask(data: ProblemData, cands: Candidates, chosen: np.ndarray) -> np.ndarray:
    """Bool per municipality: at least one chosen pair belongs to one of its positions (served_m of §9)."""
    served = np.zeros(data.n_munis, dtype=bool)
    served[data.position_muni[cands.position[chosen]]] = True
    return served


def equity_term(problem: Problem, pairs: Iterable[tuple[str, str]]) -> float:
    """w.equity x the number of municipalities served by the given (partner id, position id) pairs.

    Works from ids only, so an independent checker can add it to scores it computed itself.
    """
    weight = problem.weights.equity
    if weight == 0:
        return 0.0
    muni_of = {p.id: p.municipality for p in problem.positions}
    return weight * len({muni_of[position] for _, position in pairs})


def objective_value(data: ProblemData, cands: Candidates, chosen: np.ndarray) -> float:
    """Sum of the chosen pairs' scores plus w.equity x served municipalities (`chosen`: bool per candidate)."""
    scores = float(cands.score[chosen].sum())
    weight = data.problem.weights.equity
    if weight == 0:
        return scores
    return scores + weight * int(served_mask(data, cands, chosen).sum())


def objective_of(problem: Problem, pairs: Iterable[tuple[str, str]], scores: dict[tuple[str, str], float]) -> float:
    """The objective of an allocation given as ids, from pair scores computed by the caller."""
    pairs = list(pairs)
    return float(sum(scores[pair] for pair in pairs)) + equity_term(problem, pairs)
