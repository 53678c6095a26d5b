"""Running workflows and following runs, on whichever surface the server offers.

Every execute attempt sends its own run id (``X-Run-Id`` on v2, ``X-Execution-Id`` on legacy,
CONTRACT §15), so an attempt whose answer was lost can be looked up instead of repeated: when
the outcome is unknown (connection dropped after sending, a proxy's 5xx, an ambiguous enqueue)
the run is polled by that id first, and only if it does not exist is a new attempt made, with a
new id. A retry therefore never runs a workflow twice (§14 flaw 4).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from simdesk.api import parse_runs, routes
from simdesk.api.errors import (
    AmbiguousEnqueueError,
    APITimeoutError,
    ConflictError,
    NotFoundError,
    SimError,
)
from simdesk.api.files import encode_body, prepare_input
from simdesk.api.pages import AsyncPager, pages
from simdesk.api.responses import Reply, data_of, object_of
from simdesk.api.retry import is_ambiguous_enqueue, reconcile_delays
from simdesk.api.run_options import RunCall, StreamOptions
from simdesk.api.session import Session
from simdesk.api.streaming import EXECUTE_BUCKET, RunStream, decode_sse_body
from simdesk.core.json_text import loads
from simdesk.core.rates import ASYNC_EXECUTIONS, SYNC_EXECUTIONS
from simdesk.core.runs import AsyncReceipt, CancelResult, Job, Run, RunResult, RunStatus, Surface
from simdesk.core.stream_events import Final, RunFailed


def _is_legacy_result(reply: Reply) -> bool:
    try:
        return parse_runs.is_legacy_result(loads(reply.body))
    except ValueError:
        return False


T = TypeVar("T")


class Runs:
    """The run operations of :class:`simdesk.api.SimClient` (see its methods for the docs)."""

    def __init__(self, session: Session, *, run_timeout: float) -> None:
        self.s = session
        self.run_timeout = run_timeout

    # --- execute (sync) --------------------------------------------------------------------

    async def execute(
        self,
        call: RunCall,
        *,
        timeout: float | None,  # noqa: ASYNC109 - becomes the attempt's deadline
    ) -> RunResult:
        workflow_id = call.workflow_id
        inp = await prepare_input(call.input)
        deadline = timeout if timeout is not None else self.run_timeout
        v2 = encode_body(routes.v2_body(inp))

        async def on_v2(n: int) -> RunResult:
            rid = call.attempt_id(n)
            return await self._attempt(
                routes.v2_execute(workflow_id),
                v2,
                {"X-Run-Id": rid},
                rid,
                deadline,
                SYNC_EXECUTIONS,
                lambda reply: parse_runs.result_v2(
                    data_of(reply), workflow_id=workflow_id, run_id=rid, request_id=reply.request_id
                ),
            )

        async def on_legacy(n: int) -> RunResult:
            rid = call.attempt_id(n)

            def parse(reply: Reply) -> RunResult:
                body = reply.json()
                if parse_runs.is_legacy_result(body):
                    return parse_runs.result_legacy(
                        body, workflow_id=workflow_id, run_id=rid, request_id=reply.request_id
                    )
                return parse_runs.result_response_block(
                    reply.status, reply.headers, body, workflow_id=workflow_id, run_id=rid, request_id=reply.request_id
                )

            return await self._attempt(
                routes.legacy_execute(workflow_id),
                encode_body(routes.legacy_body(inp)),
                {"X-Execution-Id": rid},
                rid,
                deadline,
                SYNC_EXECUTIONS,
                parse,
                accept=_is_legacy_result,
            )

        return await self._start(on_v2, on_legacy, lambda surface: self._settled(workflow_id, surface))

    async def _start(
        self,
        on_v2: Callable[[int], Awaitable[T]],
        on_legacy: Callable[[int], Awaitable[T]],
        reconciler: Callable[[Surface], Callable[[SimError], Awaitable[T | None]]],
    ) -> T:
        """Start a run on v2 (or legacy when v2 is off), attempts retried and reconciled per surface."""
        return await self.s.either(
            lambda: self.s.retrying(on_v2, idempotent=False, reconcile=reconciler("v2")),
            lambda: self.s.retrying(on_legacy, idempotent=False, reconcile=reconciler("legacy")),
            feature="Running a workflow",
        )

    async def _attempt(
        self,
        path: str,
        body: bytes,
        headers: dict[str, str],
        run_id: str,
        deadline: float | None,
        execution_bucket: str,
        parse: Callable[[Reply], T],
        accept: Callable[[Reply], bool] | None = None,
    ) -> T:
        """One execute attempt, parsed. Every error carries the attempt's run id (so a lost or
        unreadable answer can be reconciled); an empty execution bucket is noted in ``rate_limits``."""
        try:
            reply = await self.s.send(
                "POST",
                path,
                body=body,
                headers=headers,
                bucket=EXECUTE_BUCKET,
                deadline=deadline,
                run_id=run_id,
                accept=accept,
                also=(execution_bucket,),  # a run spends an execution token too (budget, issue 7)
            )
            return parse(reply)
        except SimError as error:
            self.s.note_refusal(error, execution_bucket)
            error.run_id = error.run_id or run_id
            raise

    def _settled(self, workflow_id: str, surface: Surface) -> Callable[[SimError], Awaitable[RunResult | None]]:
        """Reconcile a sync run: if it exists, wait until it settles and report that."""

        async def reconcile(error: SimError) -> RunResult | None:
            run = await self._find(workflow_id, error, surface)
            if run is None:
                return None
            if run.status.is_active:
                try:
                    run = await self.wait_for_run(workflow_id, run.run_id, timeout=self.s.timeout, surface=surface)
                except SimError as lookup:
                    raise error from lookup
            return parse_runs.result_from_run(run)

        return reconcile

    async def _find(self, workflow_id: str, error: SimError, surface: Surface) -> Run | None:
        """Look for the run of a failed attempt a few times; ``None`` if it does not exist.

        A lookup that fails for another reason re-raises the attempt's own error (with its
        run id, so the caller can look later)."""
        assert error.run_id is not None
        delays = reconcile_delays(self.s.policy)
        for number in range(len(delays) + 1):
            try:
                return await self._get_run(workflow_id, error.run_id, True, surface)
            except NotFoundError:
                pass
            except SimError as lookup:
                raise error from lookup
            if number < len(delays):
                await self.s.policy.sleep(delays[number])
        return None

    # --- stream ----------------------------------------------------------------------------

    def stream(self, call: RunCall, options: StreamOptions) -> RunStream:
        return RunStream(self.s, self._find, call, deadline=self.run_timeout, options=options)

    # --- execute (async) -------------------------------------------------------------------

    async def execute_async(self, call: RunCall, *, execution_timeout_s: int | None) -> AsyncReceipt:
        workflow_id = call.workflow_id
        inp = await prepare_input(call.input)
        v2 = encode_body(routes.v2_body(inp, **{"async": True, "executionTimeoutSeconds": execution_timeout_s}))
        base = self.s.base_url

        async def on_v2(n: int) -> AsyncReceipt:
            rid = call.attempt_id(n)
            return await self._attempt(
                routes.v2_execute(workflow_id),
                v2,
                {"X-Run-Id": rid},
                rid,
                None,
                ASYNC_EXECUTIONS,
                lambda reply: parse_runs.receipt_v2(data_of(reply), base_url=base, workflow_id=workflow_id, run_id=rid),
            )

        async def on_legacy(n: int) -> AsyncReceipt:
            rid = call.attempt_id(n)
            headers = {"X-Execution-Id": rid, "X-Execution-Mode": "async"}
            if execution_timeout_s is not None:
                headers["X-Execution-Timeout-Seconds"] = str(int(execution_timeout_s))
            return await self._attempt(
                routes.legacy_execute(workflow_id),
                encode_body(routes.legacy_body(inp)),
                headers,
                rid,
                None,
                ASYNC_EXECUTIONS,
                lambda reply: parse_runs.receipt_legacy(
                    object_of(reply), base_url=base, workflow_id=workflow_id, run_id=rid
                ),
            )

        return await self._start(on_v2, on_legacy, lambda surface: self._queued(workflow_id, surface))

    def _queued(self, workflow_id: str, surface: Surface) -> Callable[[SimError], Awaitable[AsyncReceipt | None]]:
        """Reconcile an async enqueue: a run that exists is queued, whatever the answer said."""

        async def reconcile(error: SimError) -> AsyncReceipt | None:
            run = await self._find(workflow_id, error, surface)
            if run is not None:
                url = (parse_runs.v2_status_url if surface == "v2" else _legacy_run_url)(
                    self.s.base_url, workflow_id, run.run_id
                )
                return AsyncReceipt(
                    run_id=run.run_id,
                    workflow_id=workflow_id,
                    status_url=url,
                    surface=surface,
                    reconciled=True,
                )
            if is_ambiguous_enqueue(error):
                raise AmbiguousEnqueueError(
                    "Sim could not confirm the run was queued, and it cannot be found yet",
                    status=error.status,
                    code=error.code,
                    detail_code=error.detail_code,
                    request_id=error.request_id,
                    run_id=error.run_id,
                ) from error
            return None

        return reconcile

    # --- polling ---------------------------------------------------------------------------

    async def get_run(
        self, workflow_id: str, run_id: str, *, include_output: bool = False, selected_outputs: Sequence[str] = ()
    ) -> Run:
        return await self.s.either(
            lambda: self._get_run(workflow_id, run_id, include_output, "v2", selected_outputs),
            lambda: self._get_run(workflow_id, run_id, include_output, "legacy", selected_outputs),
            feature="Looking up a run",
        )

    async def _get_run(
        self, workflow_id: str, run_id: str, include_output: bool, surface: Surface, selected: Sequence[str] = ()
    ) -> Run:
        params: dict[str, str] = {}
        if include_output:
            params["includeOutput"] = "true"
        if selected:
            params["selectedOutputs"] = ",".join(selected)
        if surface == "v2":
            reply = await self.s.call(
                "GET", routes.v2_run(workflow_id, run_id), params=params or None, bucket="v2 runs.get"
            )
            return parse_runs.run_v2(data_of(reply), workflow_id=workflow_id)
        reply = await self.s.call(
            "GET", routes.legacy_execution(workflow_id, run_id), params=params or None, bucket=None
        )
        return parse_runs.run_legacy(object_of(reply), workflow_id=workflow_id)

    def list_runs(self, workflow_id: str, params: Mapping[str, str]) -> AsyncPager[Run]:
        async def generate() -> AsyncGenerator[Run, None]:
            async for page in pages(
                self.s,
                f"{routes.v2_workflow(workflow_id)}/runs",
                params,
                "v2 runs.list",
                feature="Listing runs",
            ):
                for item in page:
                    yield parse_runs.run_v2(item, workflow_id=workflow_id)

        return generate()

    async def wait_for_run(
        self,
        workflow_id: str,
        run_id: str,
        *,
        poll_interval: float = 1.0,
        max_interval: float = 15.0,
        timeout: float | None = None,  # noqa: ASYNC109 - counts the injected sleeps
        include_output: bool = True,
        stop_when_paused: bool = True,
        on_update: Callable[[Run], None] | None = None,
        surface: Surface | None = None,
    ) -> Run:
        """Poll until the run is terminal (or paused); intervals grow ×1.5 up to ``max_interval``.

        ``timeout`` counts the time slept between polls; when it runs out,
        :class:`APITimeoutError` (with the run id) is raised.
        """
        interval, waited = poll_interval, 0.0
        while True:
            if surface is None:
                run = await self.get_run(workflow_id, run_id, include_output=include_output)
            else:
                run = await self._get_run(workflow_id, run_id, include_output, surface)
            if on_update is not None:
                on_update(run)
            if run.status.is_terminal or (stop_when_paused and run.status is RunStatus.PAUSED):
                return run
            if timeout is not None and waited + interval > timeout:
                raise APITimeoutError(
                    f"The run is still {run.status.value} after {waited:.0f}s of waiting",
                    run_id=run_id,
                )
            await self.s.policy.sleep(interval)
            waited += interval
            interval = min(interval * 1.5, max_interval)

    async def get_job(self, job_id: str) -> Job:
        reply = await self.s.call("GET", routes.legacy_job(job_id), bucket=None)
        return parse_runs.job(object_of(reply), job_id=job_id)

    # --- cancel and resume ------------------------------------------------------------------

    async def cancel_run(self, workflow_id: str, run_id: str) -> CancelResult:
        async def v2() -> CancelResult:
            reply = await self.s.call("POST", f"{routes.v2_run(workflow_id, run_id)}/cancel", bucket="v2 runs.cancel")
            return parse_runs.cancel_result(data_of(reply), run_id=run_id)

        async def legacy() -> CancelResult:
            try:
                reply = await self.s.call("POST", f"{routes.legacy_execution(workflow_id, run_id)}/cancel", bucket=None)
            except ConflictError:  # legacy says 409 where v2 says "already_<status>"
                run = await self._get_run(workflow_id, run_id, False, "legacy")
                if not run.status.is_terminal:
                    raise
                return CancelResult(run_id, True, f"already_{run.status.value}")
            return parse_runs.cancel_result(object_of(reply), run_id=run_id)

        return await self.s.either(v2, legacy, feature="Cancelling a run")

    async def resume_run(
        self, workflow_id: str, run_id: str, context_id: str, workflow_input: object
    ) -> RunResult | AsyncReceipt:
        inp = await prepare_input(workflow_input)
        base = self.s.base_url

        async def v2(_: int) -> RunResult | AsyncReceipt:
            reply = await self.s.send(
                "POST",
                f"{routes.v2_run(workflow_id, run_id)}/resume",
                body={"contextId": context_id, "input": inp},
                bucket="v2 runs.resume",
                deadline=self.run_timeout,
            )
            data = data_of(reply)
            if reply.status == 202:
                return parse_runs.receipt_v2(data, base_url=base, workflow_id=workflow_id, run_id="")
            return parse_runs.result_v2(data, workflow_id=workflow_id, run_id="", request_id=reply.request_id)

        async def legacy(_: int) -> RunResult | AsyncReceipt:
            reply = await self.s.send(
                "POST",
                routes.legacy_resume(workflow_id, run_id, context_id),
                body={"input": inp},
                deadline=self.run_timeout,
                accept=_is_legacy_result,
            )
            new_id = reply.headers.get("x-execution-id") or ""
            if reply.headers.get("content-type", "").startswith("text/event-stream"):
                return _result_from_sse(reply, workflow_id=workflow_id, run_id=new_id)
            body = object_of(reply)
            if reply.status == 202 or body.get("status") == "queued":
                return parse_runs.receipt_legacy(body, base_url=base, workflow_id=workflow_id, run_id=new_id)
            return parse_runs.result_legacy(body, workflow_id=workflow_id, run_id=new_id, request_id=reply.request_id)

        return await self.s.either(
            lambda: self.s.retrying(v2, idempotent=False),
            lambda: self.s.retrying(legacy, idempotent=False),
            feature="Resuming a run",
        )


def _legacy_run_url(base_url: str, workflow_id: str, run_id: str) -> str:
    return parse_runs.legacy_status_url(base_url, workflow_id, run_id, None)


def _result_from_sse(reply: Reply, *, workflow_id: str, run_id: str) -> RunResult:
    """A legacy resume of a streamed run answers with a whole SSE body: read its terminal frame."""
    terminal = decode_sse_body(reply.body, run_id=run_id)
    if isinstance(terminal, Final):
        status = (
            RunStatus.PAUSED
            if terminal.status == "paused"
            else (RunStatus.COMPLETED if terminal.success else RunStatus.FAILED)
        )
        error = parse_runs.run_error(terminal.error) if terminal.error else None
        return RunResult(
            run_id=run_id,
            workflow_id=workflow_id,
            status=status,
            output=terminal.output,
            error=error,
            surface="legacy",
        )
    assert isinstance(terminal, RunFailed)
    return RunResult(
        run_id=run_id,
        workflow_id=workflow_id,
        status=RunStatus.FAILED,
        error=parse_runs.run_error(terminal.message),
        surface="legacy",
    )
