"""enmusubi's engine: validated problem data, vectorised scoring, an exact optimiser, results."""

from solver.errors import InputError, Issue, UnknownIdError
from solver.models import Problem, load_problem, parse_problem
from solver.outcome import StopFlag
from solver.result import Result
from solver.solve import Progress, solve

__all__ = [
    "InputError",
    "Issue",
    "Problem",
    "Progress",
    "Result",
    "StopFlag",
    "UnknownIdError",
    "load_problem",
    "parse_problem",
    "solve",
]
