"""What an engine reports for one component, and how the caller can stop or watch it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ProgressHook = Callable[[float, float], None]  # (best objective, best bound) of the component
IncumbentHook = Callable[[np.ndarray], None]  # each improving allocation (bool per variable) the search finds


@dataclass(frozen=True)
class ComponentOutcome:
    chosen: np.ndarray  # bool per component variable
    objective: float
    bound: float
    optimal: bool
    interrupted: bool = False


class StopFlag:
    """Set from another thread (Ctrl-C, a cancelled run) to end the search promptly."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.stopped_at: float | None = None  # time.monotonic() of the first stop: how long stopping took is logged

    def stop(self) -> None:
        if self.stopped_at is None:
            self.stopped_at = time.monotonic()
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


def time_is_up(deadline: float | None, stop: StopFlag | None, now: float | None = None) -> bool:
    """Stopped, or past the deadline (`now` by another clock when given, else time.monotonic())."""
    now = time.monotonic() if now is None else now
    return (stop is not None and stop.is_set()) or (deadline is not None and now >= deadline)
