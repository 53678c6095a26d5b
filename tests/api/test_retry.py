"""The retry policy's decisions and timings, as pure functions (no I/O, no waiting)."""

from __future__ import annotations

import pytest

from simdesk.api import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    SimError,
    UsageLimitError,
    ValidationError,
)
from simdesk.api.retry import Action, after_reconcile, backoff, decide, reconcile_delays, retry_delay

POLICY = RetryPolicy()


@pytest.mark.parametrize("rand", [0.0, 0.3, 0.999, 1.0])
@pytest.mark.parametrize("retry_after", [1.0, 5.0, 30.0])
def test_a_wait_is_never_shorter_than_retry_after_and_jitter_only_adds(rand: float, retry_after: float) -> None:
    for attempt in range(4):
        delay = retry_delay(POLICY, attempt, retry_after, rand)
        base = max(retry_after, backoff(POLICY, attempt))
        assert base <= delay <= base * 1.25


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(POLICY, n) for n in range(8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_exact_timing_with_a_fake_random_source() -> None:
    assert retry_delay(POLICY, 0, 5.0, 0.0) == 5.0
    assert retry_delay(POLICY, 0, 5.0, 1.0) == 6.25
    assert retry_delay(POLICY, 2, None, 0.5) == 2.0 * 1.125


def test_rate_limits_wait_for_the_server_then_retry() -> None:
    decision = decide(POLICY, RateLimitError("slow down", status=429, retry_after=7), 0, idempotent=False, rand=0.0)
    assert decision.action is Action.RETRY
    assert decision.delay == 7.0


def test_a_wait_longer_than_max_wait_is_not_slept_but_raised() -> None:
    decision = decide(POLICY, RateLimitError("x", status=429, retry_after=600), 0, idempotent=True, rand=0.0)
    assert decision.action is Action.RAISE
    assert decision.delay == 600.0


def test_503_with_retry_after_is_retried_like_a_429() -> None:
    error = ServerError("Service temporarily unavailable", status=503, retry_after=5)
    decision = decide(POLICY, error, 1, idempotent=False, rand=0.2)
    assert decision.action is Action.RETRY
    assert decision.delay == pytest.approx(5 * 1.05)


def test_retries_stop_after_max_retries() -> None:
    error = RateLimitError("x", status=429, retry_after=1)
    assert decide(POLICY, error, POLICY.max_retries - 1, idempotent=True, rand=0).action is Action.RETRY
    assert decide(POLICY, error, POLICY.max_retries, idempotent=True, rand=0).action is Action.RAISE


@pytest.mark.parametrize(
    "error",
    [
        UsageLimitError("out of credit", status=402),
        ValidationError("bad", status=400),
        ConflictError("Run ID has already been used", status=409, detail_code="RUN_ID_CONFLICT"),
        AuthenticationError("Invalid API key", status=401),
        NotFoundError("Workflow not found", status=404),
        APITimeoutError("slow"),
        SimError("anything else"),
    ],
    ids=lambda e: type(e).__name__,
)
@pytest.mark.parametrize("idempotent", [True, False])
def test_never_retried(error: SimError, idempotent: bool) -> None:
    assert decide(POLICY, error, 0, idempotent=idempotent, rand=0.5).action is Action.RAISE


@pytest.mark.parametrize(
    "error",
    [
        ServerError(
            "Async execution queue acceptance could not be confirmed", status=503, code="ASYNC_ENQUEUE_AMBIGUOUS"
        ),
        ServerError("Service temporarily unavailable", status=503, detail_code="ASYNC_ENQUEUE_AMBIGUOUS"),
    ],
)
def test_ambiguous_enqueue_is_reconciled_and_never_retried_blindly(error: ServerError) -> None:
    assert decide(POLICY, error, 0, idempotent=False, rand=0).action is Action.RECONCILE
    assert after_reconcile(POLICY, error, 0, rand=0).action is Action.RAISE


def test_a_request_that_never_left_is_retried_even_when_it_starts_a_run() -> None:
    error = APIConnectionError("refused", request_sent=False)
    assert decide(POLICY, error, 0, idempotent=False, rand=0).action is Action.RETRY
    timeout = APITimeoutError("connect timeout", request_sent=False)
    assert decide(POLICY, timeout, 0, idempotent=False, rand=0).action is Action.RETRY


@pytest.mark.parametrize(
    "error",
    [
        APIConnectionError("reset by peer"),
        ServerError("Internal error", status=500),
        ProtocolError("HTML page", status=502),
        ProtocolError("malformed JSON", status=200),
    ],
)
def test_an_unknown_outcome_is_retried_when_idempotent_and_reconciled_when_it_starts_a_run(error: SimError) -> None:
    run_start = decide(POLICY, error, 0, idempotent=False, rand=0)
    assert run_start.action is Action.RECONCILE
    idempotent = decide(POLICY, error, 0, idempotent=True, rand=0)
    expected = Action.RAISE if error.status == 200 else Action.RETRY
    assert idempotent.action is expected
    assert after_reconcile(POLICY, error, 0, rand=0).action is Action.RETRY


def test_reconcile_polls_back_off() -> None:
    assert reconcile_delays(RetryPolicy(reconcile_polls=4)) == [0.5, 1.0, 2.0]
    assert reconcile_delays(RetryPolicy(reconcile_polls=1)) == []
