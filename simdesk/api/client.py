""":class:`SimClient`: the one object through which simdesk talks to a Sim server.

One client per profile (base URL + key), over one ``httpx.AsyncClient``. Use it as an async
context manager::

    async with SimClient("https://www.sim.ai", api_key) as sim:
        result = await sim.execute(workflow_id, {"message": "hi"})

It speaks v2 when the server offers it and the legacy routes when v2 is switched off, with the
same methods and results either way (a few v2-only features raise
:class:`FeatureUnavailableError`). Every error is a :class:`SimError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal, Unpack

import httpx

from simdesk.api.account import Account, LogFilters
from simdesk.api.bounded import MAX_BODY_BYTES
from simdesk.api.catalogue import Catalogue
from simdesk.api.directory import Directory
from simdesk.api.knowledge import Knowledge
from simdesk.api.pages import AsyncPager
from simdesk.api.query import build
from simdesk.api.retry import RetryPolicy
from simdesk.api.run_options import RunCall, StreamOptions
from simdesk.api.runs import Runs
from simdesk.api.session import Session
from simdesk.api.sse_text import MAX_EVENT_CHARS
from simdesk.api.streaming import RunStream
from simdesk.api.urls import normalize_base_url
from simdesk.core.base_url import DEFAULT_BASE_URL
from simdesk.core.budget import RequestBudget
from simdesk.core.catalogue import (
    Deployment,
    Folder,
    WorkflowDetail,
    WorkflowStatus,
    WorkflowSummary,
    Workspace,
)
from simdesk.core.knowledge import (
    KnowledgeBase,
    KnowledgeDocument,
    SearchRequest,
    SearchResults,
    TagDefinition,
    TagFilter,
)
from simdesk.core.rates import RateLimits
from simdesk.core.runs import AsyncReceipt, CancelResult, Job, Run, RunResult, Surface
from simdesk.core.usage import BillingStatus, ConnectionCheck, Health, LogEntry, UsageLimits
from simdesk.core.workspace_access import KeyKind, McpServer, McpTool, Member

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_RUN_TIMEOUT_S = 3300.0  # a little over Sim's longest sync cap (3000 s on paid plans)

RUN_FILTERS = {
    "status": "status",
    "trigger": "trigger",
    "start_date": "startDate",
    "end_date": "endDate",
    "order": "order",
    "page_size": "limit",
}


class SimClient:
    """An async client for one Sim server and key.

    Args:
        base_url: the server, default ``https://www.sim.ai``; a trailing ``/`` is dropped.
        api_key: the ``sk-sim-…`` key, or ``None`` for public workflows only.
        timeout: deadline in seconds for each attempt of an ordinary call; it is a total
            deadline, not a per-read socket timeout.
        run_timeout: deadline for sync ``execute`` calls, which last as long as the run, and for
            a stream's response headers, which Sim sends only with the run's first output.
        retry: the :class:`RetryPolicy` (tests pass one with a fake ``sleep``).
        transport: an httpx transport (tests pass ``httpx.MockTransport``).
        allow_insecure_http: allow ``http://`` to a non-loopback host (the key would be sent
            unencrypted).
        surface: ``"v2"`` or ``"legacy"`` to skip detection; ``None`` detects it.
        budget: the profile's :class:`RequestBudget`; every request then waits its turn there
            (at the calling task's priority), feeds it what the server reports, and a 429/503
            ``Retry-After`` pauses the whole profile (for at most ``retry.max_wait``).
        max_body: the largest answer body read, in bytes once decompressed (64 MiB); a larger
            one is a :class:`ProtocolError`, raised while reading, so a gzip bomb costs no memory.
        max_stream_line: the longest event (so the longest line) of a run's stream, in characters
            (16 Mi); a longer one ends the stream with :class:`ProtocolError`.

    Attributes:
        base_url: the normalised base URL.
        rate_limits: the latest ``X-RateLimit-*`` state per bucket; ``subscribe`` to follow it.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        run_timeout: float = DEFAULT_RUN_TIMEOUT_S,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_insecure_http: bool = False,
        surface: Surface | None = None,
        budget: RequestBudget | None = None,
        max_body: int = MAX_BODY_BYTES,
        max_stream_line: int = MAX_EVENT_CHARS,
    ) -> None:
        self.base_url = normalize_base_url(base_url, allow_insecure_http=allow_insecure_http)
        self._session = Session(
            self.base_url,
            api_key or None,
            timeout=timeout,
            policy=retry or RetryPolicy(),
            transport=transport,
            surface=surface,
            budget=budget,
            max_body=max_body,
            max_event=max_stream_line,
        )
        self._runs = Runs(self._session, run_timeout=run_timeout)
        self._catalogue = Catalogue(self._session)
        self._account = Account(self._session)
        self._knowledge = Knowledge(self._session)
        self._directory = Directory(self._session)

    def __repr__(self) -> str:
        return f"SimClient({self.base_url!r}, key={'set' if self._session.has_key else 'none'})"

    async def __aenter__(self) -> SimClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections. Open streams should be closed first."""
        await self._session.aclose()

    @property
    def rate_limits(self) -> RateLimits:
        """The latest rate-limit state per bucket (see :mod:`simdesk.core.rates`)."""
        return self._session.rate_limits

    @property
    def budget(self) -> RequestBudget | None:
        """The request budget every call goes through, if one was given."""
        return self._session.budget

    @property
    def surface(self) -> Surface | None:
        """``"v2"`` or ``"legacy"`` once known, ``None`` before the first telling answer."""
        return self._session.surface

    # --- catalogue ---------------------------------------------------------------------------

    async def list_workspaces(self) -> list[Workspace]:
        """Every workspace the key can see (v2)."""
        return await self._catalogue.list_workspaces()

    def list_workflows(
        self,
        workspace_id: str,
        *,
        folder_path: str | None = None,
        search: str | None = None,
        deployed_only: bool = False,
        page_size: int = 100,
    ) -> AsyncPager[WorkflowSummary]:
        """The workspace's workflows, across all pages: ``async for wf in client.list_workflows(ws)``.

        With v2 switched off it reads Sim's ungated v1 list instead, which knows less:

        * ``search`` is applied here, on the name, ignoring case (as v2 does on the server);
        * v1 names folders by id only and offers no way to resolve a path, so a workflow inside
          a folder comes back with ``folder_path`` ``""`` (unknown; ``"/"`` is the root), and a
          ``folder_path`` filter other than ``"/"`` (the root folder itself) raises
          :class:`FeatureUnavailableError`;
        * its requests draw on the shared ``"v1"`` bucket in :attr:`rate_limits`.
        """
        return self._catalogue.list_workflows(
            workspace_id,
            folder_path=folder_path,
            search=search,
            deployed_only=deployed_only,
            page_size=page_size,
        )

    async def list_folders(self, workspace_id: str) -> list[Folder]:
        """The workspace's folders (v2)."""
        return await self._catalogue.list_folders(workspace_id)

    async def get_workflow(self, workflow_id: str) -> WorkflowDetail:
        """One workflow with its declared ``inputs`` (v2), for building a run form."""
        return await self._catalogue.get_workflow(workflow_id)

    async def get_deployment(self, workflow_id: str) -> Deployment:
        """The workflow's deployment state (v2)."""
        return await self._catalogue.get_deployment(workflow_id)

    async def get_workflow_status(self, workflow_id: str) -> WorkflowStatus:
        """Deployed or not (works with v2 on or off)."""
        return await self._catalogue.get_workflow_status(workflow_id)

    # --- runs ------------------------------------------------------------------------------

    async def execute(
        self,
        workflow_id: str,
        input: object = None,
        *,
        run_id: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - a deadline for the run, passed down
    ) -> RunResult:
        """Run the deployed workflow and wait for its outcome.

        A failed run is a :class:`RunResult` with ``status`` failed, not an exception. ``input``
        is a mapping; paths and file objects in it are sent as files. ``run_id`` names the first
        attempt (retries derive new ids). ``timeout`` overrides the client's ``run_timeout``;
        when it expires the connection is closed, which cancels the run on the server.
        """
        return await self._runs.execute(RunCall(workflow_id, input, run_id), timeout=timeout)

    def stream(
        self,
        workflow_id: str,
        input: object = None,
        *,
        selected_outputs: Sequence[str] = (),
        include_thinking: bool = False,
        include_tool_calls: bool = False,
        run_id: str | None = None,
        keep_text: bool = True,
        on_raw: Callable[[str], object] | None = None,
    ) -> RunStream:
        """Run the workflow and iterate its live events; iteration ends after the terminal event.

        Only Agent blocks named in ``selected_outputs`` (e.g. ``"agent1.content"``) stream text.
        A stream that stops before its terminal event raises :class:`ProtocolError` (with the run
        id) after yielding what arrived. Closing the stream early cancels the run.

        The first event may take as long as ``run_timeout``: Sim answers a stream only when the
        run has its first output (an agent that thinks for minutes answers after minutes). Past
        that deadline :class:`APITimeoutError` says the run gave no output in time. After the
        first event there is no deadline (long silences are normal); a dead connection is
        noticed by TCP keepalive in about a minute.

        ``keep_text`` (default True) accumulates each block's answer text for ``Final.texts`` /
        ``RunFailed.texts``, which costs memory in proportion to the answer; a consumer that keeps
        the text itself passes False, and ``texts`` is then empty. ``on_raw(payload)`` is called
        with every SSE ``data`` payload as decoded, before it is interpreted (skipped and unknown
        frames and ``[DONE]`` too); it costs nothing when not given.
        """
        options = StreamOptions(selected_outputs, include_thinking, include_tool_calls, keep_text, on_raw)
        return self._runs.stream(RunCall(workflow_id, input, run_id), options)

    async def stream_text(
        self,
        workflow_id: str,
        input: object = None,
        *,
        selected_outputs: Sequence[str] = (),
        run_id: str | None = None,
    ) -> str:
        """Stream the run and return its answer text alone (see :meth:`RunStream.text`): the text
        of the Agent blocks named in ``selected_outputs``. A run that ends without completing
        raises :class:`RunFailedError`."""
        return await self.stream(workflow_id, input, selected_outputs=selected_outputs, run_id=run_id).text()

    async def execute_async(
        self,
        workflow_id: str,
        input: object = None,
        *,
        run_id: str | None = None,
        execution_timeout_s: int | None = None,
    ) -> AsyncReceipt:
        """Queue the run and return at once; follow it with :meth:`wait_for_run`/:meth:`get_run`.

        ``execution_timeout_s`` may lower (never raise) the server's async time cap.
        """
        return await self._runs.execute_async(
            RunCall(workflow_id, input, run_id), execution_timeout_s=execution_timeout_s
        )

    async def get_run(
        self, workflow_id: str, run_id: str, *, include_output: bool = False, selected_outputs: Sequence[str] = ()
    ) -> Run:
        """The run's current state (and its output, if asked and finished).

        ``selected_outputs`` (block ids, or ``blockId.path``) asks for those blocks' outputs as far
        as the run has got: how a long run shows progress before it ends."""
        return await self._runs.get_run(
            workflow_id, run_id, include_output=include_output, selected_outputs=selected_outputs
        )

    def list_runs(
        self,
        workflow_id: str,
        *,
        status: str | None = None,
        trigger: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        order: Literal["asc", "desc"] | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[Run]:
        """The workflow's recorded runs, newest first unless ``order="asc"`` (v2)."""
        filters = {
            "status": status,
            "trigger": trigger,
            "start_date": start_date,
            "end_date": end_date,
            "order": order,
            "page_size": page_size,
        }
        return self._runs.list_runs(workflow_id, build(filters, RUN_FILTERS, what="list_runs"))

    async def cancel_run(self, workflow_id: str, run_id: str) -> CancelResult:
        """Ask Sim to cancel the run (asynchronous: poll until terminal). Cancelling a finished
        run is a no-op with ``reason`` ``already_<status>`` on both surfaces."""
        return await self._runs.cancel_run(workflow_id, run_id)

    async def resume_run(
        self,
        workflow_id: str,
        run_id: str,
        context_id: str,
        input: object = None,
    ) -> RunResult | AsyncReceipt:
        """Resume a paused run (``context_id`` from ``run.paused``); this makes a new run id."""
        return await self._runs.resume_run(workflow_id, run_id, context_id, input)

    async def wait_for_run(
        self,
        workflow_id: str,
        run_id: str,
        *,
        poll_interval: float = 1.0,
        max_interval: float = 15.0,
        timeout: float | None = None,  # noqa: ASYNC109 - counts polling sleeps, see Runs
        include_output: bool = True,
        stop_when_paused: bool = True,
        on_update: Callable[[Run], None] | None = None,
    ) -> Run:
        """Poll with growing intervals until the run is terminal (or paused)."""
        return await self._runs.wait_for_run(
            workflow_id,
            run_id,
            poll_interval=poll_interval,
            max_interval=max_interval,
            timeout=timeout,
            include_output=include_output,
            stop_when_paused=stop_when_paused,
            on_update=on_update,
        )

    async def get_job(self, job_id: str) -> Job:
        """A legacy async job by its ``jobId``."""
        return await self._runs.get_job(job_id)

    # --- logs, usage, health ---------------------------------------------------------------

    def list_logs(self, workspace_id: str, **filters: Unpack[LogFilters]) -> AsyncPager[LogEntry]:
        """The workspace's run logs across all pages (v2, or ``/api/v1/logs`` on a server with v2
        switched off, where ``folder_paths`` cannot be used), filtered as :class:`LogFilters` says
        (e.g. ``client.list_logs(ws, workflow_ids=[wf], level="error", page_size=20)``)."""
        return self._account.list_logs(workspace_id, filters)

    async def get_log(self, run_id: str, workspace_id: str | None = None) -> LogEntry:
        """One run's log with trace spans and final output. With v2 switched off it is looked up
        in ``workspace_id``'s ``/api/v1/logs`` (which needs the workspace)."""
        return await self._account.get_log(run_id, workspace_id)

    async def get_usage_limits(self) -> UsageLimits:
        """The key's execution buckets and the user's spend (also updates ``rate_limits``)."""
        return await self._account.get_usage_limits()

    async def get_billing_status(self, workspace_id: str | None = None) -> BillingStatus:
        """Plan and credits of the workspace's payer (v2)."""
        return await self._account.get_billing_status(workspace_id)

    async def health(self) -> Health:
        """Whether the server answers at all."""
        return await self._account.health()

    async def check_connection(self, on_step: Callable[[str], None] | None = None) -> ConnectionCheck:
        """Health, then the key, then v2 detection: a result a settings dialog can show
        (``on_step`` hears each step as it begins)."""
        return await self._account.check_connection(on_step)

    # --- knowledge bases ---------------------------------------------------------------------

    async def list_knowledge_bases(self, workspace_id: str) -> list[KnowledgeBase]:
        """The workspace's knowledge bases (v1: works with v2 on or off)."""
        return await self._knowledge.list_bases(workspace_id)

    async def get_knowledge_base(self, workspace_id: str, knowledge_base_id: str) -> KnowledgeBase:
        """One knowledge base of the workspace (v1)."""
        return await self._knowledge.get_base(workspace_id, knowledge_base_id)

    async def list_tag_definitions(self, workspace_id: str, knowledge_base_id: str) -> list[TagDefinition]:
        """The base's tags: display name, slot and field type (v2)."""
        return await self._knowledge.tag_definitions(workspace_id, knowledge_base_id)

    async def list_documents(
        self,
        workspace_id: str,
        knowledge_base_id: str,
        *,
        tag_filters: tuple[TagFilter, ...] = (),
        search: str | None = None,
    ) -> list[KnowledgeDocument]:
        """The base's documents, all pages. With v2 they carry their tags and may be filtered by
        tag on the server; with v2 off they come from v1 without tags (``tags`` is ``None``)."""
        return await self._knowledge.list_documents(
            workspace_id, knowledge_base_id, tag_filters=tag_filters, search=search
        )

    async def search_knowledge(self, workspace_id: str, request: SearchRequest) -> SearchResults:
        """Search one or more bases (v1). A request Sim would refuse raises
        :class:`ValidationError` with Sim's message before anything is sent; a query counts
        against usage, so a search is not retried once it may have reached the server."""
        return await self._knowledge.search(workspace_id, request)

    # --- members, MCP, key -------------------------------------------------------------------

    async def list_members(self, workspace_id: str) -> list[Member]:
        """The workspace's members with their levels (v2)."""
        return await self._directory.list_members(workspace_id)

    async def list_mcp_servers(self, workspace_id: str) -> list[McpServer]:
        """The workspace's MCP servers (v2); header values are never sent by Sim."""
        return await self._directory.list_mcp_servers(workspace_id)

    async def list_mcp_tools(self, workspace_id: str, server_id: str, *, refresh: bool = False) -> list[McpTool]:
        """A server's tools with their input schemas (v2). Sim connects to the server for this
        and refuses it to a workspace-scoped key; ``refresh`` skips Sim's short tool cache."""
        return await self._directory.list_mcp_tools(workspace_id, server_id, refresh=refresh)

    async def key_kind(self) -> KeyKind:
        """Whether the key is personal or workspace-scoped (one v1 request; see
        :mod:`simdesk.api.directory`)."""
        return await self._directory.key_kind()
