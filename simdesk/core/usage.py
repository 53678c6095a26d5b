"""Usage, billing, logs and connection health as the app shows them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simdesk.core.runs import RunStatus, Surface
from simdesk.core.spans import Span


@dataclass(frozen=True, slots=True)
class ExecutionLimit:
    """One execution bucket from ``usage-limits``: rate per minute, burst, tokens left."""

    per_minute: int | None
    max_burst: int | None
    remaining: int | None
    reset_at: datetime | None
    is_limited: bool = False


@dataclass(frozen=True, slots=True)
class UsageLimits:
    """``GET /api/users/me/usage-limits``: the key's execution buckets and the user's spend (USD)."""

    sync: ExecutionLimit | None
    async_: ExecutionLimit | None
    auth_type: str | None
    plan: str | None
    current_period_cost: float | None
    cost_limit: float | None
    storage_used_bytes: int | None = None
    storage_limit_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class BillingStatus:
    """``GET /api/v2/billing/status``: the payer's plan and credits for a workspace (or the user)."""

    workspace_id: str | None
    plan: str | None
    status: str | None
    period_start: datetime | None
    period_end: datetime | None
    credits_used: float | None
    credits_limit: float | None
    credits_remaining: float | None


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One run in the logs. ``cost`` is an opaque number (logs speak USD, runs speak credits).

    ``spans`` is the run's trace as a typed tree (real Sim nests the blocks under one workflow
    span; older servers list them flat); ``trace_spans`` keeps the raw objects."""

    run_id: str
    workflow_id: str | None
    status: RunStatus
    level: str | None
    trigger: str | None
    started_at: datetime | None
    ended_at: datetime | None
    duration_ms: float | None
    cost: float | None
    workflow_name: str | None = None
    final_output: Any = None
    trace_spans: Sequence[Mapping[str, Any]] = ()
    spans: tuple[Span, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Health:
    """``GET /api/health``: proves only that the server is reachable."""

    ok: bool
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """What a settings dialog shows after "Test connection" (CONTRACT §13).

    Each step is ``None`` when it was not reached. ``problem`` holds the error that stopped the
    check (a :class:`simdesk.api.SimError`), ``message`` a sentence for the user.
    """

    reachable: bool
    key_valid: bool | None
    surface: Surface | None
    plan: str | None
    workspace_count: int | None
    message: str
    problem: Exception | None = None

    @property
    def ok(self) -> bool:
        """Reachable, key accepted and the API surface known."""
        return self.reachable and bool(self.key_valid) and self.surface is not None
