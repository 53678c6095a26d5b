"""Runs of a workflow as the app sees them, whichever Sim API surface reported them.

Sim has two surfaces (legacy and v2, CONTRACT §0) that describe the same runs differently; the
client turns both into these types. A run's ``status`` is one :class:`RunStatus`; legacy job
states (``pending``/``processing``) map onto the same enum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

Surface = Literal["v2", "legacy"]


class RunStatus(StrEnum):
    """Where a run is in its life. ``UNKNOWN`` stands for a status this client does not know."""

    QUEUED = "queued"
    PENDING = "pending"
    PROCESSING = "processing"
    RUNNING = "running"
    PAUSED = "paused"
    REDACTING = "redacting"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: object) -> RunStatus:
        """The member named by ``value``; ``UNKNOWN`` for anything else."""
        try:
            return cls(str(value))
        except ValueError:
            return cls.UNKNOWN

    @property
    def is_terminal(self) -> bool:
        """Completed, failed or cancelled: nothing more will happen to the run."""
        return self in _TERMINAL

    @property
    def is_active(self) -> bool:
        """Waiting or working (not paused, not finished)."""
        return self in _ACTIVE


_TERMINAL = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED})
_ACTIVE = frozenset({RunStatus.QUEUED, RunStatus.PENDING, RunStatus.PROCESSING, RunStatus.RUNNING, RunStatus.REDACTING})


@dataclass(frozen=True, slots=True)
class RunError:
    """Why a run failed. ``code`` is Sim's (``TIMEOUT``, ``BLOCK_EXECUTION_FAILED`` …) or ``None``
    when the surface reports only a message (legacy). Block fields appear only on sync v2 results."""

    message: str
    code: str | None = None
    block_id: str | None = None
    block_name: str | None = None
    block_type: str | None = None


@dataclass(frozen=True, slots=True)
class ResponseBlockReply:
    """What a legacy Response block made the HTTP reply: its status, headers and JSON body."""

    status: int
    headers: Mapping[str, str]
    data: Any


@dataclass(frozen=True, slots=True)
class RunResult:
    """The settled outcome of a sync run (or a resume, or a reconciled run).

    ``status`` is completed, failed, paused or cancelled. ``output`` is the workflow's output
    (``None`` when absent). ``response`` is set only when a legacy Response block shaped the reply
    (then ``output`` is the block's body too). ``request_id`` is the server's ``x-request-id`` for
    the answer that carried the result (``None`` when it sent none, or when the result was
    reconstructed by polling the run): what support asks for when a run failed in-band.
    """

    run_id: str
    workflow_id: str
    status: RunStatus
    output: Any = None
    error: RunError | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_ms: float | None = None
    surface: Surface = "v2"
    response: ResponseBlockReply | None = None
    request_id: str | None = None

    @property
    def succeeded(self) -> bool:
        """True when the run completed."""
        return self.status is RunStatus.COMPLETED


@dataclass(frozen=True, slots=True)
class AsyncReceipt:
    """A queued run. ``status_url`` is rebuilt from the client's base URL (the server's own
    ``statusUrl`` may name a host the client cannot reach); ``reconciled`` is True when the
    enqueue answer was lost or ambiguous and the run was found by polling its id."""

    run_id: str
    workflow_id: str
    status_url: str
    job_id: str | None = None
    queue_position: int | None = None
    surface: Surface = "v2"
    reconciled: bool = False


@dataclass(frozen=True, slots=True)
class PauseInfo:
    """Why and where a run is paused. ``context_id`` is what :meth:`resume_run` needs."""

    context_id: str | None
    paused_at: datetime | None
    resume_at: datetime | None = None
    kind: str | None = None
    blocked_on_block_id: str | None = None


@dataclass(frozen=True, slots=True)
class Run:
    """A run as polling reports it (``get_run``, ``list_runs``, ``wait_for_run``)."""

    run_id: str
    workflow_id: str
    status: RunStatus
    trigger: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_ms: float | None = None
    cost: float | None = None
    error: RunError | None = None
    output: Any = None
    block_outputs: Mapping[str, Any] | None = None
    paused: PauseInfo | None = None
    surface: Surface = "v2"


@dataclass(frozen=True, slots=True)
class CancelResult:
    """The answer to a cancel request. Cancelling is asynchronous: poll until terminal.

    ``reason`` is Sim's (``recorded``, ``queue_cancelled``, ``already_completed`` …).
    """

    run_id: str
    success: bool
    reason: str | None
    durably_recorded: bool = False


@dataclass(frozen=True, slots=True)
class Job:
    """A legacy async job (``GET /api/jobs/{id}``). ``output`` is the workflow's output (already
    unwrapped from the job wrapper; ``None`` for a failed job); ``run_success`` is the wrapper's
    ``success``, which older servers set False on a ``completed`` job. ``error`` is the failure
    message: real Sim puts it on the job (``status: "failed"``, ``output: null``, ``error``), older
    servers inside the wrapper. :attr:`run_status` and :attr:`run_error` read either."""

    job_id: str
    status: RunStatus
    run_id: str | None = None
    workflow_id: str | None = None
    output: Any = None
    run_success: bool | None = None
    error: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def run_status(self) -> RunStatus:
        """The run's status: a ``completed`` job whose wrapper says ``success: false`` (as older
        servers report a failed run) is a failed run; real Sim says ``failed`` itself."""
        if self.status is RunStatus.COMPLETED and self.run_success is False:
            return RunStatus.FAILED
        return self.status

    @property
    def run_error(self) -> RunError | None:
        """Why the run failed (the job's ``error`` message), or ``None`` if it did not."""
        if self.error and self.status is not RunStatus.CANCELLED:
            return RunError(self.error)
        if self.run_status is RunStatus.FAILED:
            return RunError("The workflow reported failure")
        return None


LARGE_VALUE_KEY = "__simLargeValueRef"


def is_large_value_ref(value: object) -> bool:
    """True for Sim's placeholder for an output value too large to inline (CONTRACT §1).

    It is not a download link; show it as a placeholder (its ``size`` and ``preview``)."""
    return isinstance(value, Mapping) and value.get(LARGE_VALUE_KEY) is True
