"""Words for what the services report: connection checks and rate-limit states."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # type-only: the result types load with the client, after start-up
    from simdesk.core.rates import RateLimitState
    from simdesk.core.usage import ConnectionCheck

# Connection states the status bar distinguishes (each has its own icon colour and word).
OK, WARN, ERROR, BUSY, UNKNOWN = "ok", "warn", "error", "busy", "unknown"


def answered(check: ConnectionCheck) -> bool:
    """The server sent an HTTP answer (an error page, a proxy's reply), so it is reachable."""
    return getattr(check.problem, "status", None) is not None


def connection_state(check: ConnectionCheck) -> tuple[str, str]:
    """``(state, short text)`` for the status bar."""
    if check.ok:
        facts = [f"{check.plan} plan"] if check.plan else []
        facts.append("v2 API" if check.surface == "v2" else "v2 off")
        return OK, "Connected" + (f" · {' · '.join(facts)}" if facts else "")
    if not check.reachable:
        return ERROR, "Not Sim's API" if answered(check) else "Unreachable"
    if check.key_valid is False:
        return ERROR, "Key rejected"
    if check.key_valid is None and check.surface is None and check.problem is None:
        return WARN, "No API key"
    return WARN, "Connected with problems"


def check_lines(check: ConnectionCheck) -> list[tuple[bool | None, str]]:
    """One ``(passed, text)`` line per step of a check, for the "Test connection" result."""
    if check.reachable:
        first = "Server reachable"
    elif answered(check):  # it did answer: "not reachable" would contradict the sentence below
        first = "Server answered, but not as Sim's API"
    else:
        first = "Server not reachable"
    lines: list[tuple[bool | None, str]] = [(check.reachable, first)]
    if check.key_valid is True:
        lines.append((True, "API key accepted"))
    elif check.key_valid is False:
        lines.append((False, "API key rejected"))
    elif check.reachable:
        lines.append((None, "API key not checked"))
    if check.plan:
        lines.append((True, f"Plan: {check.plan}"))
    if check.surface == "v2":
        count = check.workspace_count
        ws = f" ({count} workspace{'s' if count != 1 else ''})" if count is not None else ""
        lines.append((True, f"v2 API on{ws}"))
    elif check.surface == "legacy":
        lines.append((None, "v2 API switched off: workflows run by id; browsing and logs unavailable"))
    return lines


def bucket_label(bucket: str) -> str:
    """A bucket name as people read it: "execution sync" → "runs & streams"."""
    if bucket.startswith("execution "):
        from simdesk.core.meter import bucket_label as meter_label  # kept off start-up

        return meter_label(bucket).lower()
    if bucket.startswith("v2 "):
        return bucket.removeprefix("v2 ")
    return bucket


def _left(state: RateLimitState) -> str:
    return f"{state.remaining}" + (f"/{state.limit}" if state.limit is not None else "")


def rate_summary(states: Iterable[RateLimitState], now: float | None = None) -> tuple[str, str]:
    """``(short text, tooltip)`` for the status bar; every bucket is listed in the tooltip.

    An empty bucket wins (with its reset countdown); otherwise the execution buckets, which
    are what people run into, e.g. "runs & streams 97/100 · background runs 400/400".
    """
    known = [s for s in states if s.remaining is not None]
    if not known:
        return "Rate limits: —", "No rate-limit information yet (self-hosted servers often send none)."
    now = time.time() if now is None else now
    limited = sorted((s for s in known if s.is_limited), key=lambda s: s.bucket)
    executions = sorted((s for s in known if s.bucket.startswith("execution ")), key=lambda s: s.bucket, reverse=True)
    if limited:
        first = limited[0]
        short = f"{bucket_label(first.bucket)}: {_left(first)}"
        if first.reset_at is not None:
            short += f" · resets in {max(0, round(first.reset_at.timestamp() - now))} s"
    elif executions:
        short = " · ".join(f"{bucket_label(s.bucket)} {_left(s)}" for s in executions)
    else:
        tightest = min(known, key=lambda s: s.fraction_left if s.fraction_left is not None else 1.0)
        short = f"{bucket_label(tightest.bucket)}: {_left(tightest)}"
    lines = []
    for s in sorted(known, key=lambda s: s.bucket):
        line = f"{bucket_label(s.bucket)}: {s.remaining}" + (f" of {s.limit}" if s.limit is not None else "") + " left"
        if s.per_minute:
            line += f" ({s.per_minute}/min)"
        lines.append(line)
    return short, "\n".join(lines)
