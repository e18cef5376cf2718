"""Valid input that is almost surely a mistake (PROBLEM.md §12), found before solving.

A misspelt skill (`procurment: 2`) is valid input: the position then simply has no
eligible partner. These warnings travel with results and shortlists so that the
person who typed it sees the likely cause, with the closest known name.
"""

from __future__ import annotations

import difflib

from enmusubi.solver.problem import Problem
from enmusubi.solver.result import InputWarning

SUGGESTION_CUTOFF = 0.6  # difflib's similarity ratio a suggestion must reach


def closest_skill(skill: str, known: list[str]) -> str | None:
    """The known skill name most like `skill`, or None when nothing is close."""
    matches = difflib.get_close_matches(skill, known, n=1, cutoff=SUGGESTION_CUTOFF)
    return matches[0] if matches else None


def _unknown_skills(problem: Problem) -> list[InputWarning]:
    known = sorted({s for partner in problem.partners for s in partner.skills})
    listed = set(known)
    out = []
    for k, position in enumerate(problem.positions):
        for field in ("required_skills", "preferred_skills"):
            for skill in getattr(position, field):
                if skill in listed:
                    continue
                suggestion = closest_skill(skill, known)
                hint = f"; did you mean {suggestion}?" if suggestion else ""
                path = f"positions[{k}].{field}.{skill}"
                out.append(InputWarning(path=path, message=f"no partner lists this skill{hint}"))
    return out


def _zero_budgets(problem: Problem) -> list[InputWarning]:
    positions: dict[str, int] = {}
    for position in problem.positions:
        positions[position.municipality] = positions.get(position.municipality, 0) + 1
    free_partner = any(p.hourly_rate_yen == 0 for p in problem.partners)
    return [
        InputWarning(
            path=f"municipalities[{k}].budget_yen",
            message=f"the budget is 0, so its {positions[muni.id]} position(s) can never be filled",
        )
        for k, muni in enumerate(problem.municipalities)
        if muni.budget_yen == 0 and positions.get(muni.id) and not free_partner
    ]


def _zero_hours(problem: Problem) -> list[InputWarning]:
    return [
        InputWarning(path=f"partners[{k}].hours_per_week", message="0 hours a week: this partner can take no position")
        for k, partner in enumerate(problem.partners)
        if partner.hours_per_week == 0
    ]


def input_warnings(problem: Problem) -> list[InputWarning]:
    """Every warning for a validated problem, in file order (skills, budgets, hours)."""
    return [*_unknown_skills(problem), *_zero_budgets(problem), *_zero_hours(problem)]
