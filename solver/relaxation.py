"""The LP relaxation of a component, solved once and kept warm.

Its optimum bounds the component's MIP optimum from above. Forcing one variable to 1 and
re-solving from the kept basis (dual simplex: only the bound moved) bounds the optimum with
that pair locked, in a few milliseconds where the MIP takes seconds.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from enmusubi.solver.highs_engine import binary_program, configured_highs
from enmusubi.solver.model import Component
from enmusubi.solver.outcome import StopFlag


class Relaxation:
    """max score @ x, A x <= capacity, 0 <= x <= 1 of one component, with its optimal basis."""

    def __init__(self, component: Component, stop: StopFlag | None = None, deadline: float | None = None) -> None:
        self.component = component
        lp = binary_program(component.score, component.a_row, component.a_col, component.a_val, component.capacity)
        lp.integrality_ = []
        self._highs = configured_highs(None)
        self._highs.setOptionValue("presolve", "off")  # a basis of the model itself, to warm-start from
        self._highs.passModel(lp)
        self._stop, self._deadline = stop, deadline
        self._highs.cbSimplexInterrupt.subscribe(self._poll)
        self._highs.cbIpmInterrupt.subscribe(self._poll)
        self._highs.run()
        self.solved = self._highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        # An unsolved LP (stopped) still has the trivial bound: every pair taken.
        self.value = (
            float(self._highs.getInfo().objective_function_value) if self.solved else float(component.score.sum())
        )
        self._basis = self._highs.getBasis() if self.solved else None
        solution = self._highs.getSolution()
        self.x = np.asarray(solution.col_value, dtype=np.float64) if self.solved else np.ones(component.n_vars)
        self.reduced_cost = (
            np.asarray(solution.col_dual, dtype=np.float64) if self.solved else np.zeros(component.n_vars)
        )
        self.row_dual = np.asarray(solution.row_dual, dtype=np.float64) if self.solved else np.zeros(component.n_rows)
        # Whatever row duals HiGHS holds, even when stopped: any y >= 0 gives a valid bound (solver/dual_bound.py).
        held = np.asarray(solution.row_dual, dtype=np.float64)
        self.partial_row_dual = held if len(held) == component.n_rows else np.zeros(component.n_rows)

    def _poll(self, event: highspy.HighsCallbackEvent) -> None:
        if (self._stop is not None and self._stop.is_set()) or (
            self._deadline is not None and time.monotonic() > self._deadline
        ):
            event.interrupt()

    def nbytes(self) -> int:
        """A rough size for caches: the kept vectors plus HiGHS's copy of the model."""
        c = self.component
        return int(self.x.nbytes * 3 + self.row_dual.nbytes + 24 * len(c.a_val) + 64 * (c.n_vars + c.n_rows))

    def forced_bound(self, var: int, stop: StopFlag | None = None, deadline: float | None = None) -> float:
        """An upper bound on the component's optimum with x[var] = 1 (-inf when that LP is infeasible).

        Falls back to the unforced bound when the LP is not solved (stopped or time up): still valid.
        """
        if not self.solved or self._basis is None:
            return self.value
        if self.x[var] >= 1.0 - 1e-9:
            return self.value
        assert self._basis is not None  # a solved LP has its basis
        self._stop, self._deadline = stop, deadline
        h = self._highs
        h.changeColBounds(int(var), 1.0, 1.0)
        h.setBasis(self._basis)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            bound = float(h.getInfo().objective_function_value)
        elif status == highspy.HighsModelStatus.kInfeasible:
            bound = -np.inf
        else:
            bound = self.value
        h.changeColBounds(int(var), 0.0, 1.0)
        h.setBasis(self._basis)
        return min(bound, self.value)
