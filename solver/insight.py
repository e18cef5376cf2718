"""What forcing a pair into the optimal allocation changes, exact and cheap — the one function
explain, recommend and the service's cache share.

For a pair left out of the optimum, in its component (the others cannot move):
1. a lower bound by repairing the optimum around the pair (solver/repair.py);
2. an upper bound from the component's LP relaxation with the pair forced, warm from the
   optimal basis (solver/relaxation.py), and never above the optimum itself;
3. if they are further apart than the spec's tolerance, the neighbourhood the pair disturbs
   is re-optimised from the repaired start (solver/neighbourhood.py);
4. and if still apart, the whole component with the pair forced, from the best start, whose
   bound proves the answer.
Each step is deterministic and starts where the last stopped, so the same pair gets the same
answer (value and allocation) whoever asks first. An answer cut short by a time limit or a stop
is an interval [change, change_upper] marked not exact, never passed off as exact.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from enmusubi.solver.certify import certify
from enmusubi.solver.highs_engine import START_HEURISTICS_OFF
from enmusubi.solver.lock_search import Base, PairSpace, base_allocation, locked_optimum
from enmusubi.solver.model import AssignmentModel, build_model
from enmusubi.solver.neighbourhood import Incidence, around, reoptimise
from enmusubi.solver.outcome import StopFlag, time_is_up
from enmusubi.solver.problem import Problem
from enmusubi.solver.relaxation import Relaxation
from enmusubi.solver.repair import repair
from enmusubi.solver.result import Result
from enmusubi.solver.solving import Progress, ProgressCallback
from enmusubi.solver.tolerances import optimality_tolerance

log = logging.getLogger(__name__)

NEIGHBOURHOOD_SIZE = 400  # variables re-optimised around a forced pair before the whole component
NEIGHBOURHOOD_SECONDS = 1.0
# A whole-component MIP here starts from the neighbourhood's allocation, which is usually optimal or
# nearly: HiGHS's root heuristics (RENS, the effort-driven ones) then only cost time, while RINS still
# finds the last improvement when there is one. On 20 forced pairs of the generated 900 x 150 problem
# (seed 7) this took the proofs from p50 1.87 s / p95 2.90 s to 1.32 s / 1.82 s, same answers
# (benchmarks/results/insight_proofs.json, `python -m benchmarks.insight_proofs`).
PROOF_OPTIONS: dict[str, bool | int | float | str] = {
    **START_HEURISTICS_OFF,
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rens": False,
}
Item = tuple[str, np.ndarray]  # ("top", a pool of candidates) or ("pair", [a candidate]): what precompute settles
TOP_K = 5  # the k precomputed for every position and partner (recommend's default)


@dataclass(frozen=True)
class Forced:
    """The objective change of locking one candidate pair: exact, or an interval when cut short."""

    candidate: int
    change: float  # of the best allocation found holding the pair: the exact change when `exact`
    change_upper: float  # the exact change is at most this
    chosen: np.ndarray  # bool per candidate: that allocation
    exact: bool
    method: str  # base, repair, neighbourhood, component or solve: where the answer was settled


class Insight:
    """A problem compiled, solved and relaxed once, answering forced-pair questions from memory.

    Thread-safe: one question at a time (HiGHS models are reused between questions).
    """

    def __init__(self, problem: Problem, space: PairSpace, base: Base, model: AssignmentModel) -> None:
        self.problem, self.space, self.base, self.model = problem, space, base, model
        self.tolerance = optimality_tolerance(base.objective)
        n = len(space.cands)
        self.comp_of = np.full(n, -1, dtype=np.int64)
        self.local_of = np.full(n, -1, dtype=np.int64)
        for c, comp in enumerate(model.components):
            self.comp_of[comp.pairs] = c
            self.local_of[comp.pairs] = np.arange(comp.n_vars)
        # The component view holds only when every chosen pair is locked or a model variable.
        # Equity (a reward per municipality served) couples pairs beyond the rows the repair, the LP and
        # the neighbourhoods see: with it, every question goes to the engine's own solve.
        self._components_hold = bool(np.all(space.locked[base.chosen] | (self.comp_of[base.chosen] >= 0))) and not any(
            c.n_served for c in model.components
        )
        self._incidence: dict[int, Incidence] = {}
        self._relaxation: dict[int, Relaxation] = {}
        self._exact: dict[int, Forced] = {}
        self._local: dict[int, Forced] = {}  # neighbourhood answers, kept
        self._upper: dict[int, float] = {}  # component optimum with the pair locked is at most this
        self._kept_top: dict[bytes, tuple[int, list[Forced]]] = {}  # a pool's complete, exact top k, kept
        self.lock = threading.RLock()
        # Questions asked from outside (explain, recommend) go before the background precompute: while
        # one waits, the precompute's search is stopped and it waits its turn.
        self._asked = threading.Condition()
        self._waiting = 0

    @classmethod
    def of(
        cls,
        problem: Problem,
        result: Result | None = None,
        deadline: float | None = None,
        stop: StopFlag | None = None,
        progress: ProgressCallback | None = None,
    ) -> Insight:
        """Compile the problem and take its optimum from `result` (solved again when none or not optimal)."""
        space = PairSpace.of(problem)
        base = base_allocation(space, problem, result, deadline, stop, progress)
        return cls(problem, space, base, build_model(space.data, space.cands))

    @property
    def digest(self) -> str:
        return self.space.data.digest

    def nbytes(self) -> int:
        """Roughly what this holds in memory, for the service's byte-budgeted cache."""
        cands = self.space.cands
        total = sum(getattr(cands, f).nbytes for f in cands.__dataclass_fields__)
        total += sum(f.row_of_pair.nbytes + f.coef.nbytes + f.capacity.nbytes for f in self.space.families)
        total += sum(c.pairs.nbytes * 6 for c in self.model.components)
        total += sum(r.nbytes() for r in self._relaxation.values())
        total += sum(i.col_rows.nbytes * 6 for i in self._incidence.values())
        total += sum(f.chosen.nbytes for f in self._exact.values())
        data = self.space.data
        total += data.commute.nbytes * 3 + data.levels.nbytes + data.required.nbytes * 9
        return int(total + 2_000 * (data.n_partners + data.n_positions))  # the parsed problem's objects

    def incidence(self, c: int) -> Incidence:
        if c not in self._incidence:
            self._incidence[c] = Incidence.of(self.model.components[c])
        return self._incidence[c]

    def relaxation(self, c: int, deadline: float | None = None, stop: StopFlag | None = None) -> Relaxation:
        """The LP relaxation of component c, solved on first use (and kept only when solved)."""
        if c in self._relaxation:
            return self._relaxation[c]
        relaxed = Relaxation(self.model.components[c], stop, deadline)
        if relaxed.solved:
            self._relaxation[c] = relaxed
        return relaxed

    @contextmanager
    def _asking(self) -> Iterator[None]:
        """A question from outside: it holds the insight, and the background precompute yields to it."""
        with self._asked:
            self._waiting += 1
        try:
            with self.lock:
                yield
        finally:
            with self._asked:
                self._waiting -= 1
                self._asked.notify_all()

    def bounds(self, k: int, deadline: float | None = None, stop: StopFlag | None = None) -> Forced:
        """The cheap answer for candidate k: repair and LP bound only (steps 1 and 2)."""
        with self._asking():
            return self._bounds(k, deadline, stop)

    def forced(self, k: int, deadline: float | None = None, stop: StopFlag | None = None) -> Forced:
        """The objective change of locking candidate k, exact unless the deadline or a stop cut it short.

        The allocation given is path-independent: the repaired one when the LP proves it, else the
        neighbourhood's when it is within the tolerance of the optimum, else the component MIP's
        (started from the neighbourhood's). Bounds learnt elsewhere (`top`) only save the proof.
        """
        with self._asking():
            return self._forced(k, deadline, stop)

    def _bounds(self, k: int, deadline: float | None = None, stop: StopFlag | None = None) -> Forced:
        with self.lock:
            if k in self._exact:
                return self._exact[k]
            if self.base.chosen[k]:
                return self._keep(Forced(k, 0.0, 0.0, self.base.chosen, True, "base"))
            c = int(self.comp_of[k])
            if c < 0 or not self._components_hold:
                score = float(self.space.cands.score[k])
                return Forced(k, -np.inf, min(score, 0.0) if self.base.proven else np.inf, self.base.chosen, False, "")
            comp, v = self.model.components[c], int(self.local_of[k])
            incidence = self.incidence(c)
            start = self.base.chosen[comp.pairs]
            best = repair(comp, incidence, start, v)
            high = self.relaxation(c, deadline, stop).forced_bound(v, stop, deadline)
            return self._answer(k, c, best, high, "repair")

    def _forced(self, k: int, deadline: float | None = None, stop: StopFlag | None = None) -> Forced:
        with self.lock:
            first = self._bounds(k, deadline, stop)
            if first.exact:
                return first
            c = int(self.comp_of[k])
            if c < 0 or not self._components_hold:
                return self._by_solve(k, deadline, stop)
            if time_is_up(deadline, stop):
                return first
            local = self._neighbourhood(k, first, deadline, stop)
            comp, v = self.model.components[c], int(self.local_of[k])
            base_value = self._base_value(c)
            high = min(first.change_upper + base_value, self._upper.get(k, np.inf))
            answer = self._answer(k, c, local.chosen[comp.pairs], high, "neighbourhood")
            if answer.exact or time_is_up(deadline, stop):
                return answer
            whole = reoptimise(
                comp,
                local.chosen[comp.pairs],
                None,
                np.array([v]),
                deadline=deadline,
                stop=stop,
                absolute_gap=0.5 * self.tolerance,
                options=PROOF_OPTIONS,
            )
            high = min(high, whole.bound)
            if whole.objective <= local.change + base_value + self.tolerance:
                return self._answer(k, c, local.chosen[comp.pairs], high, "neighbourhood")
            return self._answer(k, c, whole.chosen, high, "component")

    def _neighbourhood(self, k: int, first: Forced, deadline: float | None, stop: StopFlag | None) -> Forced:
        """Step 3, kept: the neighbourhood of the pair re-optimised from the repaired allocation."""
        if k in self._local:
            return self._local[k]
        c, v = int(self.comp_of[k]), int(self.local_of[k])
        comp = self.model.components[c]
        free = around(comp, self.incidence(c), np.array([v]), NEIGHBOURHOOD_SIZE)
        soon = time.monotonic() + NEIGHBOURHOOD_SECONDS
        local = reoptimise(
            comp,
            first.chosen[comp.pairs],
            free,
            np.array([v]),
            deadline=soon if deadline is None else min(deadline, soon),
            stop=stop,
            absolute_gap=0.5 * self.tolerance,
        )
        chosen = self.base.chosen.copy()
        chosen[comp.pairs] = local.chosen
        found = Forced(k, local.objective - self._base_value(c), first.change_upper, chosen, False, "neighbourhood")
        if not local.interrupted and (local.optimal or deadline is None or time.monotonic() < deadline):
            self._local[k] = found  # only a search that ran its course: the same answer every time
        return found

    def _base_value(self, c: int) -> float:
        comp = self.model.components[c]
        return float(comp.score[self.base.chosen[comp.pairs]].sum())

    def _answer(self, k: int, c: int, best: np.ndarray, high: float, method: str) -> Forced:
        comp = self.model.components[c]
        base_value = self._base_value(c)
        low = float(comp.score[best].sum())
        if self.base.proven:
            high = min(high, base_value)
        chosen = self.base.chosen.copy()
        chosen[comp.pairs] = best
        exact = high - low <= self.tolerance and self._holds(chosen, k)
        return self._keep(Forced(k, low - base_value, max(high, low) - base_value, chosen, exact, method))

    def _keep(self, answer: Forced) -> Forced:
        if answer.exact:
            self._exact[answer.candidate] = answer
        return answer

    def _holds(self, chosen: np.ndarray, k: int) -> bool:
        """The answer is labelled exact only when solver/certify.py (no code shared with the engines)
        finds the allocation holding the pair within every rule and recomputes its objective."""
        pairs = [self.space.ids(h) for h in np.flatnonzero(chosen).tolist()]
        certificate = certify(self.problem, pairs)
        ok = bool(chosen[k]) and certificate.feasible
        ok = ok and abs(certificate.objective - self.space.value(chosen)) <= self.tolerance / 10
        if not ok:
            log.error("the allocation forcing candidate %d failed its certificate; not reported as exact", k)
        return ok

    def _by_solve(self, k: int, deadline: float | None, stop: StopFlag | None) -> Forced:
        """Pairs outside the presolved model (a score <= 0): the engine's own solve with the lock."""
        best = locked_optimum(self.space, self.problem, self.base, k, deadline, stop)
        change = best.value - self.base.objective
        exact = best.proven and self._holds(best.chosen, k)
        upper = change if exact else (0.0 if self.base.proven else np.inf)
        return self._keep(Forced(k, change, upper, best.chosen, exact, "solve"))

    def top(
        self,
        pool: np.ndarray,
        k: int,
        deadline: float | None = None,
        stop: StopFlag | None = None,
        progress: ProgressCallback | None = None,
    ) -> tuple[list[Forced], bool]:
        """The k candidates of `pool` whose locking keeps the optimum highest, best first, and whether
        every answer is exact: `_top`, or a complete answer kept from before (by a question or the
        precompute), whose first k are the answer for any smaller k."""
        with self._asking():
            return self._top_of(pool, k, deadline, stop, progress)

    def _top_of(
        self, pool: np.ndarray, k: int, deadline: float | None, stop: StopFlag | None, progress: ProgressCallback | None
    ) -> tuple[list[Forced], bool]:
        """`_top`, or the complete answer kept for this pool (any smaller k is its first k)."""
        key = np.asarray(pool, dtype=np.int64).tobytes()
        with self.lock:
            kept = self._kept_top.get(key)
            if kept is not None and kept[0] >= k:
                return kept[1][:k], True
            found, complete = self._top(pool, k, deadline, stop, progress)
            if complete:
                self._kept_top[key] = (k, found)
            return found, complete

    def _top(
        self, pool: np.ndarray, k: int, deadline: float | None, stop: StopFlag | None, progress: ProgressCallback | None
    ) -> tuple[list[Forced], bool]:
        """The k candidates of `pool` whose locking keeps the optimum highest, best first (ties: the
        higher pair score, then the ids), and whether every answer is exact.

        Candidates whose upper bound cannot reach the k-th best lower bound are never re-optimised.
        The others are settled a component at a time by one MIP holding at least one of them: its
        optimum is the best of their locked optima (exact for those it holds), its bound an upper
        bound for all, so k candidates cost about k MIPs whatever the pool's size.
        """
        started = time.monotonic()
        with self.lock:
            known: dict[int, Forced] = {}
            for candidate in pool.tolist():
                # Bounding a large pool takes a while: a stop or the deadline ends it between candidates,
                # those left unbounded keep the trivial interval (and the answer says it is not exact).
                if time_is_up(deadline, stop):
                    known[int(candidate)] = Forced(int(candidate), -np.inf, np.inf, self.base.chosen, False, "")
                else:
                    known[int(candidate)] = self._bounds(int(candidate), deadline, stop)
            # Neighbourhood answers are near-exact lower bounds for little: they raise the k-th best
            # lower bound (so fewer candidates stay open) and give the MIPs below their start.
            for f in self._open(known, k):
                c = int(self.comp_of[f.candidate])
                if c >= 0 and self._components_hold and not time_is_up(deadline, stop):
                    local = self._neighbourhood(f.candidate, f, deadline, stop)
                    upper = min(f.change_upper, self._upper.get(f.candidate, np.inf) - self._base_value(c))
                    known[f.candidate] = self._answer(
                        f.candidate,
                        c,
                        local.chosen[self.model.components[c].pairs],
                        upper + self._base_value(c),
                        "neighbourhood",
                    )
            complete = True
            while True:
                open_ = self._open(known, k)
                if not open_:
                    break
                if time_is_up(deadline, stop):
                    complete = False
                    break
                if progress is not None:
                    progress(Progress(f"proving ({len(open_)} open)", time.monotonic() - started))
                lead = min(open_, key=lambda f: self._rank(f, upper=True))
                c = int(self.comp_of[lead.candidate])
                if c < 0 or not self._components_hold:
                    known[lead.candidate] = self._forced(lead.candidate, deadline, stop)
                    complete &= known[lead.candidate].exact
                    continue
                group = [f for f in open_ if int(self.comp_of[f.candidate]) == c]
                if not self._settle_one_of(c, group, known, deadline, stop):
                    complete = False
                    break
            chosen = sorted(
                (f for f in known.values() if (f.exact or not complete) and np.isfinite(f.change)),
                key=lambda f: self._rank(f, upper=False),
            )
            return chosen[:k], complete

    def pool(self, position: str | None = None, partner: str | None = None) -> tuple[np.ndarray, list[str]]:
        """The candidates recommend ranks for a position (or a partner): its eligible pairs that can be
        locked with the problem's locks, and a note for each that cannot."""
        space, cands = self.space, self.space.cands
        if position is not None:
            members = np.flatnonzero(cands.position == space.position_of(position))
        else:
            members = np.flatnonzero(cands.partner == space.partner_of(str(partner)))
        notes: list[str] = []
        open_pool: list[int] = []
        for c in members.tolist():
            conflict = None if self.base.chosen[c] else space.lock_conflict(c)
            if conflict is None:
                open_pool.append(c)
            else:
                partner_id, position_id = space.ids(c)
                notes.append(f"{partner_id} -> {position_id} cannot be placed: {conflict}")
        return np.array(open_pool, dtype=np.int64), notes

    def precompute(
        self,
        stop: StopFlag,
        k: int = TOP_K,
        busy: Callable[[], bool] | None = None,
        plan: Iterable[Item] | None = None,
    ) -> int:
        """Settle in the background what the portal asks most: the top k of every position, then of
        every partner, then the change of every other pair left out of the optimum (explain), in that
        order. Each answer is the one a question would get (same steps, kept the same way).

        Questions from outside go first: while one waits (or while `busy()` says other work needs the
        cores), the search under way is stopped and taken up again after. Returns how many items were
        settled; ends early when `stop` is set. `plan` replaces the default order (`plan()`): items
        ("top", pool) and ("pair", [candidate]).
        """
        if not self._components_hold or not self.base.proven:
            return 0  # each question is then a solve of its own: nothing worth holding a core for
        settled = 0
        for kind, item in self.plan() if plan is None else plan:
            while not stop.is_set():
                with self._asked:
                    while (self._waiting or (busy is not None and busy())) and not stop.is_set():
                        self._asked.wait(0.2)
                turn = _Turn(self, stop, busy)
                with self.lock:
                    if self._waiting:
                        continue
                    if kind == "top":
                        done = self._top_of(item, k, None, turn, None)[1]
                    else:
                        done = self._forced(int(item[0]), None, turn).exact
                if done or not turn.yielded:
                    settled += int(done)
                    break
            if stop.is_set():
                break
        log.info("insight %s: %d answer(s) precomputed", self.digest[:12], settled)
        return settled

    def plan(self) -> Iterator[Item]:
        """What `precompute` settles, most asked first: position pools, partner pools, single pairs."""
        data, cands = self.space.data, self.space.cands
        with_pairs = np.zeros(data.n_positions, dtype=bool)
        with_pairs[cands.position] = True
        for j in np.flatnonzero(with_pairs).tolist():
            yield "top", self.pool(position=data.position_ids[j])[0]
        with_pairs = np.zeros(data.n_partners, dtype=bool)
        with_pairs[cands.partner] = True
        for i in np.flatnonzero(with_pairs).tolist():
            yield "top", self.pool(partner=data.partner_ids[i])[0]
        for c in np.flatnonzero(~self.base.chosen & (self.comp_of >= 0)).tolist():
            yield "pair", np.array([c])

    def _open(self, known: dict[int, Forced], k: int) -> list[Forced]:
        """The candidates still able to enter the k best: not exact, upper bound at least the k-th best
        lower bound, and above the k-th best exact value."""
        lows = sorted((f.change for f in known.values()), reverse=True)
        threshold = lows[k - 1] if len(lows) >= k else -np.inf
        exact = sorted((f.change for f in known.values() if f.exact), reverse=True)
        kth = exact[k - 1] if len(exact) >= k else -np.inf
        floor = max(threshold, kth) - self.tolerance
        return [f for f in known.values() if not f.exact and f.change_upper >= floor]

    def _settle_one_of(
        self, c: int, group: list[Forced], known: dict[int, Forced], deadline: float | None, stop: StopFlag | None
    ) -> bool:
        """One MIP over component c holding at least one of `group`; False when it was cut short."""
        comp = self.model.components[c]
        base_value = self._base_value(c)
        start = max(group, key=lambda f: (f.change, -f.candidate))
        witnesses = np.array([int(self.local_of[f.candidate]) for f in group])
        best = reoptimise(
            comp,
            start.chosen[comp.pairs],
            None,
            None,
            one_of=witnesses,
            deadline=deadline,
            stop=stop,
            absolute_gap=0.5 * self.tolerance,
            options=PROOF_OPTIONS,
        )
        for f in group:
            self._upper[f.candidate] = min(self._upper.get(f.candidate, np.inf), best.bound)
            upper = min(f.change_upper, best.bound - base_value)
            known[f.candidate] = Forced(f.candidate, f.change, max(upper, f.change), f.chosen, False, f.method)
        if not best.optimal:
            return False
        settled = True
        for f in group:
            if best.chosen[int(self.local_of[f.candidate])]:
                known[f.candidate] = self._forced(f.candidate, deadline, stop)
                settled &= known[f.candidate].exact
        return settled

    def _rank(self, f: Forced, upper: bool) -> tuple[float, float, str, str]:
        partner_id, position_id = self.space.ids(f.candidate)
        value = f.change_upper if upper else f.change
        return (-round(value, 9), -float(self.space.cands.score[f.candidate]), partner_id, position_id)


class _Turn(StopFlag):
    """The precompute's stop flag: set by its own stop, or while a question from outside waits (or
    other work is busy)."""

    def __init__(self, insight: Insight, stop: StopFlag, busy: Callable[[], bool] | None = None) -> None:
        super().__init__()
        self.insight, self.outer, self.busy = insight, stop, busy
        self.yielded = False

    def is_set(self) -> bool:
        if self.outer.is_set() or super().is_set():
            return True
        if self.insight._waiting or (self.busy is not None and self.busy()):
            self.yielded = True
        return self.yielded
