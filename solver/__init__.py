"""enmusubi's engine: validated problem data, vectorised scoring, an exact optimiser, results.

The rules (`enmusubi.constraints`) import nothing of the engine at run time, so this package
imports plainly; only the engines load on first use (solver/engines.py).
"""

from __future__ import annotations

from enmusubi.solver.checks import check_locks, failing_rules
from enmusubi.solver.errors import InputError, Issue, UnknownIdError
from enmusubi.solver.outcome import StopFlag
from enmusubi.solver.problem import Problem, load_problem, parse_problem
from enmusubi.solver.result import Result
from enmusubi.solver.solving import Progress, solve

__all__ = [
    "InputError",
    "Issue",
    "Problem",
    "Progress",
    "Result",
    "StopFlag",
    "UnknownIdError",
    "check_locks",
    "failing_rules",
    "load_problem",
    "parse_problem",
    "solve",
]
