"""The stream fault knobs change the bytes on the wire, not what they mean."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest

from simdesk.sandbox import demo
from simdesk.sandbox.faults import FaultKnobs
from simdesk.sandbox.server import RunningSandbox
from tests.support.api import run

BODY = {"input": {"words": 30}, "stream": True, "selectedOutputs": ["Storyteller.content"]}


def _stream(sb: RunningSandbox) -> tuple[bytes, list[bytes]]:
    pieces: list[bytes] = []
    with httpx.Client(base_url=sb.base_url, headers={"X-API-Key": sb.api_key}) as c:
        with c.stream("POST", f"/api/v2/workflows/{demo.STORY_ID}/execute", json=BODY) as r:
            assert r.status_code == 200
            pieces = list(r.iter_raw())
    return b"".join(pieces), pieces


def _payloads(raw: bytes) -> list[object]:
    text = raw.decode().replace("\r\n", "\n")
    return [json.loads(line[6:]) if line[6:] != "[DONE]" else "[DONE]" for line in text.split("\n") if line]


def test_split_crlf_and_bare_done_keep_the_same_frames(sandbox: RunningSandbox) -> None:
    clean, _ = _stream(sandbox)
    sandbox.faults.update({"split_frames": True, "crlf": True, "bare_done": True})
    faulty, pieces = _stream(sandbox)
    assert b"\r\n" in faulty and faulty.endswith(b"data: [DONE]\r\n\r\n")
    assert max(len(p) for p in pieces) <= 3 or len(pieces) > 50
    assert _payloads(faulty)[:-1] == _payloads(clean)[:-1]
    assert _payloads(clean)[-1] == "[DONE]" and clean.endswith(b'data: "[DONE]"\n\n')


def test_cut_stream_drops_the_connection_mid_frame(sandbox: RunningSandbox) -> None:
    sandbox.faults.update({"cut_stream_after_frames": 3})
    received = b""
    try:
        with httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": sandbox.api_key}) as c:
            with c.stream("POST", f"/api/v2/workflows/{demo.STORY_ID}/execute", json=BODY) as r:
                for piece in r.iter_raw():
                    received += piece
        cut = False
    except httpx.RemoteProtocolError:
        cut = True
    assert cut, "the connection must end without a complete chunked body"
    assert received.count(b"\n\n") == 3 and not received.endswith(b"\n\n")


def test_malformed_json_frame_and_html_502(sandbox: RunningSandbox) -> None:
    sandbox.faults.update({"malformed_json": 1, "path_filter": "/execute"})
    raw, _ = _stream(sandbox)
    first = raw.split(b"\n\n")[0][6:]
    try:
        json.loads(first)
        parsed = True
    except ValueError:
        parsed = False
    assert not parsed
    sandbox.faults.update({"html_502": 1, "path_filter": None})
    r = httpx.get(sandbox.base_url + "/api/users/me/usage-limits", headers={"X-API-Key": sandbox.api_key})
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html") and "<html>" in r.text


class _Frame(bytes):
    """An encoded frame that counts the ``+`` it takes part in (each one copies the whole body)."""

    additions = 0

    def __radd__(self, other: bytes) -> bytes:
        _Frame.additions += 1
        return bytes(other) + bytes(self)


def _coalesced_body(monkeypatch: pytest.MonkeyPatch, frames: int, coalesce_frames: bool = False) -> bytes:
    """``sse_body`` over ``frames`` chunk frames with the given knobs, straight from the engine."""
    from simdesk.sandbox import engine

    async def many(*_args: object) -> AsyncIterator[dict[str, object]]:
        for number in range(frames):
            yield {"blockId": "b", "chunk": f" word{number}"}

    encode = engine.encode_frame
    monkeypatch.setattr(engine, "_frames", many)
    monkeypatch.setattr(engine, "encode_frame", lambda *a, **kw: _Frame(encode(*a, **kw)))
    state = SimpleNamespace(faults=FaultKnobs(coalesce_frames=coalesce_frames), in_flight=0)
    sandbox_run = SimpleNamespace(id="run-1", workflow=SimpleNamespace(id="wf"))

    async def collect() -> bytes:
        return b"".join([piece async for piece in engine.sse_body(state, sandbox_run, None)])  # type: ignore[arg-type]

    return run(collect())  # in a thread of its own: the Qt suites' loop may be running here


def test_coalesced_frames_are_joined_once_not_added_up_frame_by_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    _Frame.additions = 0
    body = _coalesced_body(monkeypatch, 5000, coalesce_frames=True)
    assert _Frame.additions == 0  # `pending += frame` copied the body per frame: 90 000 frames took 27 s
    assert body == _coalesced_body(monkeypatch, 5000)  # the same bytes as frame-by-frame writes
    assert body.count(b"\n\n") == 5001 and body.endswith(b'data: "[DONE]"\n\n')
