"""HiGHS's root cuts on a whole large component, in a child process, for a bound tighter than the LP's.

On the 20,000 x 2,000 national instance the LP bound is 3,021.1 and the root cuts bring it to
3,004.6 in ~17 s, while the best allocations found are near 2,996: the LP alone cannot certify a
0.5 % gap there. The root is run in its own process because (a) during its cut rounds HiGHS polls
no callback for tens of seconds, so a stop (Ctrl-C) could not reach it in time, and a child can be
killed; (b) it runs beside the neighbourhood search, on the machine's second core. Presolve is off
(HiGHS's MIP presolve stalls without polling on ~10^5 binaries) and so are the primal heuristics:
the search in the parent finds the allocations; this process only reports its dual bound, each
time it moves, as a line on its stdout. It is a fresh interpreter (`python -m`), not a
multiprocessing child: spawning would re-import the caller's main module and forking a process
that holds HiGHS's threads is unsafe.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

from enmusubi.solver.model import Component

log = logging.getLogger(__name__)

ROOT_OPTIONS: dict[str, bool | int | float | str] = {
    "presolve": "off",
    "mip_max_nodes": 1,
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_zi_round": False,
    "mip_heuristic_run_shifting": False,
}


def _root(path: str, seconds: float, seed: int) -> None:
    """In the child: the root of the component's MIP; prints each better dual bound, then "done"."""
    from enmusubi.solver.highs_engine import binary_program, configured_highs

    with np.load(path) as arrays:
        score, a_row, a_col, a_val, capacity = (arrays[k] for k in ("score", "a_row", "a_col", "a_val", "capacity"))
    os.unlink(path)
    h = configured_highs(seconds, seed)
    for option, value in ROOT_OPTIONS.items():
        h.setOptionValue(option, value)
    h.passModel(binary_program(score, a_row, a_col, a_val, capacity))
    best = [np.inf]

    def report(bound: float) -> None:
        if np.isfinite(bound) and bound < best[0] - 1e-9:
            best[0] = bound
            sys.stdout.write(f"{bound!r}\n")
            sys.stdout.flush()

    h.cbMipInterrupt.subscribe(lambda event: report(float(event.data_out.mip_dual_bound)))
    h.run()
    report(float(h.getInfo().mip_dual_bound))
    sys.stdout.write("done\n")
    sys.stdout.flush()


class RootBound:
    """The root bound of a component computed in a child process: poll() for the best bound so far,
    close() to end it (killed if still running)."""

    def __init__(self, component: Component, seconds: float, seed: int = 0) -> None:
        self.bound = np.inf
        self.finished = False
        handle, path = tempfile.mkstemp(prefix="enmusubi-root-", suffix=".npz")
        with os.fdopen(handle, "wb") as file:
            np.savez(
                file,
                score=component.score,
                a_row=component.a_row,
                a_col=component.a_col,
                a_val=component.a_val,
                capacity=component.capacity,
            )
        self._process = subprocess.Popen(
            [sys.executable, "-m", "enmusubi.solver.root_bound", path, repr(float(seconds)), str(int(seed))],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, name="enmusubi-root-bound", daemon=True)
        self._reader.start()
        self.started = time.monotonic()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.strip() == "done":
                break
            try:
                self.bound = min(self.bound, float(line))
            except ValueError:
                log.warning("root bound process said %r", line)
        self.finished = True

    def poll(self) -> float:
        """The best bound received so far (inf before the first)."""
        return self.bound

    def close(self) -> float:
        """End the child (killed if still running); the best bound received."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait(timeout=5)
        self._reader.join(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()
        return self.bound


def can_spawn() -> bool:
    """A child process needs the interpreter's executable."""
    return bool(sys.executable)


if __name__ == "__main__":
    _root(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
