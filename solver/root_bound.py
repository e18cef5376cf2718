"""HiGHS's root cuts on a whole large component, in a child process, for a bound tighter than the LP's.

On the 20,000 x 2,000 national instance the LP bound is 3,021.1 and the root cuts bring it to
3,004.6 in ~17 s, while the best allocations found are near 2,996: the LP alone cannot certify a
0.5 % gap there. The root is run in its own process because (a) during its cut rounds HiGHS polls
no callback for tens of seconds, so a stop (Ctrl-C) could not reach it in time, and a child can be
killed; (b) it runs beside the neighbourhood search, on the machine's second core. Presolve is off
(HiGHS's MIP presolve stalls without polling on ~10^5 binaries) and so are the primal heuristics:
the search in the parent finds the allocations; this process only reports its dual bound as it
moves. The child is solver/isolated.py's, the one every large HiGHS search uses.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from enmusubi.solver import isolated
from enmusubi.solver.model import Component
from enmusubi.solver.outcome import StopFlag
from enmusubi.solver.tolerances import MIP_ABSOLUTE_GAP

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


class RootBound:
    """The root bound of a component computed in a child process: poll() for the best bound so far,
    close() to end it (killed if it does not stop at once)."""

    def __init__(self, component: Component, seconds: float, seed: int = 0) -> None:
        self.bound = np.inf
        self.finished = False
        self._stop = StopFlag()
        search = {
            "seed": int(seed),
            "absolute_gap": MIP_ABSOLUTE_GAP,
            "options": ROOT_OPTIONS,
            "col_lower": None,
            "careful": False,
        }
        start = np.zeros(component.n_vars, dtype=bool)  # nothing chosen fits every row; the parent finds allocations

        def run() -> None:
            try:
                outcome, _ = isolated.run_isolated(component, start, seconds, self._stop, self._heard, search)
                if not outcome.interrupted:
                    self._heard(outcome.objective, outcome.bound)
                    self.finished = True
            except Exception:  # a bound is a help, never a failure of the solve
                log.exception("the root bound process failed")

        self._thread = threading.Thread(target=run, name="enmusubi-root-bound", daemon=True)
        self._thread.start()
        self.started = time.monotonic()

    def _heard(self, primal: float, dual: float) -> None:
        if np.isfinite(dual):
            self.bound = min(self.bound, dual)

    def running(self) -> bool:
        """The child still has a core (its cut rounds, or a search it was not asked to end yet)."""
        return self._thread.is_alive()

    def poll(self) -> float:
        """The best bound received so far (inf before the first)."""
        return self.bound

    def close(self) -> float:
        """End the child (killed if it does not stop within isolated.STOP_GRACE_SECONDS); the best bound received."""
        self._stop.stop()
        self._thread.join(timeout=isolated.STOP_GRACE_SECONDS + 5)
        return self.bound
