"""Serving real Sim's recorded answers back over loopback, so the real client can call them.

The captures in ``tests/fixtures/sim-0.8.9`` come in two kinds:

- ``NAME.headers`` + ``NAME.body``: the status line, headers and body of one answer. The headers
  were recorded with their hop-by-hop framing (``Transfer-Encoding: chunked``, ``Connection``,
  ``Keep-Alive``); those are dropped and the body is sent with a ``Content-Length`` instead.
- ``NAME.bin`` + ``NAME.bin.chunks.json``: the raw bytes of a streamed answer as read from the
  socket (status line, headers and chunked framing included), with each read's arrival time in
  seconds after the request. They are written back read by read at the recorded times, multiplied
  by the server's ``scale`` (0.05 replays an 8.7 s stream in under half a second).

The server is a plain asyncio one (no HTTP framework between the recorded bytes and the socket) on
a daemon thread with its own loop, like the sandbox. A request whose path matches a route
(:meth:`ReplayServer.on`) gets that route's capture; any other gets the capture at the head of the
script (:meth:`ReplayServer.play`; the last one repeats). Every request is recorded, so a test can
check the path the client used. Each connection answers one request and is then closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sim-0.8.9"

# framing the recording carried; the replay frames the body itself
_HOP_BY_HOP = frozenset({"transfer-encoding", "content-length", "connection", "keep-alive"})


@dataclass(frozen=True)
class Answer:
    """One recorded answer: ``status``, ``reason``, headers (in order) and body."""

    name: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (any case), or ``None``."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    @property
    def is_json(self) -> bool:
        """True when the answer says its body is JSON."""
        return "json" in (self.header("content-type") or "")

    @property
    def is_event_stream(self) -> bool:
        """True when the answer is an SSE stream."""
        return "text/event-stream" in (self.header("content-type") or "")

    def wire(self) -> bytes:
        """The answer as sent by the replay: hop-by-hop headers out, ``Content-Length`` in."""
        lines = [f"HTTP/1.1 {self.status} {self.reason}"]
        lines += [f"{k}: {v}" for k, v in self.headers if k.lower() not in _HOP_BY_HOP]
        lines += [f"Content-Length: {len(self.body)}", "Connection: close", "", ""]
        return "\r\n".join(lines).encode("latin-1") + self.body


@dataclass(frozen=True)
class WireRecording:
    """A streamed answer's raw bytes as read from the socket: ``(seconds after request, bytes)``."""

    name: str
    reads: tuple[tuple[float, bytes], ...]

    @property
    def raw(self) -> bytes:
        """All the bytes, as in ``NAME.bin``."""
        return b"".join(data for _, data in self.reads)


Capture = Answer | WireRecording


def answer_names() -> list[str]:
    """Every ``NAME`` with both ``NAME.headers`` and ``NAME.body`` (``redis/NAME`` for those
    recorded with Redis), sorted."""
    found = [
        p.relative_to(CAPTURES).with_suffix("").as_posix()
        for p in CAPTURES.rglob("*.headers")
        if p.with_suffix(".body").exists()
    ]
    return sorted(found)


def wire_names() -> list[str]:
    """Every ``NAME`` of a raw stream recording (``NAME.bin`` with its chunks file), sorted."""
    return sorted(p.relative_to(CAPTURES).as_posix()[: -len(".bin")] for p in CAPTURES.rglob("*.bin"))


def load_answer(name: str) -> Answer:
    """``NAME.headers`` + ``NAME.body``."""
    head = (CAPTURES / f"{name}.headers").read_bytes().decode("latin-1")
    lines = [line for line in head.replace("\r\n", "\n").split("\n") if line]
    _version, status, *reason = lines[0].split(" ", 2)
    headers = tuple((k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:]))
    body = (CAPTURES / f"{name}.body").read_bytes()
    return Answer(name, int(status), reason[0] if reason else "", headers, body)


def load_wire(name: str) -> WireRecording:
    """``NAME.bin`` split into its recorded reads with their arrival times.

    The chunks file holds ``[seconds, text]`` pairs whose text is the read's bytes as latin-1;
    the result is checked against ``NAME.bin`` so a drifted chunks file cannot pass silently."""
    pairs = json.loads((CAPTURES / f"{name}.bin.chunks.json").read_text("utf-8"))
    reads = tuple((float(at), str(text).encode("latin-1")) for at, text in pairs)
    recording = WireRecording(name, reads)
    if recording.raw != (CAPTURES / f"{name}.bin").read_bytes():
        raise ValueError(f"{name}.bin.chunks.json does not add up to {name}.bin")
    return recording


@dataclass(frozen=True)
class Request:
    """What the client sent: method, target (path and query, as sent), headers, body."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        """The target without its query, still percent-encoded as sent."""
        return self.target.partition("?")[0]


class ReplayServer:
    """A loopback server answering every request with recorded captures.

    ``play(*captures)`` sets the script: each request takes the next capture, and the last one
    answers every request after it. ``scale`` multiplies a wire recording's arrival times.
    """

    def __init__(self, *, scale: float = 1.0) -> None:
        self.scale = scale
        self.base_url: str = ""
        self.requests: list[Request] = []
        self._script: list[Capture] = []
        self._routes: list[tuple[str, re.Pattern[str], Capture]] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._closing = False
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        started: list[asyncio.Server] = []
        self._thread = threading.Thread(target=self._run, args=(ready, started), name="replay-server", daemon=True)
        self._thread.start()
        if not ready.wait(10) or not started:
            raise RuntimeError("the replay server did not start")
        self._server = started[0]
        port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"

    def play(self, *captures: Capture | str) -> ReplayServer:
        """Answer the next requests with ``captures`` (names load ``.bin`` if there is one, else
        ``.headers`` + ``.body``); forgets earlier routes and requests."""
        loaded = [load(c) if isinstance(c, str) else c for c in captures]
        with self._lock:
            self._script = loaded
            self._routes = []
            self.requests = []
        return self

    def on(self, method: str, path: str, capture: Capture | str) -> ReplayServer:
        """Answer ``method`` requests whose path (as sent, percent-encoded) fully matches the
        regular expression ``path`` with ``capture``, every time."""
        loaded = load(capture) if isinstance(capture, str) else capture
        with self._lock:
            self._routes.append((method.upper(), re.compile(path), loaded))
        return self

    def stop(self) -> None:
        """Close the server and every open connection, and end its thread."""
        asyncio.run_coroutine_threadsafe(self._shut(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _shut(self) -> None:
        me = asyncio.current_task()
        self._closing = True
        # Until nothing else runs on this loop: a connection accepted just now still gets its
        # handler (which sees ``_closing`` and hangs up); a handler mid-answer is cut off, dropping
        # what the client has not read rather than waiting for it to. The listening socket closes
        # only then: asyncio drops (and leaks) a connection accepted just before its server closed.
        for closing in (False, True):
            if closing:
                self._server.close()
            while others := {task for task in asyncio.all_tasks() if task is not me}:
                for writer in list(self._writers):
                    writer.transport.abort()
                for task in others & self._handlers:
                    task.cancel()
                _, pending = await asyncio.wait(others, timeout=5)
                if pending:
                    raise RuntimeError(f"the replay server could not stop {pending}")
        await asyncio.wait_for(self._server.wait_closed(), 5)  # every connection's socket is closed

    def _run(self, ready: threading.Event, started: list[asyncio.Server]) -> None:
        asyncio.set_event_loop(self._loop)
        started.append(self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0)))
        ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def _next(self, request: Request) -> Capture:
        with self._lock:
            self.requests.append(request)
            for method, pattern, routed in self._routes:
                if method == request.method and pattern.fullmatch(request.path):
                    return routed
            if not self._script:
                raise LookupError("the replay server has nothing to play")
            return self._script.pop(0) if len(self._script) > 1 else self._script[0]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        try:
            if not self._closing:
                await self._answer(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client hung up mid-answer, as a cancelling client does
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()
            self._writers.discard(writer)
            self._handlers.discard(task)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await _read_request(reader)
        if request is None:
            return
        started = self._loop.time()
        capture = self._next(request)
        if isinstance(capture, Answer):
            writer.write(capture.wire())
            await writer.drain()
            return
        for at, data in capture.reads:
            delay = started + at * self.scale - self._loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # the recorded pause between reads
            writer.write(data)
            await writer.drain()


def load(name: str) -> Capture:
    """The wire recording ``NAME.bin`` if there is one, else the answer ``NAME.headers``/``.body``."""
    return load_wire(name) if (CAPTURES / f"{name}.bin").exists() else load_answer(name)


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # a connection closed without a request (a pool probe)
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    length = int(headers.get("content-length") or 0)
    body = await reader.readexactly(length) if length else b""
    return Request(method, target, headers, body)


def replaying(scale: float = 1.0) -> Iterator[ReplayServer]:
    """A started server for a fixture: ``yield from replaying()``; stopped afterwards."""
    server = ReplayServer(scale=scale)
    try:
        yield server
    finally:
        server.stop()
