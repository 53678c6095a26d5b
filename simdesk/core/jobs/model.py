"""Tracked background runs ("jobs"): what the job store keeps and the jobs panel shows.

A :class:`Job` is one async run simdesk follows on behalf of the user, whichever profile (server
and key) it belongs to. Jobs are immutable values: every change makes a new one with
:func:`dataclasses.replace`, so the store, the scheduler and the table model can hand them around
without copying or locking.

The life of a job (CONTRACT §4.3, §5.2, §7): it is written with its run id *before* the execute
request is sent (``acknowledged`` False), becomes acknowledged when Sim answers 202, then moves
through :class:`JobStatus` as polling observes it. Output and error are stored when the run ends,
so results outlive the server's retention (about a day for async results). ``UNKNOWN`` means the
server no longer knows the run; whatever was stored stays.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from simdesk.core.runs import PauseInfo, Run, RunStatus


class JobError(Exception):
    """A job operation the user asked for cannot be done; ``str()`` is for people."""


class JobStatus(StrEnum):
    """Where a tracked run is, as the tracker last saw it."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """Nothing more will be learnt by polling: the run ended, or the server forgot it."""
        return self in _FINAL

    @property
    def is_active(self) -> bool:
        """Queued or running: the server is (or will be) working on it."""
        return self in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def label(self) -> str:
        """The word shown to people ("Completed")."""
        return self.value.capitalize()


_FINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.UNKNOWN})

# Legacy job states and v2's transient "redacting" fold into the six states people care about.
_FROM_RUN = {
    RunStatus.QUEUED: JobStatus.QUEUED,
    RunStatus.PENDING: JobStatus.QUEUED,
    RunStatus.PROCESSING: JobStatus.RUNNING,
    RunStatus.RUNNING: JobStatus.RUNNING,
    RunStatus.REDACTING: JobStatus.RUNNING,  # post-completion scrubbing: not final yet
    RunStatus.PAUSED: JobStatus.PAUSED,
    RunStatus.COMPLETED: JobStatus.COMPLETED,
    RunStatus.FAILED: JobStatus.FAILED,
    RunStatus.CANCELLED: JobStatus.CANCELLED,
}


def job_status(status: RunStatus) -> JobStatus | None:
    """The job status for a run status; ``None`` for a status this client does not know."""
    return _FROM_RUN.get(status)


class Origin(StrEnum):
    """How a job came to be tracked."""

    STARTED = "started"  # "Run in background" in the run console (or any caller of start())
    ADOPTED = "adopted"  # "Track a run by id": started elsewhere (web UI, a script)
    RETRY = "retry"  # a new run with the input of an earlier job
    RESUME = "resume"  # the run a resume of a paused job created (Sim gives it a new id)


@dataclass(frozen=True, slots=True)
class PauseContext:
    """What the resume dialog needs: where the run waits and for what.

    ``context_id`` is what a resume request names; ``message`` and ``fields`` come from the pause
    point when the server reports them (they are shown, and ``fields`` become the form).
    """

    context_id: str | None
    paused_at: float | None = None
    kind: str | None = None
    block_id: str | None = None
    message: str | None = None
    fields: tuple[str, ...] = ()

    @classmethod
    def from_info(cls, info: PauseInfo) -> PauseContext:
        """From a polled run's ``paused`` block."""
        return cls(
            context_id=info.context_id,
            paused_at=info.paused_at.timestamp() if info.paused_at else None,
            kind=info.kind,
            block_id=info.blocked_on_block_id,
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (the store keeps it as text)."""
        return {
            "contextId": self.context_id,
            "pausedAt": self.paused_at,
            "kind": self.kind,
            "blockId": self.block_id,
            "message": self.message,
            "fields": list(self.fields),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PauseContext:
        """Inverse of :meth:`to_json` (tolerates missing keys)."""
        fields = data.get("fields") or ()
        return cls(
            context_id=data.get("contextId"),
            paused_at=data.get("pausedAt"),
            kind=data.get("kind"),
            block_id=data.get("blockId"),
            message=data.get("message"),
            fields=tuple(str(f) for f in fields if isinstance(f, str)),
        )


@dataclass(frozen=True, slots=True)
class Job:
    """One tracked run. Times are epoch seconds.

    Attributes:
        id: simdesk's own id for the row (stable across retries of the send).
        profile: the profile (server + key) the run belongs to.
        workflow_id, workflow_name: which workflow; the name may be empty when not known yet.
        workspace_id: the workflow's workspace when known (it lets polls be batched per workspace).
        run_id: Sim's run id (chosen by us before sending; a client retry may derive a new one).
        status: see :class:`JobStatus`.
        acknowledged: Sim confirmed the run exists (202 or found by id). False between writing
            the row and the answer: after a crash such a row is looked up before anything else.
        created_at: when the row was written (local clock).
        input: the workflow input we sent (JSON), ``None`` when not known (adopted runs).
        origin, parent_id: how the job came to be; a retry or resume names the job it came from.
        legacy_job_id: the legacy ``jobId`` when the run was queued on the legacy surface.
        started_at, ended_at: the server's times, when reported.
        last_checked_at: when polling last heard about the run.
        cost: Sim's cost figure (an opaque number), when reported.
        progress: a short hint ("7/12 · 58%") when the output carries one.
        output: the workflow's output, stored when the run ends.
        error, error_code: why the run failed (or was cancelled, or why the tracker gave up).
        pause: the pause context while paused.
        note: a remark for people ("Sim no longer has this run…").
        poll_interval_s: a per-job polling interval chosen by the user (``None`` = automatic).
        execution_timeout_s: the lower async time cap the run was started with, if any.
        updated_at: when the row last changed (local clock).
    """

    id: str
    profile: str
    workflow_id: str
    run_id: str
    created_at: float
    workflow_name: str = ""
    workspace_id: str | None = None
    status: JobStatus = JobStatus.QUEUED
    acknowledged: bool = False
    input: Any = None
    origin: Origin = Origin.STARTED
    parent_id: str | None = None
    legacy_job_id: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    last_checked_at: float | None = None
    cost: float | None = None
    progress: str | None = None
    output: Any = None
    error: str | None = None
    error_code: str | None = None
    pause: PauseContext | None = None
    note: str | None = None
    poll_interval_s: float | None = None
    execution_timeout_s: int | None = None
    updated_at: float = 0.0

    @staticmethod
    def new_id() -> str:
        """A fresh local job id."""
        return uuid.uuid4().hex

    @property
    def display_name(self) -> str:
        """The workflow's name, or a shortened id when the name is not known."""
        return self.workflow_name or f"Workflow {self.workflow_id[:8]}…"

    @property
    def has_input(self) -> bool:
        """True when the input is known, so the run can be retried with it."""
        return self.input is not None

    def elapsed(self, now: float) -> float | None:
        """Seconds the run has been running (or ran), from the server's start time when known."""
        start = self.started_at if self.started_at is not None else self.created_at
        end = self.ended_at if self.ended_at is not None else (None if not self.status.is_final else self.updated_at)
        return max(0.0, (end if end is not None else now) - start)


def observe(job: Job, run: Run, now: float) -> Job:
    """``job`` after a poll reported ``run``. Pure: returns the new value (maybe ``job`` itself).

    Output and error are kept only from reports that carry them, so a later report without
    them never erases what was stored. An unfamiliar status keeps the previous one (and says so).
    """
    status = job_status(run.status)
    note = job.note
    if status is None:
        status = job.status
        note = f"Sim reported an unfamiliar status “{run.status.value}”."
    elif job.status is JobStatus.UNKNOWN or status is not job.status:
        note = None if job.note and job.note.startswith("Sim reported") else job.note
    pause = job.pause
    if status is JobStatus.PAUSED and run.paused is not None:
        fresh = PauseContext.from_info(run.paused)
        # keep message/fields learnt from the pause point; the run only reports the basics
        pause = replace(fresh, message=pause.message, fields=pause.fields) if pause else fresh
    elif status is not JobStatus.PAUSED:
        pause = None
    progress = progress_hint(run.output) or progress_hint(run.block_outputs) or job.progress
    changes: dict[str, Any] = {
        "status": status,
        "acknowledged": True,
        "last_checked_at": now,
        "started_at": run.started_at.timestamp() if run.started_at else job.started_at,
        "ended_at": run.ended_at.timestamp() if run.ended_at else job.ended_at,
        "cost": run.cost if run.cost is not None else job.cost,
        "progress": progress,
        "pause": pause,
        "note": note,
    }
    if run.output is not None:
        changes["output"] = run.output
    if run.error is not None:
        changes["error"] = run.error.message
        changes["error_code"] = run.error.code
    elif status is JobStatus.CANCELLED and job.error is None:
        changes["error"] = "The run was cancelled."
        changes["error_code"] = "CANCELLED"
    new = replace(job, **changes)
    if _same_except_checked(job, new):
        return replace(job, last_checked_at=now)
    return replace(new, updated_at=now)


def _same_except_checked(old: Job, new: Job) -> bool:
    return replace(old, last_checked_at=None, updated_at=0.0) == replace(new, last_checked_at=None, updated_at=0.0)


def progress_hint(value: Any) -> str | None:
    """A short progress text from an output that carries ``progress`` (``{done, total, percent}``).

    Looks at ``value["progress"]`` and, for block outputs keyed by selector, at the last block
    whose value carries one (Sim reports only finished blocks, so the last is the furthest).
    """
    if not isinstance(value, Mapping):
        return None
    found = _progress_of(value.get("progress"))
    if found:
        return found
    for item in reversed(list(value.values())):
        if isinstance(item, Mapping):
            found = _progress_of(item.get("progress"))
            if found:
                return found
    return None


def _progress_of(progress: Any) -> str | None:
    if not isinstance(progress, Mapping):
        return None
    done, total, percent = progress.get("done"), progress.get("total"), progress.get("percent")
    parts = []
    if isinstance(done, int | float) and isinstance(total, int | float) and total:
        parts.append(f"{done:g}/{total:g}")
        if not isinstance(percent, int | float):
            percent = 100.0 * done / total
    if isinstance(percent, int | float):
        parts.append(f"{percent:.0f}%")
    return " · ".join(parts) or None
