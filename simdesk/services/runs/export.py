"""The shown run taken elsewhere: "Copy as cURL / Python / CLI", "Copy output" and "Save as"."""

from __future__ import annotations

import json
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

from simdesk.api.sse import decode_recorded
from simdesk.core.run_history import RunHistory
from simdesk.core.snippets import SNIPPETS, RunSpec
from simdesk.core.transcript import Transcript
from simdesk.core.transcript_export import ExportMeta, write_json, write_markdown
from simdesk.services.executors import run_in
from simdesk.services.runs.history import full_text

if TYPE_CHECKING:
    from simdesk.services.runs.service import RunHeader


def snippet(kind: str, header: RunHeader, endpoint: tuple[str, str], api_key: str | None) -> str:
    """``curl``, ``python`` or ``cli`` code that makes the run of ``header`` again on
    ``endpoint`` (base URL, surface); the key is masked by the snippet writers."""
    options = header.options
    base_url, surface = endpoint
    spec = RunSpec(
        base_url=base_url,
        workflow_id=header.workflow_id,
        input=header.input,
        mode=header.mode,
        selected_outputs=list(options.get("selectedOutputs") or ()),
        include_thinking=bool(options.get("includeThinking")),
        include_tool_calls=bool(options.get("includeToolCalls")),
        execution_timeout_s=options.get("executionTimeoutSeconds"),
        api_key=api_key,
        surface=surface,
        run_id=header.run_id,
    )
    return SNIPPETS[kind](spec)


async def output_text(
    history: RunHistory, transcript: Transcript, key: str | None, reads: Executor | None = None
) -> str:
    """The run's answer for the clipboard: all streamed text (from the history, read in
    ``reads``, when the screen kept only its tail), else the output as JSON."""
    if any(b.text.dropped or b.evicted for b in transcript.blocks.values()) and key is not None:
        history.flush()
        text = await run_in(reads, full_text, history, key)
    else:
        text = transcript.text()
    if text:
        return text
    output = transcript.outcome.output if transcript.outcome else None
    return "" if output is None else json.dumps(output, ensure_ascii=False, indent=2, default=str)


async def export(
    history: RunHistory,
    header: RunHeader,
    transcript: Transcript,
    path: str,
    fmt: str,
    reads: Executor | None = None,
) -> None:
    """Save a run's complete transcript as ``json`` or ``markdown`` (written in ``reads``, off
    the GUI thread)."""
    history.flush()
    meta = ExportMeta(
        header.workflow_name,
        header.workflow_id,
        header.mode,
        header.input,
        header.options,
        header.started_at,
        header.run_id,
        transcript.outcome,
        transcript.timing.to_dict(),
        {b.block_id: b.title for b in transcript.blocks.values()},
    )
    frames = history.frames
    if fmt == "json":
        events = decode_recorded(frames(header.key))
        await run_in(reads, write_json, Path(path), meta, events, frames(header.key))
    else:
        await run_in(reads, write_markdown, Path(path), meta, decode_recorded(frames(header.key)))
