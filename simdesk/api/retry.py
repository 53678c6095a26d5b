"""When to try a request again, and how long to wait: small pure functions over a policy.

The rules (sim-api.md §3.3, §15):

* 429 and 503 wait ``max(Retry-After, backoff) × (1 + jitter)`` with jitter in
  ``[0, policy.jitter]``: never less than the server asked (the official SDK jitters the wait
  *down* by up to 25 %, sim-api.md §14 item 2). A wait longer than ``policy.max_wait`` is not slept: the
  error is raised with its ``retry_after`` so the app can say when to come back.
* A request that certainly never left (connect error or connect timeout) is retried, whatever it
  was.
* Other network failures and 5xx answers are retried for idempotent calls. For a run-starting
  call they, and answers that cannot be read, are *ambiguous* (the run may exist): the caller
  must reconcile by looking the run up by its id first, and may retry only when it is not there.
* ``ASYNC_ENQUEUE_AMBIGUOUS`` is reconciled, never retried. 402, validation errors, 401/403/404,
  409 and client-side deadline timeouts are never retried.

``Retry-After`` is read from the failing response only (a stale value from an earlier response is
never reused, sim-api.md §14 item 2). Tests inject ``sleep`` and ``random`` to check the timing exactly.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum

from simdesk.api.errors import (
    APIConnectionError,
    APITimeoutError,
    ProtocolError,
    RateLimitError,
    ServerError,
    SimError,
)

AMBIGUOUS_ENQUEUE = "ASYNC_ENQUEUE_AMBIGUOUS"
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How persistent the client is. All times are seconds.

    Attributes:
        max_retries: retries after the first attempt (so ``max_retries + 1`` attempts).
        initial_backoff, multiplier, max_backoff: exponential backoff, ``initial × multiplier^n``
            capped at ``max_backoff``, used when the server gives no ``Retry-After``.
        jitter: the wait is multiplied by ``1 + jitter × random()``; never shortens it.
        max_wait: the longest single wait the client sleeps; a longer required wait is raised.
        reconcile_polls: how many times to look a run up by id after an ambiguous failure.
        sleep: the coroutine used to wait (tests pass a fake clock's).
        random: the source of jitter in ``[0, 1)``.
    """

    max_retries: int = 3
    initial_backoff: float = 0.5
    multiplier: float = 2.0
    max_backoff: float = 30.0
    jitter: float = 0.25
    max_wait: float = 120.0
    reconcile_polls: int = 3
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    random: Callable[[], float] = field(default=random.random, compare=False)


NO_RETRY = RetryPolicy(max_retries=0, reconcile_polls=1)


class Action(Enum):
    """What to do after a failed attempt."""

    RETRY = "retry"
    RECONCILE = "reconcile"
    RAISE = "raise"


@dataclass(frozen=True)
class Decision:
    """The outcome of :func:`decide`: an action, the wait before it, and why (for the log)."""

    action: Action
    delay: float = 0.0
    reason: str = ""


def backoff(policy: RetryPolicy, attempt: int) -> float:
    """Exponential backoff before retry number ``attempt + 1`` (``attempt`` counts from 0)."""
    return min(policy.initial_backoff * policy.multiplier**attempt, policy.max_backoff)


def retry_delay(policy: RetryPolicy, attempt: int, retry_after: float | None, rand: float) -> float:
    """``max(retry_after, backoff) × (1 + jitter × rand)``: at least what the server asked."""
    base = max(retry_after or 0.0, backoff(policy, attempt))
    return base * (1.0 + policy.jitter * min(max(rand, 0.0), 1.0))


def is_ambiguous_enqueue(error: SimError) -> bool:
    """True for Sim's "queue acceptance could not be confirmed" answer (legacy or v2)."""
    return AMBIGUOUS_ENQUEUE in (error.code, error.detail_code)


def _is_transient(error: SimError) -> bool:
    if isinstance(error, ServerError | ProtocolError):
        return error.status in _TRANSIENT_STATUSES
    return isinstance(error, APIConnectionError) and not isinstance(error, APITimeoutError)


def _outcome_unknown(error: SimError) -> bool:
    """For a run-starting call: the request may have been acted on, the answer is lost or bad."""
    return _is_transient(error) or isinstance(error, ProtocolError)


def decide(policy: RetryPolicy, error: SimError, attempt: int, *, idempotent: bool, rand: float) -> Decision:
    """What to do after attempt number ``attempt`` (from 0) failed with ``error``."""
    if is_ambiguous_enqueue(error):
        return Decision(Action.RECONCILE, reason="enqueue not confirmed")
    if isinstance(error, APIConnectionError) and not error.request_sent:
        return _retry(policy, attempt, None, rand, "request never sent")
    if isinstance(error, RateLimitError) or (isinstance(error, ServerError) and error.status == 503):
        retry_after = getattr(error, "retry_after", None)
        return _retry(policy, attempt, retry_after, rand, "throttled")
    if idempotent and _is_transient(error):
        return _retry(policy, attempt, None, rand, "transient failure")
    if not idempotent and _outcome_unknown(error):
        return Decision(Action.RECONCILE, reason="outcome unknown")
    return Decision(Action.RAISE, reason="not retryable")


def after_reconcile(policy: RetryPolicy, error: SimError, attempt: int, *, rand: float) -> Decision:
    """After reconciling found no run: retry a plain failure, never an ambiguous enqueue."""
    if is_ambiguous_enqueue(error):
        return Decision(Action.RAISE, reason="enqueue not confirmed and run not found")
    return _retry(policy, attempt, getattr(error, "retry_after", None), rand, "run not found")


def _retry(policy: RetryPolicy, attempt: int, retry_after: float | None, rand: float, reason: str) -> Decision:
    if attempt >= policy.max_retries:
        return Decision(Action.RAISE, reason=f"{reason}; retries exhausted")
    delay = retry_delay(policy, attempt, retry_after, rand)
    if delay > policy.max_wait:
        return Decision(Action.RAISE, delay=delay, reason=f"{reason}; wait {delay:.0f}s too long")
    return Decision(Action.RETRY, delay=delay, reason=reason)


def reconcile_delays(policy: RetryPolicy) -> list[float]:
    """Waits between the lookups of a run after an ambiguous failure (first lookup is at once)."""
    return [backoff(policy, i) for i in range(max(policy.reconcile_polls - 1, 0))]
