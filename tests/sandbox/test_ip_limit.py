"""v2's pre-auth per-IP limit: 600 requests, then 300 a minute, refused like a request bucket (sim-api.md §0, §3)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.clock import ManualClock, iso
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox

CAPACITY, RATE = 600, 300
V2_PATH = "/api/v2/workspaces"
KEY = {"X-API-Key": demo.DEMO_KEY}


@pytest.fixture(scope="module")
def _private() -> Iterator[RunningSandbox]:
    # Its own sandbox, so that moving the clock a minute on touches no other test's timeline.
    with start_sandbox(SandboxConfig(clock=ManualClock())) as sb:
        yield sb


@pytest.fixture
def sb(_private: RunningSandbox) -> Iterator[RunningSandbox]:
    yield _private
    _private.reset()


def _manual(sb: RunningSandbox) -> ManualClock:
    assert isinstance(sb.clock, ManualClock)
    return sb.clock


def _keyless_statuses(client: httpx.Client, count: int) -> set[int]:
    return {client.get(V2_PATH).status_code for _ in range(count)}


def _drain(sb: RunningSandbox) -> None:
    """Empty loopback's bucket in-process; the first test shows the same thing over HTTP."""
    for _ in range(CAPACITY):
        sb.state.take("ip", "127.0.0.1")


def test_600_requests_are_admitted_then_the_next_is_refused_before_auth(sb: RunningSandbox) -> None:
    now = sb.clock.now()
    with httpx.Client(base_url=sb.base_url) as client:
        first = client.get(V2_PATH, headers=KEY)
        # the limit comes before auth, so 401s take tokens as successes do
        rest = _keyless_statuses(client, CAPACITY - 1)
        refused = client.get(V2_PATH, headers={"X-API-Key": "sk-sim-wrong"})
    assert first.status_code == 200 and rest == {401}
    assert first.headers["X-RateLimit-Limit"] == "60", "admitted responses describe the request bucket"
    assert refused.status_code == 429, "a bad key is refused by the IP limit, not by auth"
    error = {"code": "RATE_LIMITED", "message": "API rate limit exceeded", "details": {"retryAfter": iso(now + 60)}}
    assert refused.json() == {"error": error}
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["X-RateLimit-Limit"] == str(CAPACITY)
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Reset"] == iso(now + 60)
    assert refused.headers["Cache-Control"] == "private, no-store"
    assert "WWW-Authenticate" not in refused.headers


def test_an_empty_ip_bucket_gets_300_back_per_whole_minute(sb: RunningSandbox) -> None:
    clock = _manual(sb)
    _drain(sb)
    with httpx.Client(base_url=sb.base_url) as client:
        clock.advance(59)
        assert client.get(V2_PATH).status_code == 429, "the refill is stepwise, not continuous"
        clock.advance(1)
        assert _keyless_statuses(client, RATE) == {401}
        refused = client.get(V2_PATH)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["X-RateLimit-Reset"] == iso(clock.now() + 60)


def test_an_empty_ip_bucket_leaves_legacy_routes_and_other_addresses_alone(sb: RunningSandbox) -> None:
    _drain(sb)
    with httpx.Client(base_url=sb.base_url, headers=KEY) as client:
        assert client.get(V2_PATH).status_code == 429
        assert client.get(f"/api/workflows/{demo.ECHO_ID}/status").status_code == 200
        assert client.get("/api/users/me/usage-limits").status_code == 200
    # the whole of 127.0.0.0/8 is loopback, so a second source address is a second client IP
    other = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=sb.base_url, headers=KEY, transport=other) as client:
        assert client.get(V2_PATH).status_code == 200


def test_a_server_without_billing_keeps_the_ip_limit() -> None:
    # Sim's guard is a fixed bucket outside the plan limits that billing-disabled servers lift.
    with start_sandbox(SandboxConfig(clock=ManualClock(), billing=False)) as sb:
        _drain(sb)
        refused = httpx.get(sb.base_url + V2_PATH, headers=KEY)
    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Limit"] == str(CAPACITY)


def test_a_load_test_sandbox_can_drop_the_ip_limit() -> None:
    # benchmarks send thousands of requests from 127.0.0.1 (ip_limit=False, `--no-ip-limit`)
    with start_sandbox(SandboxConfig(clock=ManualClock(), billing=False, ip_limit=False)) as sb:
        _drain(sb)
        admitted = httpx.get(sb.base_url + V2_PATH, headers=KEY)
    assert admitted.status_code == 200
