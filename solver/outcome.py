"""What an engine reports for one component, and how the caller can stop or watch it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ProgressHook = Callable[[float, float], None]  # (best objective, best bound) of the component


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

    def stop(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()
