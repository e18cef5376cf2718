"""enmusubi: match specialists to municipalities, exactly.

The public surface. The engine lives in `enmusubi.solver`, the rules in
`enmusubi.constraints`, the front doors in `enmusubi.service` and the what-if files in
`enmusubi.scenarios`; these names are what outside code should need.
"""

from __future__ import annotations

from enmusubi.solver import InputError, Problem, Result, solve
from enmusubi.solver.explain import explain
from enmusubi.solver.recommend import recommend

__all__ = ["InputError", "Problem", "Result", "explain", "recommend", "solve"]
