"""The engine's checks that outer layers need (scenarios, re-runs), by ids, without its internals."""

from __future__ import annotations

from collections.abc import Iterable

from enmusubi.constraints import PACKING_RULES, first_failing_rule
from enmusubi.solver.data import compile_problem
from enmusubi.solver.locks import check_locks_fit, locked_pair_indices
from enmusubi.solver.problem import Problem
from enmusubi.solver.scoring import score_candidates


def check_locks(problem: Problem) -> None:
    """Raise InputError when a lock is not eligible or the locks cannot hold together, as `solve` would."""
    if not problem.locks:
        return
    data = compile_problem(problem)
    cands = score_candidates(data)
    families = [rule.rows(data, cands) for rule in PACKING_RULES]
    check_locks_fit(data, cands, locked_pair_indices(data, cands), families)


def failing_rules(problem: Problem, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """For each (partner id, position id) pair that is not eligible: the first rule it fails and why.

    Eligible pairs and pairs naming a partner or position the problem does not hold are left out.
    """
    data = compile_problem(problem)
    failing = {}
    for partner, position in pairs:
        i, j = data.partner_index.get(partner), data.position_index.get(position)
        if i is None or j is None:
            continue
        rule, detail = first_failing_rule(data, i, j)
        if rule is not None:
            failing[partner, position] = (rule, detail)
    return failing
