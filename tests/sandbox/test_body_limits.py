"""The sandbox reads request bodies with care: the 10 MiB cap applies while the body arrives,
JSON nested too deep is a 400 in Sim's words, and a client leaving mid-body is one log line.

Over real loopback sockets (raw ones where httpx would not send what a hostile tool sends), plus
the middleware driven directly to count exactly how much of an endless body it reads.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from simdesk.sandbox import demo
from simdesk.sandbox.bodies import MAX_JSON_DEPTH, BodyLimit, json_depth
from simdesk.sandbox.runs import MAX_BODY_BYTES
from simdesk.sandbox.server import RunningSandbox
from tests.support.api import run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sim-0.8.9"
LEGACY = f"/api/workflows/{demo.ECHO_ID}/execute"
V2 = f"/api/v2/workflows/{demo.ECHO_ID}/execute"
CHUNK = 64 * 1024


def _connect(sb: RunningSandbox) -> socket.socket:
    url = urlsplit(sb.base_url)
    conn = socket.create_connection((url.hostname, url.port), timeout=10)
    return conn


def _head(sb: RunningSandbox, path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {urlsplit(sb.base_url).netloc}", f"X-API-Key: {sb.api_key}"]
    lines += ["Content-Type: application/json", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_response(conn: socket.socket) -> bytes:
    """One whole answer: its head, then its body (sent chunked, as Sim sends JSON, or not)."""
    data = b""
    while not _complete(data):
        piece = conn.recv(65536)
        if not piece:
            break
        data += piece
    return data


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    if b"transfer-encoding: chunked" in head.lower():
        return body.endswith(b"0\r\n\r\n")
    return body.rstrip().endswith(b"}")


def _body(response: bytes) -> bytes:
    """The body of ``response``, de-chunked."""
    head, _, body = response.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" not in head.lower():
        return body
    out = b""
    while body:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        out, body = out + rest[:size], rest[size + 2 :]
    return out


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (LEGACY, b'{"error":"Workflow execution request body exceeds maximum size"}'),
        (
            V2,
            b'{"error":{"code":"PAYLOAD_TOO_LARGE","message":"Workflow execution request body exceeds maximum size"}}',
        ),
    ],
    ids=["legacy", "v2"],
)
def test_a_declared_1_gib_body_is_refused_before_any_of_it_is_sent(
    sandbox: RunningSandbox, path: str, body: bytes
) -> None:
    with _connect(sandbox) as conn:
        conn.sendall(_head(sandbox, path, f"Content-Length: {2**30}"))  # and not one byte of it
        response = _read_response(conn)
    assert response.startswith(b"HTTP/1.1 413 ")
    assert _body(response) == body
    assert b"x-request-id:" in response.lower()


def test_a_chunked_upload_is_cut_off_at_the_cap(sandbox: RunningSandbox) -> None:
    """An endless chunked body: the server answers 413 once it has 10 MiB, and stops reading."""
    response: list[bytes] = []
    with _connect(sandbox) as conn:
        conn.sendall(_head(sandbox, LEGACY, "Transfer-Encoding: chunked"))
        reader = threading.Thread(target=lambda: response.append(_read_response(conn)))
        reader.start()
        sent = 0
        chunk = f"{CHUNK:x}\r\n".encode() + b" " * CHUNK + b"\r\n"
        try:
            while sent < 16 * MAX_BODY_BYTES and reader.is_alive():
                conn.sendall(chunk)
                sent += CHUNK
        except OSError:  # the server closed the connection: it read no more
            pass
        reader.join(10)
    assert response and response[0].startswith(b"HTTP/1.1 413 "), response
    assert sent < 16 * MAX_BODY_BYTES  # the server did not wait for the whole 160 MiB


def _drive(app: BodyLimit, scope: Scope, chunks: Iterator[bytes]) -> tuple[int, list[Message]]:
    """Run ``app`` on one request whose body is ``chunks``; (bytes it pulled, what it sent)."""
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        body = next(chunks)
        pulled += len(body)
        return {"type": "http.request", "body": body, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    run(app(scope, receive, send))  # a loop of its own, whatever loop the Qt suites left running
    return pulled, sent


async def _never_called(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("the route must not run")


def _endless() -> Iterator[bytes]:
    while True:
        yield b"x" * 1000


def _scope(*headers: tuple[bytes, bytes]) -> Scope:
    return {"type": "http", "method": "POST", "path": LEGACY, "headers": list(headers)}


def test_an_endless_body_is_read_only_up_to_the_cap() -> None:
    pulled, sent = _drive(BodyLimit(_never_called, limit=10_000), _scope(), _endless())
    assert 10_000 < pulled <= 11_000  # one chunk past the cap, then no more
    assert sent[0]["status"] == 413


def test_a_declared_length_over_the_cap_reads_nothing() -> None:
    pulled, sent = _drive(BodyLimit(_never_called, limit=10_000), _scope((b"content-length", b"10001")), _endless())
    assert pulled == 0 and sent[0]["status"] == 413


def test_json_depth_counts_brackets_outside_strings_only() -> None:
    assert json_depth(b'{"a": [1, {"b": "]]]{{{"}]}') == 3
    assert json_depth(b'"[[[["') == 0 and json_depth(b"") == 0


@pytest.mark.parametrize(("path", "fixture"), [(LEGACY, "bad-json.body"), (V2, "v2-bad-json.body")])
def test_json_nested_too_deep_is_an_unreadable_body_in_sims_words(
    sandbox: RunningSandbox, path: str, fixture: str
) -> None:
    deep = b'{"input": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = httpx.post(sandbox.base_url + path, content=deep, headers={"X-API-Key": sandbox.api_key}, timeout=10)
    assert response.status_code == 400
    assert response.content == (FIXTURES / fixture).read_bytes()
    fine = b'{"input": {"deep": ' + b"[" * (MAX_JSON_DEPTH - 3) + b"]" * (MAX_JSON_DEPTH - 3) + b"}}"
    response = httpx.post(sandbox.base_url + path, content=fine, headers={"X-API-Key": sandbox.api_key}, timeout=10)
    assert response.status_code != 400, response.text


class _Lines(logging.Handler):
    """Collects records; ``seen`` is set when one contains ``wanted``."""

    def __init__(self, wanted: str) -> None:
        super().__init__(logging.DEBUG)
        self.wanted = wanted
        self.records: list[logging.LogRecord] = []
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if self.wanted in record.getMessage():
            self.seen.set()


@pytest.fixture
def sandbox_logs() -> Iterator[_Lines]:
    lines = _Lines("client left during its request")
    loggers = [logging.getLogger(name) for name in ("simdesk.sandbox", "uvicorn.error", "uvicorn")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(lines)
        logger.setLevel(logging.INFO)
    yield lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(lines)
        logger.setLevel(level)


def test_a_client_leaving_mid_body_is_one_log_line_not_a_traceback(
    sandbox: RunningSandbox, sandbox_logs: _Lines
) -> None:
    with _connect(sandbox) as conn:
        conn.sendall(_head(sandbox, LEGACY, "Content-Length: 1000") + b'{"input": {"message": ')
    assert sandbox_logs.seen.wait(10), [r.getMessage() for r in sandbox_logs.records]
    httpx.get(sandbox.base_url + "/api/health", timeout=10)  # the server is still well
    mine = [r for r in sandbox_logs.records if "client left" in r.getMessage()]
    assert len(mine) == 1 and f"POST {LEGACY} after 22 body bytes" in mine[0].getMessage()
    assert not [r for r in sandbox_logs.records if r.levelno >= logging.WARNING or r.exc_info]
