"""The scheduler's :class:`~simdesk.core.jobs.source.RunSource` over :class:`simdesk.api.SimClient`.

It chooses the route (v2 run, v2 ``logs``/``runs`` list, legacy execution, legacy job), admits
every request with the budget first, and turns the client's typed errors into the few kinds of
:class:`~simdesk.core.jobs.source.PollFailure` the scheduler acts on.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Collection, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from simdesk.api import (
    APIConnectionError,
    AsyncPager,
    AuthenticationError,
    ConfigurationError,
    FeatureUnavailableError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ServerError,
    SimError,
    user_message,
)
from simdesk.core.jobs.model import Job
from simdesk.core.jobs.source import (
    Admit,
    ListsUnavailable,
    PollFailure,
    ProfileProblem,
    RateLimited,
    RunGone,
    RunProblem,
    Transient,
)
from simdesk.core.runs import Run
from simdesk.core.usage import LogEntry

if TYPE_CHECKING:
    from simdesk.api import SimClient

log = logging.getLogger("simdesk.services.jobs")

# Bucket names as the client records them (simdesk.core.rates): one v2 bucket per operation.
RUNS_GET = "v2 runs.get"
RUNS_LIST = "v2 runs.list"
LOGS_LIST = "v2 logs.list"
LEGACY = "legacy"  # legacy job/execution routes carry no rate-limit headers: never reported
LOGS_PAGE = 1000  # the logs list's largest page (CONTRACT §9)
RUNS_PAGE = 100  # the runs list's largest page


def failure(exc: SimError, *, listing: bool = False) -> PollFailure:
    """The scheduler's view of a client error (``listing``: it came from a batch list)."""
    text = user_message(exc)
    if isinstance(exc, RateLimitError):
        return RateLimited(text, retry_after=exc.retry_after)
    if isinstance(exc, ServerError) and exc.status == 503 and exc.retry_after:
        return RateLimited(text, retry_after=exc.retry_after)
    if isinstance(exc, AuthenticationError | ConfigurationError):
        return ProfileProblem(text)
    if isinstance(exc, APIConnectionError) or (
        isinstance(exc, ServerError | ProtocolError) and (exc.status or 0) >= 500
    ):
        return Transient(text)
    if listing:  # any other refusal of a list: fall back to per-run checks
        return ListsUnavailable(text)
    if isinstance(exc, NotFoundError):
        return RunGone(text)
    return RunProblem(text)


class ClientRunSource:
    """Runs of one profile, read through its client."""

    def __init__(self, client: SimClient) -> None:
        self._client = client

    @property
    def supports_lists(self) -> bool:
        return self._client.surface != "legacy"

    def _bucket(self, v2: str) -> str:
        return LEGACY if self._client.surface == "legacy" else v2

    async def get_run(self, job: Job, admit: Admit) -> Run:
        await admit(self._bucket(RUNS_GET))
        try:
            return await self._client.get_run(job.workflow_id, job.run_id, include_output=True)
        except NotFoundError as exc:
            if job.legacy_job_id and self._client.surface == "legacy":
                return await self._legacy_job(job, admit)
            raise failure(exc) from exc
        except SimError as exc:
            raise failure(exc) from exc

    async def _legacy_job(self, job: Job, admit: Admit) -> Run:
        """A legacy run not (yet) visible as an execution: ask its job (CONTRACT §7.1)."""
        assert job.legacy_job_id is not None
        await admit(LEGACY)
        try:
            found = await self._client.get_job(job.legacy_job_id)
        except SimError as exc:
            raise failure(exc) from exc
        return Run(
            run_id=job.run_id, workflow_id=job.workflow_id, status=found.run_status,
            output=found.output, error=found.run_error, surface="legacy",
        )  # fmt: skip

    async def list_workspace(
        self, workspace_id: str, workflow_ids: Collection[str], since: float, admit: Admit, max_pages: int
    ) -> Mapping[str, Run]:
        entries = self._client.list_logs(
            workspace_id,
            workflow_ids=sorted(workflow_ids),
            start_date=_when(since),
            include_final_output=True,
            order="asc",
            page_size=LOGS_PAGE,
        )
        runs: dict[str, Run] = {}
        async for entry in _paged(entries, admit, LOGS_LIST, LOGS_PAGE, max_pages):
            runs[entry.run_id] = _run_of_log(entry)
        return runs

    async def list_workflow(self, workflow_id: str, since: float, admit: Admit, max_pages: int) -> Mapping[str, Run]:
        listed = self._client.list_runs(workflow_id, start_date=_when(since), order="asc", page_size=RUNS_PAGE)
        runs: dict[str, Run] = {}
        async for run in _paged(listed, admit, RUNS_LIST, RUNS_PAGE, max_pages):
            runs[run.run_id] = run
        return runs


async def _paged[T](items: AsyncPager[T], admit: Admit, bucket: str, page: int, max_pages: int) -> AsyncIterator[T]:
    """Walk a paginated list, admitting each page's request first, reading at most ``max_pages``.

    The client fetches the next page when the previous one is used up, so a request happens
    exactly before item number ``k × page``.
    """
    count = 0
    try:
        while True:
            if count % page == 0:
                if count // page >= max_pages:
                    return
                await admit(bucket)
            try:
                item = await anext(items)
            except StopAsyncIteration:
                return
            except FeatureUnavailableError as exc:
                raise ListsUnavailable(user_message(exc)) from exc
            except SimError as exc:
                raise failure(exc, listing=True) from exc
            count += 1
            yield item
    finally:
        await items.aclose()


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _run_of_log(entry: LogEntry) -> Run:
    """A logs item as a run report: status, times, cost, and the final output when asked for."""
    return Run(
        run_id=entry.run_id,
        workflow_id=entry.workflow_id or "",
        status=entry.status,
        trigger=entry.trigger,
        started_at=entry.started_at,
        ended_at=entry.ended_at,
        duration_ms=entry.duration_ms,
        cost=entry.cost,
        output=entry.final_output,
    )
