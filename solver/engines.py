"""The engines that solve one presolved component, declared: their shared shape and the registry.

An engine is a module (`highs_engine`, `cpsat_engine`) with VERSION and solve_component. They
are loaded on first use through the registry: OR-Tools' CP-SAT alone takes most of a second to
import, and `import enmusubi` (every CLI start) should not pay for an engine it does not use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal, Protocol, TypeGuard

import numpy as np

if TYPE_CHECKING:
    from enmusubi.solver.model import Component
    from enmusubi.solver.outcome import ComponentOutcome, ProgressHook, StopFlag

EngineName = Literal["auto", "highs", "cpsat"]
DEFAULT_ENGINE = "highs"


class Engine(Protocol):
    """Maximise a component's score subject to its rows, from a feasible start (`hint`)."""

    VERSION: str

    def solve_component(
        self,
        component: Component,
        hint: np.ndarray,
        time_limit: float | None,
        seed: int,
        stop: StopFlag | None = ...,
        on_progress: ProgressHook | None = ...,
        absolute_gap: float = ...,
    ) -> ComponentOutcome:
        """The best allocation found (bool per variable), its value, a proven bound, whether it is optimal."""
        ...


def _highs() -> Engine:
    from enmusubi.solver import highs_engine

    return highs_engine


def _cpsat() -> Engine:
    from enmusubi.solver import cpsat_engine

    return cpsat_engine


ENGINES: Mapping[str, Callable[[], Engine]] = {"highs": _highs, "cpsat": _cpsat}


def is_engine_name(name: str) -> TypeGuard[EngineName]:
    """Whether `name` is "auto" or a registered engine (for front doors that take it as text)."""
    return name == "auto" or name in ENGINES


def engine_named(name: str) -> Engine:
    """The engine registered as `name` ("auto" is the default engine); ValueError for an unknown name."""
    if name == "auto":
        name = DEFAULT_ENGINE
    elif name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose auto, {', '.join(ENGINES)}")
    return ENGINES[name]()
