"""The stream decoder on its own, and whole streams through httpx and httpx-sse in process."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterable

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simdesk.api import (
    Chunk,
    ChunkReset,
    Final,
    ProtocolError,
    RunFailed,
    SimClient,
    StreamError,
    StreamEvent,
    Thinking,
    ToolCall,
)
from simdesk.api.sse import StreamDecoder
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from tests.support.api import run


def feed_all(payloads: Iterable[str], run_id: str | None = "r1") -> tuple[list[StreamEvent], StreamDecoder]:
    decoder = StreamDecoder(run_id)
    events = [e for p in payloads if (e := decoder.feed(p)) is not None]
    return events, decoder


def frame(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# --- the decoder -------------------------------------------------------------------------------


def test_every_frame_type_becomes_its_event() -> None:
    events, decoder = feed_all(
        [
            frame({"blockId": "a", "event": "thinking", "data": "hmm"}),
            frame({"blockId": "a", "chunk": "draft"}),
            frame({"blockId": "a", "event": "chunk_reset"}),
            frame({"blockId": "a", "event": "tool", "phase": "start", "id": "c1", "name": "search"}),
            frame({"blockId": "a", "event": "tool", "phase": "end", "id": "c1", "name": "search", "status": "ok"}),
            frame({"event": "stream_error", "blockId": "a", "error": "hiccup"}),
            frame({"blockId": "a", "chunk": "Oslo is"}),
            frame({"blockId": "a", "chunk": " 14°C"}),
            frame({"event": "final", "data": {"success": True, "output": {"x": 1}}}),
            '"[DONE]"',
        ]
    )
    assert events == [
        Thinking("a", "hmm"),
        Chunk("a", "draft"),
        ChunkReset("a"),
        ToolCall("a", "start", "c1", "search"),
        ToolCall("a", "end", "c1", "search", "ok"),
        StreamError("hiccup", "a"),
        Chunk("a", "Oslo is"),
        Chunk("a", " 14°C"),
        Final(True, {"x": 1}, "r1", "completed", None, {"a": "Oslo is 14°C"}),
    ]
    assert decoder.done
    assert isinstance(events[-1], Final) and events[-1].text == "Oslo is 14°C"


@pytest.mark.parametrize("done", ['"[DONE]"', "[DONE]", ' "[DONE]" '])
def test_quoted_and_bare_done_both_end_the_stream(done: str) -> None:
    _, decoder = feed_all([frame({"event": "final", "data": {"success": True, "output": {}}}), done])
    assert decoder.done


def test_unknown_events_unparsable_payloads_and_non_objects_are_skipped() -> None:
    events, decoder = feed_all(
        [
            frame({"event": "block:started", "blockId": "a"}),
            '{"blockId":"a","chu',
            "42",
            frame({"blockId": "a", "chunk": "ok"}),
            frame({"event": "tool", "blockId": "a", "phase": "middle"}),
        ]
    )
    assert events == [Chunk("a", "ok")]
    assert decoder.skipped == 1
    assert decoder.terminal is None


def test_error_frame_is_terminal_and_nothing_after_it_counts() -> None:
    events, decoder = feed_all(
        [
            frame({"blockId": "a", "chunk": "par"}),
            frame({"event": "error", "error": "Execution timed out after 5 minutes"}),
            frame({"blockId": "a", "chunk": "tial"}),
            frame({"event": "final", "data": {"success": True, "output": {}}}),
        ]
    )
    assert events[-1] == RunFailed("Execution timed out after 5 minutes", "r1", None, {"a": "par"})
    assert len(events) == 2
    assert decoder.terminal == events[-1]


def test_second_blocks_separator_is_kept_in_the_chunk_but_not_in_its_text() -> None:
    events, _ = feed_all(
        [
            frame({"blockId": "a", "chunk": "Oslo."}),
            frame({"blockId": "b", "chunk": '\n\n{\n  "tempC": 14\n}'}),
            frame({"event": "final", "data": {"success": True, "output": {}}}),
        ]
    )
    assert events[1] == Chunk("b", '\n\n{\n  "tempC": 14\n}')
    final = events[-1]
    assert isinstance(final, Final)
    assert final.texts == {"a": "Oslo.", "b": '{\n  "tempC": 14\n}'}


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"success": True, "output": {}}, "completed"),
        ({"success": False, "error": "boom", "output": {}}, "failed"),
        ({"success": True, "status": "paused", "output": {"awaiting": 1}}, "paused"),
    ],
)
def test_final_status_follows_success_and_pause(data: dict[str, object], status: str) -> None:
    events, _ = feed_all([frame({"event": "final", "data": data})])
    assert isinstance(events[0], Final)
    assert events[0].status == status
    assert events[0].error == data.get("error")


# --- whole streams through httpx, split anywhere ----------------------------------------------


async def _collect(body_chunks: list[bytes]) -> tuple[list[StreamEvent], BaseException | None]:
    async def body() -> AsyncIterator[bytes]:
        for piece in body_chunks:
            yield piece

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    events: list[StreamEvent] = []
    error: BaseException | None = None
    async with SimClient("https://sim.test", "sk-sim-x", transport=httpx.MockTransport(handler), surface="v2") as c:
        try:
            async for event in c.stream("wf", {}, selected_outputs=["a"], run_id="desk-prop"):
                events.append(event)
        except ProtocolError as exc:
            error = exc
    return events, error


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points) if b > a]


def _recorded(sb: RunningSandbox, **faults: object) -> bytes:
    """The raw bytes of a Research Assistant stream (thinking, tools, reset, °, “quotes”)."""
    sb.faults.update(faults)
    try:
        with httpx.Client(base_url=sb.base_url) as http:
            response = http.post(
                f"/api/v2/workflows/{demo.RESEARCH_ID}/execute",
                headers={"X-API-Key": demo.DEMO_KEY, "X-Sim-Stream-Protocol": "agent-events-v1"},
                json={
                    "input": {"question": "Warm? 🌊"},
                    "stream": True,
                    "selectedOutputs": ["researcher.content", "sources.tempC"],
                    "includeThinking": True,
                    "includeToolCalls": True,
                },
            )
    finally:
        sb.faults.clear()
    assert response.status_code == 200
    return response.content


@pytest.fixture(scope="module")
def recordings(sandbox: RunningSandbox) -> dict[str, bytes]:
    return {"lf": _recorded(sandbox), "crlf_bare": _recorded(sandbox, crlf=True, bare_done=True)}


def test_recordings_exercise_the_hard_cases(recordings: dict[str, bytes]) -> None:
    lf, crlf = recordings["lf"], recordings["crlf_bare"]
    assert b'data: "[DONE]"' in lf and b"data: [DONE]\r\n" in crlf
    assert "🌊".encode() in lf and b"chunk_reset" in lf and b"thinking" in lf
    events, error = run(_collect([lf]))
    assert error is None
    assert isinstance(events[-1], Final)
    assert {type(e) for e in events} >= {Chunk, ChunkReset, Thinking, ToolCall, Final}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=1 << 16), max_size=60), which=st.sampled_from(["lf", "crlf_bare"])
)
def test_any_split_of_a_recorded_stream_yields_the_same_events(
    recordings: dict[str, bytes], cuts: list[int], which: str
) -> None:
    data = recordings[which]
    whole, _ = run(_collect([data]))
    split, error = run(_collect(_split(data, cuts)))
    assert error is None
    assert split == whole


def test_one_byte_pieces_split_every_code_point() -> None:
    text = "data: " + frame({"blockId": "a", "chunk": "14°C 🌊 “ok”"}) + "\r\n\r\n"
    final = "data: " + frame({"event": "final", "data": {"success": True, "output": {}}}) + "\n\ndata: [DONE]\n\n"
    data = (text + final).encode()
    events, error = run(_collect([data[i : i + 1] for i in range(len(data))]))
    assert error is None
    assert events[0] == Chunk("a", "14°C 🌊 “ok”")


@pytest.mark.parametrize(
    "tail",
    [b"", b'data: "[DONE]"\n\n', b'data: {"event":"fin'],
    ids=["eof", "done-without-terminal", "cut-mid-frame"],
)
def test_a_stream_without_its_terminal_frame_is_a_protocol_error_after_its_events(tail: bytes) -> None:
    data = b'data: {"blockId":"a","chunk":"half an answer"}\n\n' + tail
    events, error = run(_collect([data]))
    assert events == [Chunk("a", "half an answer")]
    assert isinstance(error, ProtocolError)
    assert error.run_id == "desk-prop"
