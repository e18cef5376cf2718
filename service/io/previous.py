"""Re-runs that keep people in place: a previous result's placements become incumbents and the hint,
and afterwards every change of placement is listed with its reason.

Coordinators forward who moves and why, so a dropped placement names the eligibility rule
that now fails (`enmusubi.solver.failing_rules`) or who took the opening instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from enmusubi.solver import InputError, Issue, Problem, Result, failing_rules, parse_problem
from enmusubi.solver.errors import issues_from_errors
from enmusubi.solver.result import Assignment

Change = Literal["kept", "left", "joined"]


def load_previous_result(path: str | Path) -> Result:
    """A result.json of an earlier run (or the result.json of an output folder); raises InputError."""
    path = Path(path)
    if path.is_dir():
        path = path / "result.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(Issue(f"--previous {path}", "no such file")) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(Issue(f"--previous {path}", f"cannot read: {error}")) from None
    try:
        return Result.model_validate_json(text)
    except ValidationError as error:
        first = issues_from_errors(error.errors())[0]
        raise InputError(Issue(f"--previous {path}", f"not a result file of enmusubi solve: {first}")) from None


def with_incumbents(problem: Problem, previous: Result) -> Problem:
    """The problem with every previous placement whose partner and position still exist added as an incumbent."""
    partners = {p.id for p in problem.partners}
    positions = {p.id for p in problem.positions}
    document = problem.to_json_dict()
    have = {(p["partner"], p["position"]) for p in document["incumbents"]}
    for a in previous.assignments:
        pair = (a.partner, a.position)
        if a.partner in partners and a.position in positions and pair not in have:
            document["incumbents"].append({"partner": a.partner, "position": a.position})
            have.add(pair)
    return parse_problem(document)


def previous_hint(previous: Result) -> list[tuple[str, str]]:
    return sorted(previous.pair_set())


@dataclass(frozen=True)
class Move:
    """One placement that changed between two runs (or stayed, for `kept`)."""

    partner: str
    partner_name: str
    change: Change
    position: str
    position_title: str
    municipality: str
    municipality_name: str
    reason: str


def _move(a: Assignment, change: Change, reason: str) -> Move:
    return Move(
        a.partner, a.partner_name, change, a.position, a.position_title, a.municipality, a.municipality_name, reason
    )


def _names(ids: list[str]) -> str:
    return ", ".join(sorted(ids))


@dataclass(frozen=True)
class _Runs:
    problem: Problem
    partner_index: dict[str, int]
    position_index: dict[str, int]
    ineligible: dict[tuple[str, str], tuple[str, str]]  # left pairs that fail a rule: (rule, detail)
    before: dict[tuple[str, str], Assignment]
    now: dict[tuple[str, str], Assignment]
    remaining: dict[str, float | None]  # budget left per municipality after the new run

    def newcomers(self, position: str) -> list[str]:
        return [p for (p, j) in self.now if j == position and (p, j) not in self.before]

    def taken_by(self, partner: str) -> list[str]:
        return [j for (p, j) in self.now if p == partner and (p, j) not in self.before]


def _why_left(runs: _Runs, a: Assignment) -> str:
    """Why a previous placement is not in the new allocation: gone, ineligible (which rule), budget, or outscored."""
    problem = runs.problem
    i, j = runs.partner_index.get(a.partner), runs.position_index.get(a.position)
    if i is None:
        return "the partner is no longer in the problem"
    if j is None:
        return "the position is no longer in the problem"
    if (a.partner, a.position) in runs.ineligible:
        rule, detail = runs.ineligible[a.partner, a.position]
        return f"no longer eligible: rule {rule}: {detail}"
    parts = []
    cost = problem.partners[i].hourly_rate_yen * problem.positions[j].hours_per_week * problem.period_weeks
    room = runs.remaining.get(problem.positions[j].municipality)
    short_of_budget = room is not None and cost > room + 1e-6
    if short_of_budget:
        parts.append(f"¥{room:,.0f} of the budget is left, the placement costs ¥{cost:,.0f}")
    if newcomers := runs.newcomers(a.position):
        parts.append(f"the opening went to {_names(newcomers)}")
    if taken := runs.taken_by(a.partner):
        parts.append(f"the partner now holds {_names(taken)}")
    if not parts:
        parts.append("the position stays open: a better total elsewhere needs the budget or the partner")
    return ("budget: " if short_of_budget else "outscored: ") + "; ".join(parts)


def compare_runs(problem: Problem, previous: Result, current: Result) -> list[Move]:
    """Every previous placement (kept, or left and why) and every new one (joined, and whom it replaces)."""
    now = {(a.partner, a.position): a for a in current.assignments}
    runs = _Runs(
        problem,
        {p.id: k for k, p in enumerate(problem.partners)},
        {p.id: k for k, p in enumerate(problem.positions)},
        failing_rules(problem, (pair for pair in previous.pair_set() if pair not in now)),
        {(a.partner, a.position): a for a in previous.assignments},
        now,
        {m.id: m.remaining_yen for m in current.municipalities},
    )
    left_from: dict[str, list[str]] = {}  # position -> partners who left it
    left_by: dict[str, list[str]] = {}  # partner -> positions they left
    moves: list[Move] = []
    for pair, a in sorted(runs.before.items()):
        if pair in runs.now:
            moves.append(_move(runs.now[pair], "kept", "kept in place"))
            continue
        left_from.setdefault(a.position, []).append(a.partner)
        left_by.setdefault(a.partner, []).append(a.position)
        moves.append(_move(a, "left", _why_left(runs, a)))
    for pair, a in sorted(runs.now.items()):
        if pair in runs.before:
            continue
        parts = []
        if a.partner in left_by:
            parts.append(f"moved from {_names(left_by[a.partner])}")
        if a.position in left_from:
            parts.append(f"replaces {_names(left_from[a.position])}")
        moves.append(_move(a, "joined", "; ".join(parts) if parts else "new placement"))
    return moves
