"""Problems kept compiled, solved and relaxed for recommend and explain, within a byte budget.

Keyed by the problem's input digest, and by run id for finished runs (so a question on a stored
run reads neither the problem nor the result again). Least recently used first out; only a
proven base is kept, so nothing unproven is served twice.

With `precompute`, one background thread settles what the portal asks most of every problem
kept (Insight.precompute: the top k of every position and partner, then every pair), one problem
at a time, newest first; it yields to questions and to other work (`busy`), and stops when its
problem leaves the cache or the cache is closed. A question answered from there is a lookup.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from enmusubi.solver.insight import Insight
from enmusubi.solver.outcome import StopFlag

log = logging.getLogger(__name__)


class InsightCache:
    def __init__(self, max_bytes: int, precompute: bool = False, busy: Callable[[], bool] | None = None) -> None:
        self.max_bytes = max_bytes
        self.precompute = precompute
        self._busy = busy  # other work needs the cores (the worker pool's): the precompute waits meanwhile
        self._entries: OrderedDict[str, Insight] = OrderedDict()  # digest -> insight, oldest first
        self._runs: dict[str, str] = {}  # run id -> digest
        self._sizes: dict[str, int] = {}
        self._lock = threading.Lock()
        self._todo: list[str] = []  # digests waiting for the precompute, newest last
        self._done: set[str] = set()  # digests the precompute has finished (or started: not queued again)
        self._stops: dict[str, StopFlag] = {}  # the precompute under way, by digest
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self._thread: threading.Thread | None = None

    def for_run(self, run_id: str) -> Insight | None:
        with self._lock:
            digest = self._runs.get(run_id)
            return None if digest is None else self._touch(digest)

    def for_digest(self, digest: str) -> Insight | None:
        with self._lock:
            return self._touch(digest)

    def _touch(self, digest: str) -> Insight | None:
        insight = self._entries.get(digest)
        if insight is not None:
            self._entries.move_to_end(digest)
        return insight

    def keep(self, insight: Insight, run_id: str | None = None) -> None:
        """Keep (or re-measure, after it has learnt more) an insight with a proven base."""
        if not insight.base.proven or self.max_bytes <= 0:
            return
        digest = insight.digest
        size = insight.nbytes()
        with self._lock:
            if size > self.max_bytes:
                log.info(
                    "problem %s needs %d bytes, over the insight cache's %d: not kept",
                    digest[:12],
                    size,
                    self.max_bytes,
                )
                self._drop(digest)
                return
            self._entries[digest] = insight
            self._entries.move_to_end(digest)
            self._sizes[digest] = size
            if run_id is not None:
                self._runs[run_id] = digest
            while sum(self._sizes.values()) > self.max_bytes:
                oldest = next(iter(self._entries))
                self._drop(oldest)
            if self.precompute and digest in self._entries and digest not in self._done and not self._closed:
                if digest not in self._todo:
                    self._todo.append(digest)
                self._start_thread()
                self._wake.notify_all()

    def _drop(self, digest: str) -> None:
        self._entries.pop(digest, None)
        self._sizes.pop(digest, None)
        for run_id in [r for r, d in self._runs.items() if d == digest]:
            del self._runs[run_id]
        if digest in self._todo:
            self._todo.remove(digest)
        self._done.discard(digest)
        if digest in self._stops:
            self._stops[digest].stop()

    def _start_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._precompute_all, name="enmusubi-insight-precompute", daemon=True
            )
            self._thread.start()

    def _precompute_all(self) -> None:
        """The background thread: the newest problem waiting first, until the cache is closed."""
        while True:
            with self._lock:
                while not self._todo and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                digest = self._todo.pop()
                insight = self._entries.get(digest)
                if insight is None:
                    continue
                stop = self._stops[digest] = StopFlag()
                self._done.add(digest)
            try:
                insight.precompute(stop, busy=self._busy)
            except Exception:  # a convenience: questions are still answered the ordinary way
                log.exception("precompute of problem %s failed", digest[:12])
            with self._lock:
                self._stops.pop(digest, None)
                self._wake.notify_all()
            if not stop.is_set():
                self.keep(insight)  # re-measured: it holds every answer now

    def idle(self, timeout: float | None = None) -> bool:
        """Wait until the precompute has nothing waiting or under way; False when `timeout` passed first."""
        with self._lock:
            return self._wake.wait_for(lambda: not self._todo and not self._stops, timeout)

    def close(self) -> None:
        """Stop the precompute (its search ends at HiGHS's next callback) and wait for its thread."""
        with self._lock:
            self._closed = True
            for stop in self._stops.values():
                stop.stop()
            self._wake.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=30)

    @property
    def bytes_used(self) -> int:
        with self._lock:
            return sum(self._sizes.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
