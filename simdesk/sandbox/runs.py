"""What both surfaces share about runs: quota checks, file inputs, and how a run is reported.

Each check returns a small :class:`Refusal` (why, and what the server attaches to it) or ``None``;
the legacy and v2 routes turn a refusal into their own envelope.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
from dataclasses import dataclass, field
from typing import Any

from simdesk.sandbox.buckets import retry_after_seconds
from simdesk.sandbox.clock import iso
from simdesk.sandbox.model import ApiKey, Workflow
from simdesk.sandbox.state import (
    BASE_EXECUTION_CHARGE,
    CAPACITY_LIMIT,
    CONCURRENCY_LIMIT,
    STORAGE_LIMIT_BYTES,
    Run,
    SandboxState,
)

RUN_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MAX_BODY_BYTES = 10 * 2**20
MAX_FILE_BYTES = 20 * 2**20
MAX_TIMEOUT_S = 604_800

USAGE_MESSAGE = "Usage limit exceeded. Please upgrade your plan to continue."
RATE_MESSAGE = "Rate limit exceeded. Please try again later."
CONCURRENCY_MESSAGE = (
    "Too many concurrent executions are in progress for this billing account. "
    "Please wait for some to finish and try again."
)
CAPACITY_MESSAGE = "Server is at capacity. Please retry shortly."

LEGACY_STATUS = {
    "queued": "pending",
    "pending": "pending",
    "running": "processing",
    "redacting": "processing",  # the job ends only once the run's log is written
    "paused": "completed",
    "completed": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
}


@dataclass(frozen=True)
class Refusal:
    """A quota refusal: ``kind`` is usage | rate | concurrency | capacity."""

    kind: str
    retry_after: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def check_quotas(state: SandboxState, key: ApiKey | None, *, asynchronous: bool, path: str) -> Refusal | None:
    """Usage (402) → execution bucket (429) → concurrency → capacity, in the server's order."""
    if state.usage_exceeded():
        return Refusal("usage")
    subject = key.user_id if key else "public"
    bucket = state.take("async" if asynchronous else "sync", subject)
    if not bucket.allowed:
        return Refusal("rate", retry_after_seconds(bucket, state.clock.now()))
    faults = state.faults
    if faults.consume("concurrency_429", path) or (
        not asynchronous and state.in_flight >= CONCURRENCY_LIMIT[state.plan]
    ):
        return Refusal("concurrency", 5)
    if faults.consume("capacity_429", path) or state.in_flight >= CAPACITY_LIMIT:
        return Refusal("capacity", 5)
    return None


class FileInputError(ValueError):
    """A file value the server cannot process; the message is the server's."""


_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(;[^;,]*)*),(?P<data>.*)$", re.DOTALL)


def convert_files(workflow: Workflow, values: dict[str, Any], run_hint: str) -> dict[str, Any]:
    """Upload inline files of declared ``file[]`` fields at the top level (§12)."""
    file_fields = {i["name"] for i in workflow.inputs if i.get("type") == "file[]"}
    out = dict(values)
    for name in file_fields & set(values):
        raw = values[name]
        items = raw if isinstance(raw, list) else [raw]
        converted = []
        for item in items:
            if not isinstance(item, dict) or item.get("type") not in ("file", "url"):
                converted.append(item)
                continue
            fname = str(item.get("name") or "file")
            if item["type"] == "url":
                converted.append(_stored(fname, str(item.get("mime") or "application/octet-stream"), 0, run_hint))
                continue
            match = _DATA_URL.match(str(item.get("data", "")))
            if not match or ";base64" not in match.group("params"):
                raise FileInputError(f"File processing failed: Invalid file data for {fname}")
            try:
                blob = base64.b64decode(match.group("data"), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise FileInputError(f"File processing failed: Invalid file data for {fname}") from exc
            if len(blob) > MAX_FILE_BYTES:
                raise FileInputError(f"File processing failed: Failed to upload file: {fname}")
            mime = str(item.get("mime") or match.group("mime") or "application/octet-stream")
            converted.append(_stored(fname, mime, len(blob), run_hint, blob))
        out[name] = converted
    return out


def _stored(name: str, mime: str, size: int, run_hint: str, blob: bytes = b"") -> dict[str, Any]:
    digest = hashlib.sha1(blob + name.encode() + run_hint.encode()).hexdigest()[:16]
    key = f"execution/{run_hint}/{digest}-{name}"
    return {
        "id": f"file_{digest}",
        "name": name,
        "url": f"/api/files/serve/{key}",
        "size": size,
        "type": mime,
        "key": key,
        "context": "execution",
    }


def start_output(workflow: Workflow, raw: dict[str, Any]) -> dict[str, Any]:
    """What the Start block outputs, and so what the run sees as its input.

    Declared string fields the caller left out read ``""`` (the field's empty configured value);
    ``input.<field>`` fills a field as the top level does, and the request's own keys, ``input``
    included, are kept: ``{"input": {"message": "w"}}`` gives ``{"message": "w", "input": {...}}``
    (``tests/fixtures/sim-0.8.9/sync-input-wrapped.body``, ``sync-empty-body.body``).
    """
    inner = raw.get("input")
    fields = {k: v for k, v in raw.items() if k != "input"}
    if isinstance(inner, dict):
        fields.update(inner)
    out: dict[str, Any] = {i["name"]: "" for i in workflow.inputs if i.get("type") == "string"}
    out.update(fields)
    if "input" in raw:
        out["input"] = inner
    return out


def sync_duration_ms(start: float, end: float) -> float:
    """A sync result's duration: fractional milliseconds, as Sim measures it with ``performance.now()``
    (``tests/fixtures/sim-0.8.9/sync-execute.body``: ``15.125469999969937``)."""
    return round(max(0.0, end - start) * 1000, 3)  # to the microsecond: finer is float noise of epoch seconds


# --- reporting a run --------------------------------------------------------------------------


def paused_block(state: SandboxState, run: Run, *, legacy: bool) -> dict[str, Any] | None:
    now = state.clock.now()
    status, _ = run.status(now)
    if status != "paused" or run.plan.pause is None:
        return None
    info: dict[str, Any] = {
        "contextId": run.context_id,
        "pausedAt": iso(run.start_at + run.run_length),
        "resumeAt": None,
        "pauseKind": run.plan.pause.get("pauseKind", "human"),
        "blockedOnBlockId": run.plan.pause.get("blockId"),
        "automaticResumeWaitingReason": None,
        "pausePointCount": 1,
        "resumedCount": 0,
    }
    if legacy:
        info["pausedExecutionId"] = f"pe_{run.id}"
    return info


def block_outputs(state: SandboxState, run: Run, selected: list[str]) -> dict[str, Any] | None:
    """Outputs of blocks that have finished by now, keyed by the selector as given."""
    if not selected:
        return None
    elapsed = run.elapsed(state.clock.now())
    done = {s.block_id: s.value for s in run.plan.steps_done(elapsed) if s.kind == "block_done"}
    out: dict[str, Any] = {}
    for sel in selected:
        block_id, _, path = sel.partition(".")
        if block_id in done:
            value = done[block_id]
            for part in [p for p in path.split(".") if p]:
                value = value.get(part) if isinstance(value, dict) else None
            out[sel] = value
    return out


def reported_times(run: Run, status: str, ended: float | None) -> tuple[str, str | None]:
    """``startedAt`` and ``endedAt`` as the run routes report them (a queued run: when it was queued)."""
    started = run.created_at if status == "queued" else run.start_at
    return iso(started), iso(ended) if ended is not None else None


def cost_of(state: SandboxState, run: Run) -> dict[str, Any] | None:
    status, _ = run.status(state.clock.now())
    if status in ("completed", "failed", "paused"):
        return {"total": run.plan.cost}
    if status == "cancelled":
        return {"total": BASE_EXECUTION_CHARGE}
    return None


def duration_ms(state: SandboxState, run: Run) -> int | None:
    _status, ended = run.status(state.clock.now())
    if ended is None:
        return None
    # a run cancelled while still queued ends before it would have started: it ran for 0 ms, not less
    return round(max(0.0, ended - run.start_at) * 1000)


def v2_error_object(state: SandboxState, run: Run) -> dict[str, Any] | None:
    """Polled runs: ``{code, message}`` rebuilt from the stored message (no block attribution).

    A cancelled run has none (``tests/fixtures/sim-0.8.9/redis/slow-v2-run-after-cancel.body``)."""
    now = state.clock.now()
    status, _ = run.status(now)
    text = run.error_text(now)
    if status != "failed" or text is None:
        return None
    if text.startswith("Execution timed out"):
        return {"code": "TIMEOUT", "message": text}
    return {"code": "EXECUTION_FAILED", "message": text}


def storage_block(state: SandboxState) -> dict[str, Any]:
    """Storage used by inputs kept with runs, against the plan's quota (usage-limits, billing)."""
    used = sum(len(str(r.input)) for r in list(state.runs.values())) + 1_048_576
    limit = STORAGE_LIMIT_BYTES[state.plan]
    return {"usedBytes": used, "limitBytes": limit, "percentUsed": round(100 * used / limit, 2)}


def retry_after_for(state: SandboxState, reset_at: float) -> str:
    return str(max(1, math.ceil(reset_at - state.clock.now())))
