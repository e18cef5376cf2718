"""enmusubi's engine: validated problem data, vectorised scoring, an exact optimiser, results.

The public names are loaded on first use, so importing a submodule (solver.data, say,
which the constraints need) does not pull in the whole engine and its solvers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from enmusubi.solver.errors import InputError, Issue, UnknownIdError
    from enmusubi.solver.outcome import StopFlag
    from enmusubi.solver.problem import Problem, load_problem, parse_problem
    from enmusubi.solver.result import Result
    from enmusubi.solver.solving import Progress, solve

_EXPORTS = {
    "InputError": "enmusubi.solver.errors",
    "Issue": "enmusubi.solver.errors",
    "UnknownIdError": "enmusubi.solver.errors",
    "Problem": "enmusubi.solver.problem",
    "load_problem": "enmusubi.solver.problem",
    "parse_problem": "enmusubi.solver.problem",
    "StopFlag": "enmusubi.solver.outcome",
    "Result": "enmusubi.solver.result",
    "Progress": "enmusubi.solver.solving",
    "solve": "enmusubi.solver.solving",
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
