"""The large-component path: LP relaxation, LP-guided rounding, then large-neighbourhood search.

For components too big for branch and bound to close in the time given (10^5 binaries and up),
HiGHS's MIP spends its time in the root and the tree without improving the start. Here:
1. the LP relaxation (dual simplex; interruptible) gives the bound;
2. greedy rounding that takes the LP's pairs first gives a feasible allocation;
3. neighbourhoods (the pairs around the most fractional LP pairs, and around the rows whose
   capacity binds) are re-optimised as small sub-MIPs from the incumbent (solver/neighbourhood.py,
   the machinery insight uses), each with a short time limit, until the deadline or a stop.
The answer is anytime: the incumbent is always feasible, the LP bound always valid.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from enmusubi.solver.greedy import greedy
from enmusubi.solver.model import Component
from enmusubi.solver.neighbourhood import Incidence, around, reoptimise, usage
from enmusubi.solver.outcome import ComponentOutcome, ProgressHook, StopFlag
from enmusubi.solver.relaxation import Relaxation

log = logging.getLogger(__name__)

LARGE_VARIABLES = 50_000  # components above this take this path (HiGHS's MIP presolve stalls there too)
NEIGHBOURHOOD_SIZE = 3_000
NEIGHBOURHOOD_SECONDS = 3.0
SUPPORT_SECONDS = 20.0
FRACTIONAL = 1e-6


def is_large(component: Component, remaining: float | None) -> bool:
    """Large components under a time limit take this path; without a limit the exact MIP runs to the end
    (and with equity too: its served binaries are not modelled here)."""
    return remaining is not None and component.n_vars > LARGE_VARIABLES and component.n_served == 0


def share_of_time(components: list[Component], k: int, remaining: float) -> float:
    """Seconds for component k of those still to solve (k and after): in proportion to its pairs, so the
    first large component cannot starve the others."""
    later = sum(c.n_vars for c in components[k:] if c.n_rows > 0)
    return remaining * components[k].n_vars / max(later, 1)


def solve_large(
    component: Component,
    start: np.ndarray,
    deadline: float | None,
    stop: StopFlag | None = None,
    on_progress: ProgressHook | None = None,
    absolute_gap: float = 1e-6,
    seed: int = 0,
) -> ComponentOutcome:
    if on_progress is not None:  # the start is an answer already, while the LP runs
        on_progress(float(component.score[start].sum()), float(component.score.sum()))
    relaxed = Relaxation(component, stop, deadline)
    bound = relaxed.value
    order_hint = None if start is None else relaxed.x > FRACTIONAL
    chosen = greedy(component, order_hint)
    objective = float(component.score[chosen].sum())
    if float(component.score[start].sum()) > objective:
        chosen, objective = start.copy(), float(component.score[start].sum())
    log.info(
        "large component: %d pairs, LP %s %.6f, rounded %.6f",
        component.n_vars,
        "bound" if relaxed.solved else "not solved, trivial bound",
        bound,
        objective,
    )
    if on_progress is not None:
        on_progress(objective, bound)
    if relaxed.solved and not _stopped(deadline, stop):
        # The LP's support (and the incumbent) as one sub-MIP: everything else stays at 0.
        support = np.flatnonzero((relaxed.x > FRACTIONAL) | chosen)
        found = reoptimise(
            component,
            chosen,
            support,
            None,
            deadline=_capped(deadline, SUPPORT_SECONDS),
            stop=stop,
            absolute_gap=absolute_gap,
            seed=seed,
        )
        log.info("LP support sub-MIP over %d pairs: %.6f", len(support), found.objective)
        if found.objective > objective + 1e-9:
            chosen, objective = found.chosen, found.objective
            if on_progress is not None:
                on_progress(objective, bound)
    incidence = Incidence.of(component)
    rng = np.random.default_rng(seed)
    seeds = _seed_order(component, relaxed, chosen, rng)
    step = 0
    while bound - objective > absolute_gap and not _stopped(deadline, stop) and step < len(seeds):
        free = around(component, incidence, seeds[step : step + 1], NEIGHBOURHOOD_SIZE)
        step += 1
        found = reoptimise(
            component,
            chosen,
            free,
            None,
            deadline=_capped(deadline, NEIGHBOURHOOD_SECONDS),
            stop=stop,
            absolute_gap=absolute_gap,
            seed=seed,
        )
        if found.objective > objective + 1e-9:
            chosen, objective = found.chosen, found.objective
            if on_progress is not None:
                on_progress(objective, bound)
    optimal = bound - objective <= absolute_gap and relaxed.solved
    interrupted = stop is not None and stop.is_set()
    return ComponentOutcome(chosen, objective, max(bound, objective), optimal, interrupted)


def _seed_order(component: Component, relaxed: Relaxation, chosen: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Where to search: the most fractional LP pairs first, then pairs of binding rows the LP takes
    but the incumbent does not, then the rest at random."""
    frac = np.abs(relaxed.x - 0.5)
    fractional = np.flatnonzero((relaxed.x > FRACTIONAL) & (relaxed.x < 1 - FRACTIONAL))
    first = fractional[np.argsort(frac[fractional], kind="stable")]
    load = usage(component, chosen)
    tight = load >= component.capacity - 1e-9
    in_tight = np.zeros(component.n_vars, dtype=bool)
    in_tight[component.a_col[tight[component.a_row]]] = True
    second = np.flatnonzero(in_tight & (relaxed.x > 0.5) & ~chosen)
    rest = rng.permutation(component.n_vars)
    order = np.concatenate([first, second, rest])
    _, keep = np.unique(order, return_index=True)
    return order[np.sort(keep)]


def _capped(deadline: float | None, seconds: float) -> float:
    """A sub-MIP's deadline: `seconds` from now, never past the whole search's."""
    soon = time.monotonic() + seconds
    return soon if deadline is None else min(deadline, soon)


def _stopped(deadline: float | None, stop: StopFlag | None) -> bool:
    return (stop is not None and stop.is_set()) or (deadline is not None and time.monotonic() >= deadline)
