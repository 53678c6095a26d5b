"""Execute sync and stream runs in (clock) time, and write the SSE body with its fault knobs.

Async runs need none of this: their status is read off the clock (see ``state.Run.status``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from simdesk.sandbox.frames import FrameBuilder
from simdesk.sandbox.state import Run, SandboxState, timeout_message

log = logging.getLogger("simdesk.sandbox")

CLIENT_CANCELLED = "Client cancelled request"  # what the disconnected client would have been told
MAX_SLEEP_SLICE_S = 0.25  # how often a long sync run looks for a client that went away


class StreamCut(Exception):
    """Raised inside a streaming body to drop the connection mid-frame (fault knob)."""


async def _wait(state: SandboxState, seconds: float, gone: Callable[[], Awaitable[bool]] | None) -> bool:
    """Let ``seconds`` of run time pass; False if the client went away meanwhile."""
    remaining = seconds * state.config.pace
    while remaining > 0:
        piece = min(remaining, MAX_SLEEP_SLICE_S) if gone else remaining
        await state.clock.sleep(piece)
        remaining -= piece
        if gone and await gone():
            return False
    return not (gone and await gone())


async def execute_sync(state: SandboxState, run: Run, gone: Callable[[], Awaitable[bool]]) -> bool:
    """Walk a sync run to its end. False if the client disconnected: Sim then records the run
    ``cancelled`` with no error (``tests/fixtures/sim-0.8.9/redis/slow-sync-disconnect-status.body``)."""
    state.in_flight += 1
    try:
        ok = await _wait(state, run.run_length, gone)
        if not ok:
            state.finish_live(run, "cancelled")
            return False
        if run.timed_out:
            state.finish_live(run, "failed", error=timeout_message(run.cap_s))
        else:
            state.finish_live(run, run.plan.outcome)
        return True
    finally:
        state.in_flight -= 1


def encode_frame(payload: Any, *, crlf: bool = False, broken: bool = False) -> bytes:
    """One SSE frame exactly as Sim writes it: ``data: <compact JSON>`` and a blank line."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    if broken:
        text = text[: max(1, len(text) // 2)]
    nl = "\r\n" if crlf else "\n"
    return f"data: {text}{nl}{nl}".encode()


def done_frame(*, crlf: bool = False, bare: bool = False) -> bytes:
    nl = "\r\n" if crlf else "\n"
    return f"data: {'[DONE]' if bare else json.dumps('[DONE]')}{nl}{nl}".encode()


async def _frames(state: SandboxState, run: Run, builder: FrameBuilder) -> AsyncIterator[dict[str, Any]]:
    """The run's frames in time order, ending with its terminal frame."""
    plan = run.plan
    builder.prepare(plan)
    reached: dict[str, Any] = {}
    t = 0.0
    faults = state.faults
    sent = 0
    for step in plan.steps:
        if step.at > run.cap_s:
            break
        await _wait(state, step.at - t, None)
        t = step.at
        if step.kind == "block_done":
            reached[step.block_id] = step.value
        for frame in builder.on_step(step):
            yield frame
            sent += 1
            if faults.consume("stream_error_after_first", run.workflow.id + "/execute"):
                yield {
                    "event": "stream_error",
                    "blockId": frame.get("blockId", ""),
                    "error": "Token stream interrupted; continuing",
                }
            if faults.consume("fail_stream_after_first", run.workflow.id + "/execute"):
                state.finish_live(run, "failed", error="Stream failed after first frame (fault knob)")
                yield {
                    "event": "error",
                    "blockId": frame.get("blockId", ""),
                    "error": "Stream failed after first frame (fault knob)",
                }
                return
    await _wait(state, run.run_length - t, None)
    if run.timed_out:
        message = timeout_message(run.cap_s)
        state.finish_live(run, "failed", error=message)
        yield {"event": "error", "error": message}
        return
    state.finish_live(run, plan.outcome)
    if plan.outcome == "failed":
        # a failed block ends the stream with an error frame and no final one
        # (tests/fixtures/sim-0.8.9/fail-v2-stream.body, fail-legacy-stream.body)
        yield {"event": "error", "error": run.error_text(state.clock.now()) or "Workflow execution failed"}
        return
    data: dict[str, Any] = {"success": True}
    data["output"] = builder.final_output(plan, reached)
    if plan.outcome == "paused":
        data["status"] = "paused"
    yield {"event": "final", "data": data}


async def sse_body(state: SandboxState, run: Run, builder: FrameBuilder) -> AsyncIterator[bytes]:
    """The response body of a streamed run, with the stream fault knobs applied."""
    faults = state.faults
    crlf, split, coalesce = faults.crlf, faults.split_frames, faults.coalesce_frames
    cut_after = faults.cut_stream_after_frames
    rng = random.Random(run.id)
    state.in_flight += 1
    pending: list[bytes] = []  # coalesced frames, joined once (``+=`` on bytes is quadratic)
    count = 0
    finished = False
    try:
        if faults.stall_before_first_byte_s:  # real seconds, whatever the clock: a test's late first frame
            await asyncio.sleep(faults.stall_before_first_byte_s)
        async for frame in _frames(state, run, builder):
            broken = faults.consume("malformed_json", run.workflow.id + "/execute")
            data = encode_frame(frame, crlf=crlf, broken=broken)
            if cut_after is not None and count >= cut_after:
                yield b"".join([*pending, data[: len(data) // 2]])
                raise StreamCut(f"stream cut after {count} frames (fault knob)")
            count += 1
            if coalesce:
                pending.append(data)
                continue
            async for piece in _pieces(data, split, rng):
                yield piece
            if count == 1 and faults.stream_gap_s:
                await asyncio.sleep(faults.stream_gap_s)
        finished = True
        tail = b"".join([*pending, done_frame(crlf=crlf, bare=faults.bare_done)])
        pending.clear()
        async for piece in _pieces(tail, split, rng):
            yield piece
    finally:
        state.in_flight -= 1
        if not finished and run.status(state.clock.now())[0] == "running":
            # the client went away: the run ends cancelled, not failed
            # (tests/fixtures/sim-0.8.9/redis/slow-stream-disconnect-status.body)
            state.finish_live(run, "cancelled")


async def _pieces(data: bytes, split: bool, rng: random.Random) -> AsyncIterator[bytes]:
    """Yield ``data`` whole, or in 1–3 byte pieces that split prefixes, JSON and code points."""
    if not split:
        yield data
        return
    i = 0
    while i < len(data):
        n = rng.randint(1, 3)
        yield data[i : i + n]
        i += n
        await asyncio.sleep(0)
