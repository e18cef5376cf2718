"""Problems kept compiled, solved and relaxed for recommend and explain, within a byte budget.

Keyed by the problem's input digest, and by run id for finished runs (so a question on a stored
run reads neither the problem nor the result again). Least recently used first out; only a
proven base is kept, so nothing unproven is served twice.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from enmusubi.solver.insight import Insight

log = logging.getLogger(__name__)


class InsightCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, Insight] = OrderedDict()  # digest -> insight, oldest first
        self._runs: dict[str, str] = {}  # run id -> digest
        self._sizes: dict[str, int] = {}
        self._lock = threading.Lock()

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

    def _drop(self, digest: str) -> None:
        self._entries.pop(digest, None)
        self._sizes.pop(digest, None)
        for run_id in [r for r, d in self._runs.items() if d == digest]:
            del self._runs[run_id]

    @property
    def bytes_used(self) -> int:
        with self._lock:
            return sum(self._sizes.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
