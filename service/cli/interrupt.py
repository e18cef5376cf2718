"""Ctrl-C during a solve: the first stops the search and keeps the best allocation found,
a second one aborts at once.

The solve runs in a worker thread while the main thread (the only one Python delivers
signals to) waits in short joins, so SIGINT is handled promptly even while the engine is
busy in native code; the engine notices the StopFlag at its next poll.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from enmusubi.solver import StopFlag

log = logging.getLogger(__name__)
T = TypeVar("T")
INTERRUPTED_EXIT = 130  # 128 + SIGINT, what shells report for Ctrl-C
_JOIN_SECONDS = 0.1


@dataclass(frozen=True)
class Finished(Generic[T]):
    value: T
    interrupted: bool


def run_interruptible(work: Callable[[StopFlag], T], announce: Callable[[str], None] | None = None) -> Finished[T]:
    """Run `work(stop)`; the first SIGINT sets `stop`, the second exits the process with code 130.

    Exceptions raised by `work` are re-raised here. Outside the main thread no handler can be
    installed and `work` simply runs.
    """
    stop = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        return Finished(work(stop), False)
    values: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            values.append(work(stop))
        except BaseException as error:  # handed to the main thread below
            errors.append(error)

    def on_sigint(signum: int, frame: object) -> None:
        if stop.is_set():
            sys.stderr.write("\ninterrupted again: aborting without writing a result\n")
            sys.stderr.flush()
            os._exit(INTERRUPTED_EXIT)
        stop.stop()
        message = "interrupted: stopping the search and keeping the best allocation found (Ctrl-C again aborts)"
        if announce is not None:
            announce(message)
        else:
            log.warning(message)

    worker = threading.Thread(target=target, name="enmusubi-solve", daemon=True)
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(_JOIN_SECONDS)
    finally:
        signal.signal(signal.SIGINT, previous)
    if errors:
        raise errors[0]
    return Finished(values[0], stop.is_set())
