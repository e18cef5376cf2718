"""Live progress of a long solve on the terminal: phase, elapsed time, best objective and bound.

Drawn on stderr (stdout may carry the result) and only when stderr is a terminal, so logs
and pipes stay clean. Phase changes are also logged (INFO; `enmusubi -v`), which is how a
script or a test can tell that the search has started.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text

from enmusubi.solver import Progress

log = logging.getLogger(__name__)
REFRESHES_PER_SECOND = 4


def wants_live_display(quiet: bool, stream: TextIO | None = None) -> bool:
    """Live progress only on a terminal, and never with --quiet."""
    stream = sys.stderr if stream is None else stream
    return not quiet and stream.isatty()


def describe(progress: Progress, elapsed: float) -> str:
    """One line: `solving  12.3 s  best 327.754430  bound 330.100000  gap 0.716%`."""
    parts = [f"{progress.phase:<9}", f"{elapsed:7.1f} s"]
    if progress.objective is not None:
        parts.append(f"best {progress.objective:.6f}")
    if progress.bound is not None:
        parts.append(f"bound {progress.bound:.6f}")
    if progress.objective is not None and progress.bound is not None:
        gap = max(progress.bound - progress.objective, 0.0) / max(abs(progress.objective), 1e-9)
        parts.append(f"gap {gap:.3%}")
    return "  ".join(parts)


class ProgressDisplay:
    """A `solve(progress=...)` callback that keeps a live status line; use it as a context manager.

    Called from the solving thread; the display thread reads the latest snapshot under a lock.
    """

    def __init__(self, enabled: bool, console: Console | None = None, notes: bool = True) -> None:
        self.enabled = enabled
        self.notes = notes
        self._console = console if console is not None else Console(stderr=True)
        self._lock = threading.Lock()
        self._latest = Progress("starting", 0.0)
        self._received = time.monotonic()
        self._live: Live | None = None
        self.phases: list[str] = []

    def __call__(self, progress: Progress) -> None:
        with self._lock:
            previous = self._latest
            if progress.phase == previous.phase and progress.objective is None and previous.objective is not None:
                progress = Progress(progress.phase, progress.elapsed, previous.objective, previous.bound)
            self._latest, self._received = progress, time.monotonic()
            new_phase = not self.phases or self.phases[-1] != progress.phase
            if new_phase:
                self.phases.append(progress.phase)
        if new_phase:
            log.info("phase %s at %.2f s", progress.phase, progress.elapsed)
        elif progress.objective is not None:
            log.debug("%s", describe(progress, progress.elapsed))

    @classmethod
    def for_cli(cls, quiet: bool) -> ProgressDisplay:
        """Live on a terminal; notes (such as an interrupt) on stderr unless --quiet."""
        return cls(wants_live_display(quiet), notes=not quiet)

    def announce(self, message: str) -> None:
        """A line for the user: above the live display, or plainly on stderr when there is none."""
        log.info("%s", message)
        if not self.notes:
            return
        if self._live is not None:
            self._console.print(message, style="yellow", highlight=False)
        else:
            sys.stderr.write(message + "\n")
            sys.stderr.flush()

    def render(self) -> Text:
        with self._lock:
            latest, received = self._latest, self._received
        elapsed = latest.elapsed + (time.monotonic() - received)
        return Text(describe(latest, elapsed), style="cyan")

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            self._live = Live(
                console=self._console,
                get_renderable=self.render,
                refresh_per_second=REFRESHES_PER_SECOND,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
