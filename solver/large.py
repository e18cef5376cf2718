"""The large-component path: an honest bound, LP-guided rounding, a kernel sub-MIP, then neighbourhood search.

For components too big for branch and bound to close in the time given (10^5 binaries and up):
1. the LP relaxation (dual simplex, with at most half the time; interruptible) gives row multipliers y;
   the bound is b·y + Σ max(0, c - Aᵀy) (solver/dual_bound.py), valid for any y >= 0, so an LP
   stopped early still bounds, and a few subgradient steps improve it; meanwhile a child process
   runs HiGHS's root cuts on the whole component for a tighter bound (solver/root_bound.py);
2. rounding by the LP values (or the reduced costs c - Aᵀy) with the vectorised greedy;
3. the kernel: a sub-MIP over the LP support, the incumbent and the pairs of best reduced cost;
4. neighbourhoods over the promising pairs (the best reduced costs, a few times the kernel's size),
   grown from the most fractional LP pairs, the incumbent's pairs (their rows bind) and the pairs the
   LP likes that the incumbent does not, by constraint hops (a position, its partners, their other
   positions, a municipality's budget row: clusters follow the rows); each re-optimised as a sub-MIP
   from the incumbent (solver/neighbourhood.py, the machinery insight uses) with a size that adapts:
   larger while sub-MIPs prove optimal quickly, smaller when they run out of time. With several cores,
   a batch of disjoint neighbourhoods (one per worker process, one fewer while the root process runs)
   is solved side by side from one incumbent and merged (solver/parallel_search.py).
Anytime: the incumbent is always feasible and the bound always valid; every phase checks the deadline
and the stop flag, and each sub-MIP is given only the time left.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from enmusubi.solver.dual_bound import best_multipliers, reduced_costs, subgradient
from enmusubi.solver.greedy import greedy_by
from enmusubi.solver.highs_engine import START_HEURISTICS_OFF
from enmusubi.solver.isolated import can_spawn
from enmusubi.solver.model import Component
from enmusubi.solver.neighbourhood import Incidence, around, reoptimise, restricted
from enmusubi.solver.outcome import ComponentOutcome, ProgressHook, StopFlag, time_is_up
from enmusubi.solver.parallel_search import (
    Answer,
    NeighbourhoodPool,
    batch_tasks,
    default_processes,
    make_pool,
    merged,
)
from enmusubi.solver.relaxation import Relaxation
from enmusubi.solver.root_bound import RootBound

log = logging.getLogger(__name__)

LARGE_VARIABLES = 50_000  # components above this take this path (HiGHS's MIP presolve stalls there too)
LP_SHARE = 0.5  # of the time left: the LP's most
SUBGRADIENT_SHARE = 0.03  # of the time left, when the LP did not finish
KERNEL_SIZE = 10_000  # variables of the kernel sub-MIP (HiGHS's presolve stays quick below ~15,000)
KERNEL_SHARE = 0.35  # of the time left after rounding
KERNEL_MAX = 80_000
PROMISING_SIZE = 40_000  # variables the neighbourhoods are drawn from
NEIGHBOURHOOD_SIZE = 4_000  # first size; adapts between the two below
NEIGHBOURHOOD_SIZES = (1_000, 12_000)
NEIGHBOURHOOD_SECONDS = 4.0
PRESOLVE_UP_TO = 15_000  # sub-MIPs above this run without presolve: HiGHS's presolve polls no time limit
ROOT_MIN_SECONDS = 10.0  # below this a child process for the root cuts does not pay
# Above this the root LP alone takes minutes and competes with the parent's LP for the cores (2.8 M pairs at
# 100,000 x 10,000: the LP bound from the parent's (even interrupted) dual simplex is what there is).
ROOT_MAX_VARIABLES = 1_000_000
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


@dataclass
class _Best:
    """The incumbent and the bound so far; every improvement is published."""

    component: Component
    chosen: np.ndarray
    on_progress: ProgressHook | None
    objective: float = 0.0
    bound: float = np.inf
    trace: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.objective = float(self.component.score[self.chosen].sum())
        self.bound = float(self.component.score[self.component.score > 0].sum())

    def offer(self, chosen: np.ndarray, source: str) -> bool:
        """Take `chosen` if better and feasible (checked: a sub-MIP's columns are not taken on trust)."""
        value = float(self.component.score[chosen].sum())
        if value <= self.objective + 1e-9:
            return False
        if not self.component.fits(chosen):
            log.warning("a %s allocation breaks a row; not taken", source)
            return False
        self.chosen, self.objective = chosen, value
        self.trace.append(source)
        self._publish()
        return True

    def bound_by(self, bound: float) -> None:
        if bound < self.bound:
            self.bound = bound
            self._publish()

    def _publish(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.objective, max(self.bound, self.objective))


def solve_large(
    component: Component,
    start: np.ndarray,
    deadline: float | None,
    stop: StopFlag | None = None,
    on_progress: ProgressHook | None = None,
    absolute_gap: float = 1e-6,
    seed: int = 0,
    processes: int | None = None,
    pool: NeighbourhoodPool | None = None,
) -> ComponentOutcome:
    """`processes` for the neighbourhood search (default: parallel_search.default_processes()); `pool` runs
    its batches instead (benchmarks/scale_cores.py's simulated cores), with its own clock for the search."""
    best = _Best(component, np.asarray(start, dtype=bool).copy(), on_progress)
    best._publish()  # the start is an answer already, while the LP runs
    root = None
    long_enough = deadline is not None and deadline - time.monotonic() >= ROOT_MIN_SECONDS
    if can_spawn() and long_enough and component.n_vars <= ROOT_MAX_VARIABLES:
        assert deadline is not None
        root = RootBound(component, max(deadline - time.monotonic() - 1.0, 1.0), seed)
    if pool is None:  # started now: worker processes import while the LP runs
        pool = make_pool(default_processes() if processes is None else processes)
    try:
        _search(component, best, _Run(deadline, stop, absolute_gap, seed, root, pool))
    finally:
        pool.close()
        if root is not None:
            best.bound_by(root.close())
    bound = max(best.bound, best.objective)
    optimal = bound - best.objective <= absolute_gap
    interrupted = stop is not None and stop.is_set()
    log.info("large component: %.6f, bound %.6f, improved by %s", best.objective, bound, " ".join(best.trace))
    return ComponentOutcome(best.chosen, best.objective, bound, optimal, interrupted)


@dataclass(frozen=True)
class _Run:
    """What every phase of one search is given: when to end, the sub-MIPs' gap and seed, the root process,
    the pool the neighbourhoods are solved by."""

    deadline: float | None
    stop: StopFlag | None
    absolute_gap: float
    seed: int
    root: RootBound | None
    pool: NeighbourhoodPool

    def width(self) -> int:
        """Neighbourhoods per batch: one per worker, but one fewer while the root process has a core."""
        root_running = self.root is not None and self.root.running()
        return max(self.pool.workers - int(root_running), 1)


def _search(component: Component, best: _Best, run: _Run) -> None:
    deadline, stop, absolute_gap, seed, root = run.deadline, run.stop, run.absolute_gap, run.seed, run.root
    if time_is_up(deadline, stop):
        return
    relaxed = Relaxation(component, stop, _share(deadline, LP_SHARE))
    y, bound = best_multipliers(
        component, [relaxed.row_dual, -relaxed.row_dual, relaxed.partial_row_dual, -relaxed.partial_row_dual]
    )
    best.bound_by(bound)
    log.info("large component: %d pairs, LP %s, bound %.6f", component.n_vars, relaxed.solved, bound)
    if not relaxed.solved and not time_is_up(deadline, stop):
        y, bound = subgradient(component, y, best.objective, _share(deadline, SUBGRADIENT_SHARE), stop)
        best.bound_by(bound)
        log.info("subgradient bound %.6f", bound)
    if time_is_up(deadline, stop):
        return
    rc = reduced_costs(component, y)
    x = relaxed.x if relaxed.solved else (rc > 0).astype(np.float64)
    best.offer(greedy_by(component, x + 1e-3 * np.tanh(rc)), "rounding")
    support = x > FRACTIONAL
    # The kernel: the LP support, the incumbent and the best reduced costs; doubled while it is solved
    # to optimality with time to spare (at 100,000 x 10,000 a kernel of 10,000 closes in seconds).
    by_rc = np.argsort(-rc, kind="stable")
    kernel_deadline = _share(deadline, KERNEL_SHARE)
    size = KERNEL_SIZE
    while not time_is_up(kernel_deadline, stop):
        kernel = _top(by_rc, support | best.chosen, size)
        found = reoptimise(
            component,
            best.chosen,
            kernel,
            None,
            deadline=kernel_deadline,
            stop=stop,
            absolute_gap=absolute_gap,
            seed=seed,
            options=_options(len(kernel)),
        )
        best.offer(found.chosen, "kernel")
        log.info("kernel sub-MIP over %d pairs: %.6f (%s)", len(kernel), found.objective, found.optimal)
        if not found.optimal or len(kernel) >= min(KERNEL_MAX, component.n_vars):
            break
        size = 2 * len(kernel)
    if root is not None:
        best.bound_by(root.poll())
    # Room for a batch of disjoint neighbourhoods: a few times one neighbourhood per worker.
    drawn_from = max(PROMISING_SIZE, 4 * size, 3 * run.pool.workers * NEIGHBOURHOOD_SIZE)
    promising = _top(by_rc, support | best.chosen, drawn_from)
    _neighbourhoods(component, best, promising, x, rc, run)


@dataclass
class _Seeds:
    """Where neighbourhoods start, in turn: the most fractional LP pairs, the incumbent's pairs (their rows
    bind), and pairs the LP likes that the incumbent does not."""

    fractional: np.ndarray
    rc: np.ndarray
    rng: np.random.Generator
    step: int = 0

    def next(self, chosen: np.ndarray, n_vars: int) -> tuple[int, int]:
        kind = self.step % 3
        if kind == 0 and self.step // 3 < len(self.fractional):
            seed_var = int(self.fractional[self.step // 3])
        elif kind == 1 and chosen.any():
            seed_var = int(self.rng.choice(np.flatnonzero(chosen)))
        else:
            liked = np.flatnonzero(~chosen & (self.rc > np.quantile(self.rc, 0.9)))
            seed_var = int(self.rng.choice(liked) if len(liked) else self.rng.integers(n_vars))
        self.step += 1
        return seed_var, kind


def _neighbourhoods(
    component: Component, best: _Best, promising: np.ndarray, x: np.ndarray, rc: np.ndarray, run: _Run
) -> None:
    """Large-neighbourhood search over the promising pairs (their sub-component; the rest stays at 0), in
    batches of disjoint neighbourhoods solved side by side (solver/parallel_search.py)."""
    deadline, stop, root, pool = run.deadline, run.stop, run.root, run.pool
    sub = restricted(component, promising)
    incidence = Incidence.of(sub)
    sub_x = x[promising]
    fractional = np.flatnonzero((sub_x > FRACTIONAL) & (sub_x < 1 - FRACTIONAL))
    fractional = fractional[np.argsort(np.abs(sub_x[fractional] - 0.5), kind="stable")]
    seeds = _Seeds(fractional, rc[promising], np.random.default_rng(run.seed))
    pool.load(sub)
    size, batches = NEIGHBOURHOOD_SIZE, 0
    while best.bound - best.objective > run.absolute_gap and not time_is_up(deadline, stop, pool.clock()):
        if root is not None:
            best.bound_by(root.poll())
        chosen_sub = best.chosen[promising]
        taken = np.zeros(sub.n_vars, dtype=bool)
        frees, kinds = [], []
        for _ in range(run.width()):
            seed_var, kind = seeds.next(chosen_sub, sub.n_vars)
            if taken[seed_var]:
                continue
            free = around(sub, incidence, np.array([seed_var]), size, taken=taken)
            taken[free] = True
            frees.append(free)
            kinds.append(f"n{kind}")
        seconds = NEIGHBOURHOOD_SECONDS if deadline is None else min(NEIGHBOURHOOD_SECONDS, deadline - pool.clock())
        options = [_options(len(free)) for free in frees]
        tasks = batch_tasks(sub, chosen_sub, frees, seconds, run.seed + seeds.step, run.absolute_gap, options)
        answers = pool.run(chosen_sub, tasks, stop)
        batches += 1
        size = _adapted(size, [a for a in answers if a is not None], seconds)
        if not _take(component, best, promising, merged(chosen_sub, tasks, answers), "+".join(kinds)):
            for task, answer, source in zip(tasks, answers, kinds, strict=True):  # a merge breaking a row: a defect
                _take(component, best, promising, merged(best.chosen[promising], [task], [answer]), source)
    log.info(
        "neighbourhood search: %d batches of up to %d, %d neighbourhoods, last size %d",
        batches,
        pool.workers,
        seeds.step,
        size,
    )


def _adapted(size: int, answers: list[Answer], seconds: float) -> int:
    """Neighbourhoods grow while their sub-MIPs are proven quickly and shrink when they run out of time."""
    if answers and all(a.optimal and a.seconds < seconds / 3 for a in answers):
        return min(int(size * 1.25), NEIGHBOURHOOD_SIZES[1])
    if sum(not a.optimal for a in answers) * 2 > len(answers):
        return max(int(size * 0.75), NEIGHBOURHOOD_SIZES[0])
    return size


def _take(component: Component, best: _Best, promising: np.ndarray, chosen_sub: np.ndarray, source: str) -> bool:
    """Offer an allocation of the promising pairs; False when it breaks a row (not when it is merely no better)."""
    chosen = np.zeros(component.n_vars, dtype=bool)
    chosen[promising[chosen_sub]] = True
    return best.offer(chosen, source) or component.fits(chosen)


def _options(n_vars: int) -> dict[str, bool | int | float | str]:
    """HiGHS's options for a sub-MIP of `n_vars` variables."""
    if n_vars <= PRESOLVE_UP_TO:
        return dict(START_HEURISTICS_OFF)
    return {**START_HEURISTICS_OFF, "presolve": "off"}


def _top(order: np.ndarray, keep: np.ndarray, size: int) -> np.ndarray:
    """The variables of `keep`, then the first of `order` up to `size` in all, sorted."""
    picked = keep.copy()
    room = size - int(picked.sum())
    if room > 0:
        rest = order[~picked[order]]
        picked[rest[:room]] = True
    return np.flatnonzero(picked)


def _share(deadline: float | None, share: float) -> float | None:
    """A phase's deadline: `share` of the time left."""
    if deadline is None:
        return None
    now = time.monotonic()
    return now + max(deadline - now, 0.0) * share
