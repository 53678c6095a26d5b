"""``stream(keep_text=False)`` reads any length in bounded memory; ``stream(on_raw=…)`` sees every payload."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from simdesk.api import Chunk, ChunkReset, Final, ProtocolError, RunFailed, SimClient, StreamEvent
from simdesk.api.sse import StreamDecoder
from tests.support.api import run

CHUNK = "The harbour fog rolled in at six. " * 30  # about 1 000 characters
END = b'data: {"event":"final","data":{"success":true,"output":{}}}\n\ndata: "[DONE]"\n\n'


def _frame(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _client(body: Callable[[], AsyncIterator[bytes]]) -> SimClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    return SimClient("https://sim.test", "sk-sim-x", transport=httpx.MockTransport(handler), surface="v2")


# --- keep_text ---------------------------------------------------------------------------------


def test_without_keep_text_the_decoder_keeps_no_chunk_and_final_texts_is_empty() -> None:
    decoder = StreamDecoder("r1", keep_text=False)
    events = [
        decoder.feed(_frame({"blockId": "a", "chunk": "draft"})),
        decoder.feed(_frame({"blockId": "a", "event": "chunk_reset"})),
        decoder.feed(_frame({"blockId": "a", "chunk": "Oslo"})),
        decoder.feed(_frame({"blockId": "b", "chunk": "\n\n14°C"})),
        decoder.feed(_frame({"event": "final", "data": {"success": True, "output": {"x": 1}}})),
    ]
    assert events[:4] == [Chunk("a", "draft"), ChunkReset("a"), Chunk("a", "Oslo"), Chunk("b", "\n\n14°C")]
    final = events[-1]
    assert isinstance(final, Final) and final.success and final.output == {"x": 1} and final.run_id == "r1"
    assert final.texts == {} and final.text == ""
    assert decoder.texts() == {}


def test_without_keep_text_a_failed_run_has_empty_texts_too() -> None:
    decoder = StreamDecoder("r1", keep_text=False)
    decoder.feed(_frame({"blockId": "a", "chunk": "half"}))
    failed = decoder.feed(_frame({"event": "error", "blockId": "a", "error": "boom"}))
    assert failed == RunFailed("boom", "r1", "a", {})


async def _peak_while_streaming(chunks: int, keep_text: bool = True) -> tuple[int, int]:
    """(chunk events, peak traced bytes) for a stream of ``chunks`` 1 000-character chunks."""
    line = ("data: " + _frame({"blockId": "big", "chunk": CHUNK}) + "\n\n").encode()

    async def body() -> AsyncIterator[bytes]:
        for _ in range(chunks // 100):
            yield line * 100
        yield END

    count = 0
    async with _client(body) as client:
        tracemalloc.start()
        try:
            async for event in client.stream("wf", {}, keep_text=keep_text):
                count += type(event) is Chunk
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return count, peak


def test_a_long_stream_without_keep_text_reads_in_bounded_memory() -> None:
    chunks, peak = run(_peak_while_streaming(6000, keep_text=False))  # 6 MB of answer text
    assert chunks == 6000
    assert peak < 2 * 2**20, f"{peak / 2**20:.1f} MB held while reading 6 MB"
    _, kept = run(_peak_while_streaming(6000))  # the default keeps the text for Final.texts
    assert kept > 6 * 2**20


# --- on_raw ------------------------------------------------------------------------------------

RAW_BODY = (
    ": a comment line, not a frame\n\n"
    'data: {"blockId":"a","chunk":"Oslo"}\n\n'
    'data: {"blockId":"a","chunk":"cut\n\n'  # unparsable: skipped by the decoder
    'data: {"blockId":"a","event":"sparkle","data":1}\n\n'  # an event type the client does not know
    "event: ping\ndata: 42\n\n"  # a non-object payload
    'data: {"blockId":"a",\ndata: "chunk":" is 14°C"}\r\n\r\n'  # two data lines make one payload
    'data: {"event":"final","data":{"success":true,"output":{}}}\n\n'
    "data: [DONE]\n\n"
).encode()


async def _raw(
    body: bytes, on_raw: Callable[[str], object] | None, *, piece: int = 7, batched: bool = False
) -> tuple[list[StreamEvent], BaseException | None]:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(body), piece):  # frames split anywhere
            yield body[i : i + piece]

    events: list[StreamEvent] = []
    async with _client(chunks) as client:
        stream = client.stream("wf", {}, on_raw=on_raw, run_id="desk-raw")
        try:
            async with stream:
                if batched:
                    async for batch in stream.batches():
                        assert batch, "a batch is never empty"
                        events.extend(batch)
                else:
                    async for event in stream:
                        events.append(event)
        except ProtocolError as exc:
            return events, exc
    return events, None


def test_on_raw_gets_every_data_payload_as_decoded_skipped_and_unknown_ones_included() -> None:
    raw: list[str] = []
    events, error = run(_raw(RAW_BODY, raw.append))
    assert error is None
    assert raw == [
        '{"blockId":"a","chunk":"Oslo"}',
        '{"blockId":"a","chunk":"cut',
        '{"blockId":"a","event":"sparkle","data":1}',
        "42",
        '{"blockId":"a",\n"chunk":" is 14°C"}',
        '{"event":"final","data":{"success":true,"output":{}}}',
        "[DONE]",
    ]
    assert events == run(_raw(RAW_BODY, None))[0]  # the hook changes nothing else
    assert [type(e) for e in events] == [Chunk, Chunk, Final]


def test_on_raw_sees_the_payloads_of_a_stream_that_stops_early() -> None:
    raw: list[str] = []
    events, error = run(_raw(b'data: {"blockId":"a","chunk":"half"}\n\ndata: {"ev', raw.append))
    assert isinstance(error, ProtocolError)
    assert events == [Chunk("a", "half")] and raw == ['{"blockId":"a","chunk":"half"}']


def test_an_on_raw_that_raises_ends_the_stream_with_its_error() -> None:
    def refuse(payload: str) -> None:
        raise LookupError(payload)

    with pytest.raises(LookupError, match="Oslo"):
        run(_raw(RAW_BODY, refuse))


# --- batches -----------------------------------------------------------------------------------


@pytest.mark.parametrize("piece", [7, 64, len(RAW_BODY)])
def test_batches_hold_the_same_events_and_raw_payloads_as_the_event_by_event_stream(piece: int) -> None:
    one_by_one: list[str] = []
    batched: list[str] = []
    events, error = run(_raw(RAW_BODY, one_by_one.append, piece=piece))
    in_batches, batch_error = run(_raw(RAW_BODY, batched.append, piece=piece, batched=True))
    assert error is None and batch_error is None
    assert in_batches == events and [type(e) for e in events] == [Chunk, Chunk, Final]
    assert batched == one_by_one and batched[-1] == "[DONE]"


def test_batches_of_a_stream_that_stops_early_end_with_the_same_protocol_error() -> None:
    events, error = run(_raw(b'data: {"blockId":"a","chunk":"half"}\n\ndata: {"ev', None, batched=True))
    assert isinstance(error, ProtocolError) and error.run_id == "desk-raw"
    assert events == [Chunk("a", "half")]
