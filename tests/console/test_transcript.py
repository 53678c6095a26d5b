"""The transcript: per-block text, chunk_reset, lanes with durations, errors, bounded memory."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from simdesk.api.sse import decode_recorded
from simdesk.core import frames
from simdesk.core.stream_events import (
    Chunk,
    ChunkReset,
    Final,
    RunFailed,
    StreamError,
    StreamEvent,
    Thinking,
    ToolCall,
)
from simdesk.core.transcript import (
    BlockAdded,
    ErrorAdded,
    LanesChanged,
    Outcome,
    Settled,
    TailText,
    TextAdded,
    TextCleared,
    Transcript,
    replay,
)


def test_text_accumulates_per_block_and_consecutive_chunks_join() -> None:
    t = Transcript(names={"a": "Agent A"})
    changes = t.apply([(0.1, Chunk("a", "Oslo")), (0.2, Chunk("a", " is")), (0.3, Chunk("b", "\n\n{}"))])
    assert changes == [BlockAdded("a"), TextAdded("a", "Oslo is"), BlockAdded("b"), TextAdded("b", "{}")]
    assert t.blocks["a"].text.text == "Oslo is"
    assert t.blocks["a"].title == "Agent A"
    assert t.blocks["b"].title == "b"
    assert t.timing.chunks == 3
    assert t.timing.ttfc_ms == 100.0


def test_chunk_reset_retracts_only_that_block() -> None:
    t = Transcript()
    t.apply([(0, Chunk("a", "draft")), (0, Chunk("b", "keep"))])
    changes = t.apply([(1, ChunkReset("a")), (1.1, Chunk("a", "final"))])
    assert TextCleared("a") in changes
    assert t.blocks["a"].text.text == "final"
    assert t.blocks["a"].resets == 1
    assert t.blocks["b"].text.text == "keep"


def test_thinking_and_tool_lanes_have_durations() -> None:
    t = Transcript()
    t.apply(
        [
            (0.0, Thinking("a", "Hmm. ")),
            (0.5, Thinking("a", "Let me look.")),
            (1.0, ToolCall("a", "start", "c1", "web_search")),
            (1.8, ToolCall("a", "end", "c1", "web_search", "success")),
            (2.0, Chunk("a", "Answer")),
        ]
    )
    block = t.blocks["a"]
    assert block.thinking is not None
    assert block.thinking.text.text == "Hmm. Let me look."
    assert block.thinking.duration == 1.0  # ended when the tool call started
    (tool,) = block.tools
    assert tool.name == "web_search" and tool.status == "success"
    assert abs((tool.duration or 0) - 0.8) < 1e-9


def test_open_tool_is_closed_as_interrupted_when_the_run_fails() -> None:
    t = Transcript()
    t.apply([(0.0, ToolCall("a", "start", "c1", "read_page"))])
    changes = t.apply([(2.0, RunFailed("Execution timed out", "r1"))])
    assert LanesChanged("a") in changes
    assert isinstance(changes[-1], Settled)
    tool = t.blocks["a"].tools[0]
    assert tool.status == "interrupted" and tool.duration == 2.0
    assert t.outcome == Outcome("failed", error="Execution timed out", run_id="r1")


def test_stream_error_is_kept_and_the_run_goes_on() -> None:
    t = Transcript()
    changes = t.apply([(0, Chunk("a", "x")), (0.1, StreamError("broke", "a")), (0.2, Chunk("a", "y"))])
    assert ErrorAdded("a", "broke") in changes
    assert t.blocks["a"].errors == ["broke"]
    assert t.blocks["a"].text.text == "xy"
    assert not t.finished


def test_final_settles_and_later_events_are_ignored() -> None:
    t = Transcript()
    t.apply([(0, Final(True, {"k": 1}, "r1")), (1, Chunk("a", "late"))])
    assert t.outcome is not None and t.outcome.status == "completed" and t.outcome.output == {"k": 1}
    assert "a" not in t.blocks
    assert t.finish(Outcome("cancelled")) == []  # the first end wins


def test_paused_final() -> None:
    t = Transcript()
    t.apply([(0, Final(True, {}, None, status="paused"))])
    assert t.outcome is not None and t.outcome.status == "paused" and t.outcome.ok


def test_tail_text_keeps_only_the_cap_and_counts_the_rest() -> None:
    tail = TailText(cap=10)
    for _ in range(100):
        tail.append("abcdefg")
    assert tail.text == ("abcdefg" * 100)[-10:]
    assert tail.total == 700
    assert tail.dropped == 690


def test_memory_stays_bounded_for_a_huge_block() -> None:
    t = Transcript()
    piece = "x" * 1000
    t.apply((i * 0.001, Chunk("a", piece)) for i in range(5000))  # 5 MB of text
    block = t.blocks["a"]
    assert len(block.text.text) <= 256 * 1024
    assert block.text.total == 5_000_000
    assert t.timing.chars == 5_000_000


def test_only_max_blocks_keep_their_text() -> None:
    t = Transcript(max_blocks=2)
    t.apply([(0, Chunk("a", "1")), (0, Chunk("b", "2")), (0, Chunk("c", "3"))])
    assert t.blocks["a"].evicted and t.blocks["a"].text.text == ""
    assert t.blocks["c"].text.text == "3"


def test_replay_from_encoded_frames_gives_the_same_transcript() -> None:
    events: list[StreamEvent] = [
        Thinking("a", "think"),
        ToolCall("a", "start", "c1", "search"),
        ToolCall("a", "end", "c1", "search", "ok"),
        Chunk("a", 'He said "hi"\n'),
        ChunkReset("a"),
        Chunk("a", "Final ✓"),
        StreamError("oops", None),
        Final(True, {"b": {"v": [1, None]}}, None),
    ]
    stored = [(i * 0.1, frames.encode_event(e)) for i, e in enumerate(events)]
    decoded = list(decode_recorded(stored))
    assert [e for _, e in decoded] == events
    assert [at for at, _ in decoded] == [at for at, _ in stored]
    live = Transcript()
    live.apply([(i * 0.1, e) for i, e in enumerate(events)])
    again = replay(decoded)
    assert again.text() == live.text() == "Final ✓"
    assert again.outcome == live.outcome
    assert again.blocks["a"].tools[0].duration == live.blocks["a"].tools[0].duration


def test_frame_of_matches_the_wire_format() -> None:
    assert frames.frame_of(ToolCall("a", "start", "c1", "s")) == {
        "blockId": "a",
        "event": "tool",
        "phase": "start",
        "id": "c1",
        "name": "s",
    }
    assert frames.frame_of(RunFailed("boom", None)) == {"event": "error", "error": "boom"}
    # what the live stream skips, a replay skips too (one decoder for both)
    assert list(decode_recorded([(0.0, '"[DONE]"'), (0.1, "{not json")])) == []


def test_a_history_line_written_before_reads_back_as_its_stream() -> None:
    """The stored format: one Sim frame a line, a run of one block's chunks packed in one line
    (this line is as the history of the first release wrote it)."""
    line = '{"blockId":"agent1","chunks":["Once"," upon","\\n\u2713"]}'
    assert frames.unpack(line) == [
        '{"blockId":"agent1","chunk":"Once"}',
        '{"blockId":"agent1","chunk":" upon"}',
        '{"blockId":"agent1","chunk":"\\n✓"}',
    ]
    tail = '{"event":"final","data":{"success":true,"output":{"n":1}}}'
    events = [e for _, e in decode_recorded([(0.0, p) for p in [*frames.unpack(line), tail]], "run-1")]
    assert events == [
        Chunk("agent1", "Once"),
        Chunk("agent1", " upon"),
        Chunk("agent1", "\n✓"),
        Final(True, {"n": 1}, "run-1"),
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(
            st.text(alphabet=st.sampled_from(["a", " ", '"', "\\", "\x00", "\n", "u", "0", "✓", "\x1f"])),
            min_size=1,
            max_size=6,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_packed_chunk_runs_read_back_as_their_frames(runs: list[list[str]]) -> None:
    events = [Chunk(f"b{i % 2}", text) for i, texts in enumerate(runs) for text in texts]
    items = frames.runs(events)
    lines, count = frames.pack(items)
    assert count == len(events)
    assert [p for line in lines for p in frames.unpack(line)] == [frames.encode_event(e) for e in events]
    for line, item in zip(lines, items, strict=True):  # one line per run of one block's chunks
        assert isinstance(item, frames.ChunkRun)
        assert (
            line
            == '{"blockId":'
            + json.dumps(item.block_id)
            + ',"chunks":'
            + json.dumps(item.texts, ensure_ascii=False, separators=(",", ":"))
            + "}"
        )
