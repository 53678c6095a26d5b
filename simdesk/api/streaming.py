"""Streamed runs: open the SSE response (with retries before the first byte), split it into
events with :class:`~simdesk.api.sse_text.EventSplitter`, decode them with
:class:`~simdesk.api.sse.StreamDecoder`, and end after the terminal frame.

The body is decompressed step by step (:func:`~simdesk.api.bounded.decoded`) and decoded as UTF-8
incrementally, and the splitter ends lines at ``\\n``, ``\\r\\n`` or ``\\r``, so frames split
anywhere in the byte stream decode the same. An event longer than the session's ``max_event``
ends the stream with :class:`ProtocolError` (a line that never ends cannot exhaust memory).

The stream has no read timeout (Sim sends no keep-alives; long silences are normal), and its
headers may take as long as the run deadline: Sim sends them only with the run's first frame
(``tests/fixtures/sim-0.8.9/slow-stream-raw.bin.chunks.json``: 8.7 s for a workflow that waits
8 s). A dead peer is noticed by TCP keepalive (:mod:`simdesk.api.keepalive`). Closing a
:class:`RunStream` early closes the connection, which cancels the run on the server.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx

from simdesk.api import routes
from simdesk.api.bounded import decoded
from simdesk.api.errors import ProtocolError, RunFailedError, SimError
from simdesk.api.files import encode_body, prepare_input
from simdesk.api.run_options import RunCall, StreamOptions
from simdesk.api.session import Session, translate_error
from simdesk.api.sse import StreamDecoder
from simdesk.api.sse_text import EventSplitter
from simdesk.core.rates import SYNC_EXECUTIONS
from simdesk.core.runs import Run, Surface
from simdesk.core.stream_events import Final, RunFailed, StreamEvent, TerminalEvent

EXECUTE_BUCKET = "v2 execute"

FindRun = Callable[[str, SimError, Surface], Awaitable[Run | None]]
_Opened = tuple[AsyncExitStack, httpx.Response, str]


class RunStream:
    """The events of one streamed run: an async iterator and an async context manager.

    ``deadline`` bounds each attempt's wait for the response headers, which Sim sends only with
    the run's first frame (the client's ``run_timeout``).

    ``run_id`` is the id sent with the current attempt (``None`` before the request is made, and
    for key-less public runs, whose ids Sim does not take from the caller).

    ``keep_text=False`` keeps none of the answer text (the terminal event's ``texts`` is then
    empty), so reading a stream of any length takes bounded memory. ``on_raw``, if given, is
    called with each event's ``data`` payload exactly as decoded from the wire, before it is
    interpreted: unparsable and unknown frames and ``[DONE]`` included (an inspector's view); an
    exception it raises ends the stream.

    Example::

        async with client.stream(workflow_id, {"topic": "fog"}, selected_outputs=["agent1.content"]) as s:
            async for event in s:
                ...

    or, for the outcome alone, ``await stream.final()`` (the terminal event) or
    ``await stream.text()`` (the answer text of a completed run).
    """

    def __init__(
        self,
        session: Session,
        find: FindRun,
        call: RunCall,
        *,
        deadline: float,
        options: StreamOptions,
    ) -> None:
        self.run_id: str | None = None
        self._s = session
        self._deadline = deadline
        self._find = find
        self._call = call
        self._workflow_id = call.workflow_id
        self._controls = routes.stream_controls(
            options.selected_outputs, options.include_thinking, options.include_tool_calls
        )
        self._keep_text = options.keep_text
        self._on_raw = options.on_raw
        self._events: AsyncGenerator[StreamEvent, None] = self._generate()
        self._batches: AsyncGenerator[list[StreamEvent], None] | None = None

    def batches(self) -> AsyncGenerator[list[StreamEvent], None]:
        """The events a network read completes, a list at a time: for a consumer that handles
        events in bulk, one step per read instead of one per event. Use it or iterate the
        stream, not both."""
        self._batches = self._generate_batches()
        return self._batches

    def __aiter__(self) -> RunStream:
        return self

    def __anext__(self) -> Awaitable[StreamEvent]:
        return self._events.__anext__()  # no coroutine of our own around it: one per token

    async def aclose(self) -> None:
        """Stop reading and close the connection (the server then cancels an unfinished run)."""
        await self._events.aclose()
        if self._batches is not None:
            await self._batches.aclose()

    async def __aenter__(self) -> RunStream:
        return self

    async def final(self) -> TerminalEvent:
        """Read the stream to its end (then close it) and return its terminal event: a
        :class:`Final`, or a :class:`RunFailed` for a run that failed mid-stream."""
        terminal: TerminalEvent | None = None
        try:
            async for event in self:
                if isinstance(event, Final | RunFailed):
                    terminal = event
        finally:
            await self.aclose()
        if terminal is None:  # the stream raises before this when it stops early; kept for safety
            raise ProtocolError("The stream ended without its outcome", run_id=self.run_id)
        return terminal

    async def text(self) -> str:
        """Read the stream to its end and return the answer text of the completed run (every
        block's, in the order they started; see :attr:`Final.text`).

        A run that ends otherwise (failed, paused) raises :class:`RunFailedError` carrying its
        terminal event. Needs the text kept (``keep_text``, the default).
        """
        if not self._keep_text:
            raise ValueError("text() needs a stream opened with keep_text=True")
        terminal = await self.final()
        if isinstance(terminal, Final) and terminal.success and terminal.status == "completed":
            return terminal.text
        if isinstance(terminal, RunFailed):
            message = terminal.message
        else:
            message = terminal.error or f"the run ended {terminal.status}"
        raise RunFailedError(message, run_id=terminal.run_id, terminal=terminal)

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _open(self) -> _Opened:
        """Open the stream (retrying before the first byte), on v2 or the legacy route."""
        inp = await prepare_input(self._call.input)
        wf = self._workflow_id
        v2 = encode_body(routes.v2_body(inp, **self._controls))

        def opener(path: str, body: bytes, id_header: str) -> Callable[[int], Awaitable[_Opened]]:
            async def attempt(number: int) -> _Opened:
                rid = self._call.attempt_id(number)
                self.run_id = rid if self._s.has_key else None
                headers = {id_header: rid, routes.PROTOCOL_HEADER: routes.PROTOCOL}
                stack = AsyncExitStack()
                try:
                    response = await stack.enter_async_context(
                        self._s.open_stream(
                            path,
                            body=body,
                            headers=headers,
                            bucket=EXECUTE_BUCKET,
                            run_id=rid,
                            deadline=self._deadline,
                            also=(SYNC_EXECUTIONS,),  # a streamed run spends a sync execution token
                        )
                    )
                except SimError as error:
                    self._s.note_refusal(error, SYNC_EXECUTIONS)
                    raise
                return stack, response, rid

            return attempt

        return await self._s.either(
            lambda: self._s.retrying(
                opener(routes.v2_execute(wf), v2, "X-Run-Id"),
                idempotent=False,
                reconcile=self._never_twice("v2"),
            ),
            lambda: self._s.retrying(
                opener(
                    routes.legacy_execute(wf), encode_body(routes.legacy_body(inp, **self._controls)), "X-Execution-Id"
                ),
                idempotent=False,
                reconcile=self._never_twice("legacy"),
            ),
            feature="Streaming a run",
        )

    async def _generate(self) -> AsyncGenerator[StreamEvent, None]:
        batches = self._generate_batches()
        try:
            async for batch in batches:
                for event in batch:
                    yield event
        finally:
            await batches.aclose()  # at once: closing the connection is what cancels the run

    async def _generate_batches(self) -> AsyncGenerator[list[StreamEvent], None]:
        stack, response, rid = await self._open()
        async with stack:
            # decoded inline rather than in nested generators: this loop runs once per token
            decoder = StreamDecoder(self.run_id, keep_text=self._keep_text)
            feed = decoder.feed
            on_raw = self._on_raw
            source = _payloads(response, self._s.max_event)
            cut: SimError | None = None
            try:
                async for payloads in source:  # one step per network read, not per frame
                    events: list[StreamEvent] = []
                    for data in payloads:
                        if on_raw is not None:
                            on_raw(data)
                        event = feed(data)
                        if event is not None:
                            events.append(event)
                        elif decoder.done:
                            break  # what follows [DONE] is neither decoded nor shown raw
                    if events:
                        yield events
                    if decoder.done:
                        break
            except SimError as error:  # an event past the cap, a body that does not decompress
                error.run_id = error.run_id or rid
                raise
            except Exception as exc:
                cut = translate_error(exc, rid)
                if cut is None:
                    raise
            finally:
                await source.aclose()
            if decoder.terminal is None:
                raise _stopped_early(response, rid, cut)

    def _never_twice(self, surface: Surface) -> Callable[[SimError], Awaitable[Any]]:
        """After an ambiguous failure to open: if the run exists it cannot be streamed again, so
        the error stands (with its run id); only a run that does not exist is retried."""

        async def reconcile(error: SimError) -> None:
            if await self._find(self._workflow_id, error, surface) is not None:
                raise error
            return None

        return reconcile


async def _payloads(response: httpx.Response, max_event: int) -> AsyncGenerator[list[str], None]:
    """The ``data`` payloads of the events each network read completes (the UTF-8 is decoded
    incrementally, as SSE requires whatever the charset says; :class:`EventSplitter` finds the events)."""
    splitter = EventSplitter(max_event)
    text_of = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
    pieces = decoded(response)
    try:
        async for piece in pieces:
            yield splitter.feed(text_of(piece))
        yield splitter.feed(text_of(b"", True))
    finally:
        await pieces.aclose()  # type: ignore[attr-defined]
    yield splitter.end()


def _stopped_early(response: httpx.Response, run_id: str, cut: SimError | None) -> ProtocolError:
    """The error for a stream that stopped (cleanly or not) before its terminal frame."""
    how = "the connection dropped" if cut is not None else "the stream ended"
    error = ProtocolError(
        f"The run's stream stopped before the run finished ({how}); look the run up by its id",
        status=response.status_code,
        request_id=response.headers.get("x-request-id"),
        run_id=run_id,
    )
    error.__cause__ = cut
    return error


def decode_sse_body(body: bytes, *, run_id: str | None) -> TerminalEvent:
    """The terminal event of a complete SSE body (a legacy resume of a streamed run answers so)."""
    splitter = EventSplitter()
    decoder = StreamDecoder(run_id)
    for data in [*splitter.feed(body.decode("utf-8", errors="replace")), *splitter.end()]:
        decoder.feed(data)
        if decoder.done:
            break
    if decoder.terminal is None:
        raise ProtocolError("The run's stream ended before the run finished", run_id=run_id)
    return decoder.terminal
