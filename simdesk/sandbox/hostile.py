"""A hostile HTTP server on loopback: answers no proper Sim would send, written byte by byte.

The sandbox (starlette + uvicorn) speaks Sim's contract, with fault knobs for the failures Sim
and its proxies really show. This server is for the rest, what a misconfigured proxy or a
malicious host could send: a stream line that never ends, a gzip bomb, JSON nested a million
deep, endless pages, absurd headers, garbage bytes. It runs a raw ``asyncio`` server on its own
thread; each connection carries one request, answered by a coroutine the test (or benchmark)
chooses, and is closed after it. Bodies without a length end when the connection closes.

    with HostileServer(gzip_bomb(10 * 2**30)) as server:
        SimClient(server.base_url, key).get_workflow("wf")  # ProtocolError, not MemoryError

``server.sent`` counts the body bytes written, so a test can tell that the client stopped
reading early rather than after the whole body.
"""

from __future__ import annotations

import asyncio
import json
import threading
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 429: "Too Many Requests", 503: "Service Unavailable"}
_PIECE = 64 * 1024


@dataclass
class Request:
    """One request as received: method, target (path and query), lower-cased headers, body."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]


@dataclass
class Connection:
    """The answering side of one connection; :meth:`send` counts what it writes."""

    writer: asyncio.StreamWriter
    server: HostileServer

    async def head(self, status: int, headers: Iterable[tuple[str, str]] = ()) -> None:
        """The status line and headers; add ``content-length`` yourself if the body has one."""
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Whatever')}", "connection: close"]
        lines += [f"{name}: {value}" for name, value in headers]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self.writer.drain()

    async def send(self, data: bytes) -> None:
        """Write body bytes (raises ``ConnectionError`` once the client has gone)."""
        self.writer.write(data)
        self.server.sent += len(data)
        await self.writer.drain()


Answer = Callable[[Request, Connection], Awaitable[None]]


@dataclass
class HostileServer:
    """Serves ``answer`` on ``host`` (a loopback address) on a free port, on its own thread."""

    answer: Answer
    host: str = "127.0.0.1"
    requests: list[Request] = field(default_factory=list)
    sent: int = 0
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> HostileServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def start() -> asyncio.Server:
            server = await asyncio.start_server(self._serve, self.host, 0)
            self.port = server.sockets[0].getsockname()[1]
            return server

        def main() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            server = self._loop.run_until_complete(start())
            ready.set()
            self._loop.run_forever()
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

        self._thread = threading.Thread(target=main, name=f"hostile-{self.host}", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target, _version = line.split(" ", 2)
            headers = {}
            for text in header_lines:
                if text:
                    name, _, value = text.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = Request(method, target, headers, body)
            self.requests.append(request)
            await self.answer(request, Connection(writer, self))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away: what a hostile answer is waiting for
        finally:
            writer.close()


# --- answers ---------------------------------------------------------------------------------


def reply(status: int, body: bytes | str, headers: Iterable[tuple[str, str]] = ()) -> Answer:
    """A whole answer with a ``content-length`` (JSON unless ``headers`` say otherwise)."""
    data = body.encode() if isinstance(body, str) else body
    extra = list(headers)
    if not any(name.lower() == "content-type" for name, _ in extra):
        extra.append(("content-type", "application/json"))

    async def answer(request: Request, conn: Connection) -> None:
        await conn.head(status, [*extra, ("content-length", str(len(data)))])
        await conn.send(data)

    return answer


def deep_json(depth: int) -> str:
    """A JSON array nested ``depth`` deep: a few bytes per level, a ``RecursionError`` for ``json.loads``."""
    return "[" * depth + "]" * depth


def endless_line(total: int, *, status: int = 200) -> Answer:
    """An event stream whose first line never ends: ``data: xxxx…`` for ``total`` bytes (or
    until the client hangs up), with no newline anywhere."""

    async def answer(request: Request, conn: Connection) -> None:
        await conn.head(status, [("content-type", "text/event-stream")])
        await conn.send(b"data: ")
        piece = b"x" * _PIECE
        for _ in range(total // _PIECE):
            await conn.send(piece)

    return answer


def well_formed_stream(total: int, *, chunk: int = 4096) -> Answer:
    """A proper Sim stream of about ``total`` bytes: chunk frames of ``chunk`` characters each,
    then the final frame and ``[DONE]`` (the baseline for :func:`endless_line`)."""
    frame = ("data: " + json.dumps({"blockId": "a", "chunk": "x" * chunk}) + "\n\n").encode()
    final = b'data: {"event":"final","data":{"success":true,"output":{}}}\n\ndata: "[DONE]"\n\n'
    per_write = max(1, _PIECE // len(frame))
    batch = frame * per_write

    async def answer(request: Request, conn: Connection) -> None:
        await conn.head(200, [("content-type", "text/event-stream")])
        for _ in range(total // len(batch)):
            await conn.send(batch)
        await conn.send(final)

    return answer


_BLOCK = 1024 * 1024


def gzip_bomb(total: int, *, status: int = 200, content_type: str = "application/json") -> Answer:
    """A gzip body that inflates to ``total`` zero bytes, streamed block by block (about 1 KiB
    per MiB of zeros: 10 GiB is ~10 MiB on the wire), never built whole in memory.

    Each MiB of zeros is compressed once and ended with a full flush, which resets the
    compressor: the same bytes then stand for every following MiB."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    zeros = bytes(_BLOCK)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush(zlib.Z_FINISH)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    per_write = max(1, _PIECE // len(block))

    async def answer(request: Request, conn: Connection) -> None:
        await conn.head(status, [("content-type", content_type), ("content-encoding", "gzip")])
        await conn.send(header)
        crc, left = 0, total // _BLOCK
        while left > 0:
            n = min(per_write, left)
            for _ in range(n):
                crc = zlib.crc32(zeros, crc)  # only for blocks sent: a client that stops early costs little
            await conn.send(block * n)
            left -= n
        size = (total // _BLOCK) * _BLOCK
        await conn.send(end + crc.to_bytes(4, "little") + (size & 0xFFFFFFFF).to_bytes(4, "little"))

    return answer
