"""Neighbourhoods re-optimised side by side: a batch of variable-disjoint neighbourhoods from one
incumbent, whose answers always merge into a feasible allocation.

Two neighbourhoods solved from the same incumbent could each spend a row's slack; merged, they would
overflow it. So in a batch, a row touched by more than one neighbourhood gives its slack to one of
them (the one with most entries in it) and the others may only re-use what their own incumbent
pairs free there: per row, Σ new usage ≤ Σ old usage + slack = capacity, and the merge holds every
row (it is checked all the same, as every allocation is). A batch of one is plain large-neighbourhood
search.

Pools run a batch: `InProcessPool` one task after another in this process (one core), `ProcessPool`
one task per worker process. A worker is a fresh interpreter (solver/isolated.py's way of starting
children, for the same reasons); it is sent the component once, then per task the incumbent (packed
bits), the free variables and the capacity held back. On a stop the workers are asked to interrupt
and any that has not answered within isolated.STOP_GRACE_SECONDS is killed: its neighbourhood keeps
its incumbent values.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol, cast

import numpy as np

from enmusubi.solver import isolated
from enmusubi.solver.model import Component
from enmusubi.solver.neighbourhood import reoptimise
from enmusubi.solver.outcome import StopFlag

log = logging.getLogger(__name__)

WORKER_ENTRY = "from enmusubi.solver.parallel_search import worker_main; worker_main()"
PROCESSES_VARIABLE = "ENMUSUBI_SEARCH_PROCESSES"


@dataclass(frozen=True)
class Task:
    """One neighbourhood: its free variables, the capacity held back on rows it shares, its time."""

    free: np.ndarray  # variable indices
    held_rows: np.ndarray  # rows whose slack belongs to another neighbourhood of the batch
    held: np.ndarray  # the capacity held back on each of them
    seconds: float
    seed: int
    absolute_gap: float
    options: Mapping[str, bool | int | float | str]


@dataclass(frozen=True)
class Answer:
    values: np.ndarray  # bool per free variable: the best found (the incumbent's when nothing better)
    optimal: bool
    seconds: float


def default_processes() -> int:
    """Processes for the neighbourhood search: ENMUSUBI_SEARCH_PROCESSES, else the cores this process may use."""
    text = os.environ.get(PROCESSES_VARIABLE, "").strip()
    if text:
        try:
            return max(int(text), 1)
        except ValueError:
            log.warning("%s=%r is not a whole number; using the cores", PROCESSES_VARIABLE, text)
    affinity = getattr(os, "sched_getaffinity", None)  # Linux; elsewhere every core counts
    return max(len(affinity(0)) if affinity is not None else (os.cpu_count() or 1), 1)


def batch_tasks(
    component: Component,
    incumbent: np.ndarray,
    frees: Sequence[np.ndarray],
    seconds: float,
    seed: int,
    absolute_gap: float,
    options: Sequence[Mapping[str, bool | int | float | str]],
) -> list[Task]:
    """Tasks for variable-disjoint neighbourhoods solved from one incumbent, each shared row's slack given
    to one of them, so that their answers merge feasibly."""
    k = len(frees)
    if k == 0:
        return []
    label = np.full(component.n_vars, -1, dtype=np.int64)
    for i, free in enumerate(frees):
        label[free] = i
    entry = label[component.a_col]
    in_batch = entry >= 0
    keys, counts = np.unique(component.a_row[in_batch] * k + entry[in_batch], return_counts=True)
    rows, owners = keys // k, keys % k
    labels_per_row = np.bincount(rows, minlength=component.n_rows)
    by_row = np.lexsort((-counts, rows))  # per row, the neighbourhood with most entries first
    first = by_row[np.r_[True, rows[by_row][1:] != rows[by_row][:-1]]] if len(by_row) else by_row
    owner = np.full(component.n_rows, -1, dtype=np.int64)
    owner[rows[first]] = owners[first]
    slack = np.maximum(component.capacity - component.usage(incumbent), 0.0)
    tasks = []
    for i, free in enumerate(frees):
        touched = rows[owners == i]
        held_rows = touched[(labels_per_row[touched] > 1) & (owner[touched] != i)]
        tasks.append(Task(free, held_rows, slack[held_rows], seconds, seed + i, absolute_gap, options[i]))
    return tasks


def merged(incumbent: np.ndarray, tasks: Sequence[Task], answers: Sequence[Answer | None]) -> np.ndarray:
    """The incumbent with every answered neighbourhood's values put in."""
    chosen = incumbent.copy()
    for task, answer in zip(tasks, answers, strict=True):
        if answer is not None:
            chosen[task.free] = answer.values
    return chosen


def solve_task(component: Component, incumbent: np.ndarray, task: Task, stop: StopFlag | None) -> Answer:
    started = time.monotonic()
    reserved = None
    if len(task.held_rows):
        reserved = np.zeros(component.n_rows)
        reserved[task.held_rows] = task.held
    found = reoptimise(
        component,
        incumbent,
        task.free,
        None,
        deadline=started + task.seconds,
        stop=stop,
        absolute_gap=task.absolute_gap,
        seed=task.seed,
        options=task.options,
        reserved=reserved,
    )
    return Answer(found.chosen[task.free], found.optimal, time.monotonic() - started)


class NeighbourhoodPool(Protocol):
    """Runs a batch of neighbourhoods of one component from one incumbent."""

    @property
    def workers(self) -> int: ...

    def load(self, component: Component) -> None: ...

    def run(self, incumbent: np.ndarray, tasks: Sequence[Task], stop: StopFlag | None) -> list[Answer | None]: ...

    def clock(self) -> float: ...

    def close(self) -> None: ...


class InProcessPool:
    """One task after another in this process."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self.component: Component | None = None

    def load(self, component: Component) -> None:
        self.component = component

    def run(self, incumbent: np.ndarray, tasks: Sequence[Task], stop: StopFlag | None) -> list[Answer | None]:
        assert self.component is not None
        return [solve_task(self.component, incumbent, task, stop) for task in tasks]

    def clock(self) -> float:
        return time.monotonic()

    def close(self) -> None:
        self.component = None


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    answers: Connection
    commands: Connection
    alive: bool = True


class ProcessPool:
    """One worker process per task of a batch; started at once (their imports overlap the caller's LP).
    Workers that died or were killed are not replaced; with none left, tasks run in this process."""

    def __init__(self, workers: int) -> None:
        self._pool = [_Worker(*isolated.start_child(WORKER_ENTRY)) for _ in range(workers)]
        self._here = InProcessPool()

    @property
    def workers(self) -> int:
        return max(sum(w.alive for w in self._pool), 1)

    def load(self, component: Component) -> None:
        self._here.load(component)
        for worker in self._pool:
            isolated.send(worker.commands, component)

    def run(self, incumbent: np.ndarray, tasks: Sequence[Task], stop: StopFlag | None) -> list[Answer | None]:
        alive = [w for w in self._pool if w.alive]
        if not alive:
            return self._here.run(incumbent, tasks, stop)
        answers: list[Answer | None] = [None] * len(tasks)
        packed = np.packbits(incumbent)
        waiting: dict[int, tuple[_Worker, float]] = {}
        for index, (task, worker) in enumerate(zip(tasks, alive, strict=False)):  # one per worker (width = workers)
            isolated.send(worker.commands, (index, packed, task))
            waiting[index] = (worker, time.monotonic() + task.seconds + isolated.TIME_LIMIT_GRACE_SECONDS)
        asked_at: float | None = None
        while waiting:
            by_pipe = {worker.answers: index for index, (worker, _) in waiting.items()}
            for ready in wait(list(by_pipe), timeout=isolated.POLL_SECONDS):
                pipe = cast(Connection, ready)
                worker, _ = waiting.pop(by_pipe[pipe])
                try:
                    answered, answer = pipe.recv()
                    answers[answered] = answer
                except (EOFError, OSError):
                    log.warning("a neighbourhood worker ended without an answer (exit code %s)", worker.process.poll())
                    worker.alive = False
            now = time.monotonic()
            if asked_at is None and stop is not None and stop.is_set():
                asked_at = now
                for worker, _ in waiting.values():
                    isolated.send(worker.commands, "stop")
            for index, (worker, until) in list(waiting.items()):
                if now > until or (asked_at is not None and now - asked_at > isolated.STOP_GRACE_SECONDS):
                    log.info("a neighbourhood worker did not stop in time (a phase polling no interrupt): ended")
                    worker.process.kill()
                    worker.alive = False
                    del waiting[index]
        return answers

    def clock(self) -> float:
        return time.monotonic()

    def close(self) -> None:
        for worker in self._pool:
            with contextlib.suppress(OSError):
                worker.commands.close()  # the worker reads EOF and ends
        for worker in self._pool:
            try:
                worker.process.wait(isolated.STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:  # still running: killed
                worker.process.kill()
                worker.process.wait(5)
            worker.answers.close()
        self._pool = []
        self._here.close()


def make_pool(processes: int) -> NeighbourhoodPool:
    """In this process for one, else worker processes (when this interpreter can start them)."""
    if processes <= 1 or not isolated.can_spawn():
        return InProcessPool()
    return ProcessPool(processes)


def worker_main() -> None:
    """A worker process: the component, then tasks until the parent closes the pipe."""
    commands, answers = isolated.child_pipes()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
    try:
        component: Component = commands.recv()
    except (EOFError, OSError):
        return  # closed before any search
    stop = StopFlag()
    tasks: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def listen() -> None:
        try:
            while True:
                message = commands.recv()
                if message == "stop":
                    stop.stop()
                else:
                    tasks.put(message)
        except (EOFError, OSError):
            stop.stop()
            tasks.put(None)

    threading.Thread(target=listen, name="enmusubi-neighbourhood-commands", daemon=True).start()
    while (message := tasks.get()) is not None:
        index, packed, task = message
        incumbent = np.unpackbits(packed, count=component.n_vars).astype(bool)
        answer = solve_task(component, incumbent, task, stop)
        with contextlib.suppress(OSError):
            answers.send((index, answer))
