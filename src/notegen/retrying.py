"""The one retry policy for network calls: transient errors only, backoff, and the server's Retry-After."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

import tenacity

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_RETRY_AFTER = 120.0  # seconds; a server asking for longer gets a failure that says so
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class Transient(Exception):
    """A failure worth another try; `retry_after` is the server's wish in seconds, if it said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.tries = 0  # set when retrying gives up


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not headers:
        return None
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class _Wait(tenacity.wait.wait_base):
    """Retry-After when the server gave one, else exponential backoff with jitter."""

    def __init__(self) -> None:
        self._backoff = tenacity.wait_exponential_jitter(initial=1, max=30, jitter=1)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        err = outcome.exception() if outcome is not None else None
        if isinstance(err, Transient) and err.retry_after is not None:
            return min(err.retry_after, MAX_RETRY_AFTER)
        return float(self._backoff(retry_state))


def call_with_retries(
    fn: Callable[[], T],
    attempts: int,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = None,
) -> T:
    """Call `fn`; on `Transient`, wait and try again, `attempts` times in all, then re-raise the last error
    with `tries` set on it. With a `deadline` (time.monotonic()), no try starts and no wait ends after it: a
    wait that would pass it ends the retrying at once."""

    def before_sleep(state: tenacity.RetryCallState) -> None:
        err = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0
        log.info("%s: %s; retrying in %.1f s", what, err, wait)

    def stop(state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= max(1, attempts):
            return True
        return deadline is not None and time.monotonic() + state.upcoming_sleep >= deadline

    retrying = tenacity.Retrying(
        stop=stop,
        wait=_Wait(),
        retry=tenacity.retry_if_exception_type(Transient),
        reraise=True,
        sleep=sleep,
        before_sleep=before_sleep,
    )
    tries = 0

    def counted() -> T:
        nonlocal tries
        tries += 1
        return fn()

    try:
        return retrying(counted)
    except Transient as err:
        err.tries = tries
        raise


def tries(err: Transient) -> str:
    """'after 1 try', 'after 3 tries': how often a failed call was tried."""
    n = err.tries or 1
    return f"after {n} {'try' if n == 1 else 'tries'}"
