"""enmusubi's engine: validated problem data, vectorised scoring, an exact optimiser, results.

The public names are loaded on first use, so importing a submodule (solver.data, say,
which the constraints need) does not pull in the whole engine and its solvers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from solver.errors import InputError, Issue, UnknownIdError
    from solver.models import Problem, load_problem, parse_problem
    from solver.outcome import StopFlag
    from solver.result import Result
    from solver.solving import Progress, solve

_EXPORTS = {
    "InputError": "solver.errors",
    "Issue": "solver.errors",
    "UnknownIdError": "solver.errors",
    "Problem": "solver.models",
    "load_problem": "solver.models",
    "parse_problem": "solver.models",
    "StopFlag": "solver.outcome",
    "Result": "solver.result",
    "Progress": "solver.solving",
    "solve": "solver.solving",
}

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


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'solver' has no attribute {name!r}")
