"""What the stream says for a run, by selected outputs and protocol (CONTRACT.md §6.2, §6.3)."""

from __future__ import annotations

import random
from typing import Any

from simdesk.sandbox import demo
from simdesk.sandbox.frames import FrameBuilder, resolve_selectors


def _frames(
    workflow_id: str,
    selectors: list[str],
    protocol: bool = False,
    include_thinking: bool = False,
    include_tool_calls: bool = False,
) -> list[dict[str, Any]]:
    wf = next(w for w in demo.WORKFLOWS if w.id == workflow_id)
    plan = wf.planner({}, random.Random(1))
    builder = FrameBuilder(wf, selectors, protocol, include_thinking, include_tool_calls)
    builder.prepare(plan)
    frames = [f for step in plan.steps for f in builder.on_step(step)]
    reached = plan.block_outputs()
    return [*frames, {"final": builder.final_output(plan, reached)}]


def test_selector_forms_resolve_to_block_and_path() -> None:
    wf = next(w for w in demo.WORKFLOWS if w.id == demo.STORY_ID)
    chosen = resolve_selectors(
        wf, ["story teller.content", "Storyteller.content", "b-story-stats_words", "b-story-stats.characters", "nope.x"]
    )
    assert chosen == {"b-storyteller": ["content"], "b-story-stats": ["words", "characters"]}


def test_no_selected_outputs_means_no_chunks_only_the_full_output() -> None:
    frames = _frames(demo.STORY_ID, [])
    assert len(frames) == 1
    assert frames[0]["final"]["content"].startswith("Once upon a time")


def test_agent_tokens_stream_and_selected_function_outputs_come_in_final_only() -> None:
    """Real Sim streams no chunk for a selected non-agent output (tests/fixtures/sim-0.8.9/stream-select.body)."""
    frames = _frames(demo.STORY_ID, ["Storyteller.content", "Stats.words"])
    chunks = [f for f in frames if "chunk" in f]
    assert chunks[0] == {"blockId": "b-storyteller", "chunk": "Once"}
    assert {c["blockId"] for c in chunks} == {"b-storyteller"}
    words = frames[-1]["final"]["b-story-stats"]["words"]
    assert isinstance(words, int) and words > 0
    assert frames[-1] == {"final": {"b-story-stats": {"words": words}}}, "streamed values are not repeated in final"


def test_protocol_frames_appear_only_with_header_and_flags() -> None:
    plain = _frames(demo.RESEARCH_ID, ["Researcher.content"])
    assert not [f for f in plain if f.get("event")]
    text = [f["chunk"] for f in plain if "chunk" in f]
    assert len(text) == 1 and "14°C" in text[0], "a tool-using agent answers in one piece without the protocol"
    rich = _frames(demo.RESEARCH_ID, ["Researcher.content"], True, include_thinking=True, include_tool_calls=True)
    events = [f.get("event") for f in rich if f.get("event")]
    assert {"thinking", "chunk_reset", "tool"} <= set(events)
    tool_end = next(f for f in rich if f.get("event") == "tool" and f["phase"] == "end")
    assert tool_end["status"] == "success"
