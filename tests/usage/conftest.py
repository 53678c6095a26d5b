"""Fixtures for the usage meter and request budget tests: virtual time, fake clocks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from simdesk.core.rates import RateLimitState
from simdesk.core.virtual_time import VirtualTime

T0 = 1_787_316_000.0  # 2026-08-21T10:00:00Z, the sandbox ManualClock's default start


class FakeClock:
    """A settable clock for pure tests."""

    def __init__(self, start: float = T0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def vtime(fake_clock: FakeClock) -> VirtualTime:
    """Virtual sleeps on :func:`fake_clock`."""
    return VirtualTime(fake_clock, fake_clock.advance)


def header_state(
    bucket: str, limit: int, remaining: int, reset_at: float, observed_at: float, **extra: object
) -> RateLimitState:
    """A bucket state as the client builds it from ``X-RateLimit-*``."""
    return RateLimitState(
        bucket=bucket,
        limit=limit,
        remaining=remaining,
        reset_at=datetime.fromtimestamp(reset_at, tz=UTC),
        observed_at=observed_at,
        **extra,  # type: ignore[arg-type]
    )
