"""Whether the database takes writes, and retrying the writes that must not be lost.

A run's state change that cannot be written (SQLite locked by another connection, a full or
read-only disk, PostgreSQL gone) is retried with exponential back-off rather than dropped, and
while any write fails or waits for a retry `/healthz` says `degraded` with the reason.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential

log = logging.getLogger(__name__)
T = TypeVar("T")

# What a retry can cure: the database refused or could not take the write now. Anything else
# (a value that is not JSON, a constraint) fails the same way every time and is not retried.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
FIRST_RETRY_SECONDS = 0.1
LONGEST_RETRY_WAIT_SECONDS = 5.0


def describe(error: BaseException) -> str:
    """One line for a database error: the driver's message, without SQLAlchemy's statement dump."""
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error).strip().splitlines()
    return f"{type(original or error).__name__}: {text[0] if text else ''}"


@dataclass(frozen=True)
class WriteState:
    degraded: bool
    reason: str | None
    since: float | None  # time.time() of the first failure of the current spell
    retrying: int  # writes waiting for their next try


class WriteHealth:
    """Thread-safe record of the latest write outcomes. Degraded from a failed write until one succeeds
    and no write is waiting for a retry."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reason: str | None = None
        self._since: float | None = None
        self._retrying = 0

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self._reason = describe(error)
            if self._since is None:
                self._since = time.time()

    def succeeded(self) -> None:
        with self._lock:
            if self._retrying == 0:
                if self._since is not None:
                    log.info("database writes succeed again after %.1f s", time.time() - self._since)
                self._reason = None
                self._since = None

    def state(self) -> WriteState:
        with self._lock:
            degraded = self._reason is not None or self._retrying > 0
            return WriteState(degraded, self._reason, self._since, self._retrying)

    def retry(self, write: Callable[[], T], *, what: str, within_seconds: float) -> T:
        """`write()` until it succeeds, backing off up to LONGEST_RETRY_WAIT_SECONDS between tries, for at most
        `within_seconds`; then the last error is raised. Errors that no retry cures are raised at once."""
        with self._lock:
            self._retrying += 1
        tries = 0

        def note(state: object) -> None:
            nonlocal tries
            tries += 1
            outcome = getattr(state, "outcome", None)
            error = outcome.exception() if outcome is not None else None
            log.warning("could not write %s (try %d), retrying: %s", what, tries, describe(error) if error else "?")

        retrying = Retrying(
            stop=stop_after_delay(within_seconds),
            wait=wait_exponential(multiplier=FIRST_RETRY_SECONDS, max=LONGEST_RETRY_WAIT_SECONDS),
            retry=retry_if_exception_type(TRANSIENT_ERRORS),
            before_sleep=note,
            reraise=True,
        )
        try:
            value = retrying(write)
        finally:
            with self._lock:
                self._retrying -= 1
        self.succeeded()  # the success inside counted while this write was still listed as retrying
        return value
