"""Every numerical tolerance of the engine, in one place, with the reason for its size.

PROBLEM.md §6 calls a result optimal when it is within max(1e-3, 1e-6 * |optimum|) of the
true optimum; the engines are asked for much less, so that the gaps summed over independent
components stay inside that promise.
"""

from __future__ import annotations

# PROBLEM.md §6: an "optimal" objective is within max(OPTIMALITY_ABSOLUTE, OPTIMALITY_RELATIVE * |optimum|).
OPTIMALITY_ABSOLUTE = 1e-3
OPTIMALITY_RELATIVE = 1e-6


def optimality_tolerance(objective: float) -> float:
    """PROBLEM.md §6: a result is optimal within max(1e-3, 1e-6 |optimum|)."""
    return max(OPTIMALITY_ABSOLUTE, OPTIMALITY_RELATIVE * abs(objective))


# Per component, an "optimal" answer of an engine is within these of the component's optimum.
MIP_RELATIVE_GAP = 1e-7
MIP_ABSOLUTE_GAP = 1e-6

# A packing row (hours, budget, openings, count) still holds when its usage exceeds the capacity by
# at most this much: sums of float coefficients are not exact.
CAPACITY_EPS = 1e-9
