"""One HiGHS search in a child process that can be ended, for components too large to stop in time.

HiGHS polls its interrupt callbacks in simplex, in IPM and between branch-and-bound nodes, but
not in its MIP presolve, the root node's cut loop or its sub-MIP heuristics. On ~10,000 variables
those stretches are short (an interrupt asked at 0.3-5 s into a 2,000 × 300 component was
answered within 0.5 s); on a 3,000 × 500 component one ran 2 s (asked at 6.0 s, answered at
8.1 s), and a worker must be free within a second of its client leaving (API.md). So a large
component is searched in a child process: asked to stop, the child interrupts at HiGHS's next
poll; when it has not answered within STOP_GRACE_SECONDS it is killed, and the best allocation
it reported (it streams each improving solution) comes back with the last dual bound it
reported, or the trivial bound.

The child is a fresh interpreter (~0.4 s to start), not a
fork: forking a process whose HiGHS threads run would leave the child's scheduler waiting on
threads that do not exist, and multiprocessing's spawn and fork server import the caller's
main module again, which a script without a `__main__` guard does not survive.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from enmusubi.solver.model import Component
from enmusubi.solver.outcome import ComponentOutcome, ProgressHook, StopFlag

log = logging.getLogger(__name__)

# Components from this many variables are searched in a child process (see the module docstring).
ISOLATE_MIN_VARIABLES = 15_000
STOP_GRACE_SECONDS = 0.5  # a child asked to stop that has not answered by then is killed
POLL_SECONDS = 0.05
TIME_LIMIT_GRACE_SECONDS = 2.0  # past its own time limit by this much, a child is asked to stop

Run = tuple[ComponentOutcome, float | None]
CHILD_ENTRY = "from enmusubi.solver.isolated import child_main; child_main()"


def run_isolated(
    component: Component,
    hint: np.ndarray,
    time_limit: float | None,
    stop: StopFlag | None,
    on_progress: ProgressHook | None,
    search: Mapping[str, Any],
) -> Run:
    """highs_engine's one run (its keyword arguments in `search`) in a child process; stopped within
    STOP_GRACE_SECONDS of `stop`, whatever HiGHS is doing."""
    child, results, commands = start_child(CHILD_ENTRY)
    send(commands, (component, hint, time_limit, dict(search)))
    started = time.monotonic()
    watcher = _Watcher(component, hint, on_progress)
    asked_at: float | None = None
    try:
        while True:
            if results.poll(POLL_SECONDS):
                try:
                    message = results.recv()
                except (EOFError, OSError):
                    child.wait(5)
                    log.warning("the HiGHS child process ended without an answer (exit code %s)", child.returncode)
                    return watcher.outcome(interrupted=stop is not None and stop.is_set()), None
                if message[0] == "result":
                    return message[1], message[2]
                watcher.take(message)
            late = time_limit is not None and time.monotonic() - started > time_limit + TIME_LIMIT_GRACE_SECONDS
            if asked_at is None and ((stop is not None and stop.is_set()) or late):
                asked_at = time.monotonic()
                send(commands, "stop")
            if asked_at is not None and time.monotonic() - asked_at > STOP_GRACE_SECONDS:
                log.info("HiGHS did not stop within %.1f s (a phase polling no interrupt): ended", STOP_GRACE_SECONDS)
                return watcher.outcome(interrupted=stop is not None and stop.is_set()), None  # else its time was up
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(5)
        results.close()
        commands.close()


def start_child(entry: str) -> tuple[subprocess.Popen[bytes], Connection, Connection]:
    """A fresh interpreter running `entry` (which reads its two pipes' descriptors from its arguments):
    the process, the pipe it answers on, and the pipe it is commanded on."""
    results_read, results_write = os.pipe()
    commands_read, commands_write = os.pipe()
    child = subprocess.Popen(
        [sys.executable, "-c", entry, str(commands_read), str(results_write)],
        pass_fds=(commands_read, results_write),
        stdin=subprocess.DEVNULL,
    )
    os.close(commands_read)
    os.close(results_write)
    return child, Connection(results_read, writable=False), Connection(commands_write, readable=False)


def can_spawn() -> bool:
    """A child process needs the interpreter's executable."""
    return bool(sys.executable)


def child_pipes() -> tuple[Connection, Connection]:
    """In a child started by start_child: the pipe to read commands from and the pipe to answer on."""
    return Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False)


def send(connection: Connection, message: Any) -> None:
    with contextlib.suppress(OSError):  # the child has just ended: its answer is on the way
        connection.send(message)


class _Watcher:
    """What the parent knows of the child's search while it runs: its best allocation and bound."""

    def __init__(self, component: Component, hint: np.ndarray, on_progress: ProgressHook | None) -> None:
        self.component = component
        self.best = np.asarray(hint, dtype=bool).copy()
        self.best_value = component.value(self.best)
        self.bound = np.inf
        self.on_progress = on_progress

    def take(self, message: tuple[Any, ...]) -> None:
        if message[0] == "progress":
            primal, dual = float(message[1]), float(message[2])
            if np.isfinite(dual):
                self.bound = dual
            if self.on_progress is not None:
                self.on_progress(primal, dual)
        elif message[0] == "incumbent":
            chosen = np.unpackbits(message[1], count=self.component.n_vars).astype(bool)
            value = self.component.value(chosen)
            if value > self.best_value and self.component.fits(chosen):
                self.best, self.best_value = chosen, value

    def outcome(self, interrupted: bool) -> ComponentOutcome:
        bound = max(self.bound, self.best_value) if np.isfinite(self.bound) else self.component.upper_bound()
        return ComponentOutcome(self.best, self.best_value, bound, False, interrupted)


def _child(commands: Connection, results: Connection) -> None:
    """The child's side: one search, stopped by a command (or the parent's end), streaming what it finds."""
    from enmusubi.solver import highs_engine

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
    component, hint, time_limit, search = commands.recv()
    stop = StopFlag()

    def listen() -> None:
        with contextlib.suppress(EOFError, OSError):  # EOF: the parent is gone, nobody wants the answer
            commands.recv()
        stop.stop()

    threading.Thread(target=listen, name="enmusubi-highs-stop", daemon=True).start()
    send_lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with send_lock:
            results.send(message)

    def progress(primal: float, dual: float) -> None:
        send(("progress", primal, dual))

    def incumbent(chosen: np.ndarray) -> None:
        send(("incumbent", np.packbits(chosen)))

    outcome, reported = highs_engine.run_here(component, hint, time_limit, stop, progress, incumbent, **search)
    send(("result", outcome, reported))


def child_main() -> None:
    """The child process's entry point: its two pipes' file descriptors are its arguments."""
    _child(*child_pipes())
