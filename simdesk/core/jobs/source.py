"""What the scheduler needs from one profile's Sim connection, and how a check can fail.

The scheduler is Qt-free and HTTP-free: it talks to a :class:`RunSource`, which the services
layer implements over :class:`simdesk.api.SimClient` (translating the client's errors into the
:class:`PollFailure` kinds below, each of which the scheduler answers differently).

Every request a source makes is preceded by ``await admit(bucket)``, so the request budget sees
every poll (background priority) before it is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Protocol

from simdesk.core.jobs.model import Job
from simdesk.core.runs import Run

Admit = Callable[[str], Awaitable[None]]


class PollFailure(Exception):
    """A check that did not produce an answer. ``message`` is for people."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class RateLimited(PollFailure):
    """429 (or 503 with ``Retry-After``): nothing more may be sent on the profile for a while."""


class RunGone(PollFailure):
    """The server does not know this run (404)."""


class ListsUnavailable(PollFailure):
    """Batch lists cannot be used here (v2 switched off, or the list was refused)."""


class ProfileProblem(PollFailure):
    """The key is rejected or lacks access: nothing works until the user fixes the profile."""


class RunProblem(PollFailure):
    """This run cannot be checked right now (a 409, a malformed answer); others may be fine."""


class Transient(PollFailure):
    """The server could not be reached or failed (connection, timeout, 5xx): try later."""


class RunSource(Protocol):
    """One profile's view of runs. Methods raise :class:`PollFailure` subclasses only."""

    @property
    def supports_lists(self) -> bool:
        """True when batch lists (v2 ``logs`` and ``runs``) may be tried."""
        ...

    async def get_run(self, job: Job, admit: Admit) -> Run:
        """The run of ``job`` now, with its output when it has ended."""
        ...

    async def list_workspace(
        self, workspace_id: str, workflow_ids: Collection[str], since: float, admit: Admit, max_pages: int
    ) -> Mapping[str, Run]:
        """Runs of ``workflow_ids`` in the workspace started since ``since``, by run id (one
        v2 ``logs`` list, a page per request; completed runs carry their output)."""
        ...

    async def list_workflow(self, workflow_id: str, since: float, admit: Admit, max_pages: int) -> Mapping[str, Run]:
        """Runs of one workflow created since ``since``, by run id (v2 ``runs`` list; no output)."""
        ...
