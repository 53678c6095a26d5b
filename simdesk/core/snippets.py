"""“Copy as cURL / Python (simstudio-sdk) / ``sim`` CLI” for one exact run, with the key masked.

Each snippet repeats the run as the console made it: same workflow, same input, same mode
(sync, stream or async), same ``selectedOutputs`` and agent-event toggles, against the same
server and API surface (v2, or the legacy routes when v2 is switched off, sim-api.md §0).

The key never appears in full: :func:`mask_key` keeps its kind prefix and last four characters.
Inline files are too big to paste; cURL and the CLI get a short placeholder in their place,
the Python snippet opens the file from disk (the SDK encodes it, sim-api.md §14).
"""

from __future__ import annotations

import json
import pprint
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simdesk.core.input_form import FILE_MARKER

PROTOCOL_HEADER = "X-Sim-Stream-Protocol: agent-events-v1"


@dataclass(frozen=True)
class RunSpec:
    """What a snippet reproduces. ``input`` is JSON-ready (files as ``$file`` markers)."""

    base_url: str
    workflow_id: str
    input: Mapping[str, Any]
    mode: str = "sync"  # sync | stream | async
    selected_outputs: Sequence[str] = ()
    include_thinking: bool = False
    include_tool_calls: bool = False
    execution_timeout_s: int | None = None
    api_key: str | None = None
    surface: str = "v2"  # v2 | legacy
    run_id: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def agent_events(self) -> bool:
        """True when the run asked for thinking or tool frames (needs the protocol header)."""
        return self.mode == "stream" and (self.include_thinking or self.include_tool_calls)


def mask_key(key: str | None) -> str:
    """``sk-sim-abcd…wxyz`` → ``sk-sim-••••wxyz``; short or missing keys become a placeholder."""
    if not key:
        return "$SIM_API_KEY"
    prefix = "sk-sim-" if key.startswith("sk-sim-") else "sim_" if key.startswith("sim_") else ""
    rest = key[len(prefix) :]
    if len(rest) < 12:
        return prefix + "•" * 8
    return prefix + "•" * 8 + rest[-4:]


def _file_placeholder(marker: Mapping[str, Any]) -> dict[str, Any]:
    name = str(marker.get("name") or "file")
    size = int(marker.get("size") or 0)
    return {"type": "file", "data": f"data:…;base64,<contents of {name}, {size} bytes>", "name": name}


def _pasteable(value: Any) -> Any:
    """The input with ``$file`` markers replaced by placeholders (for cURL and the CLI)."""
    if isinstance(value, dict):
        if FILE_MARKER in value:
            return _file_placeholder(value)
        return {k: _pasteable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pasteable(v) for v in value]
    return value


def _body(spec: RunSpec) -> dict[str, Any]:
    inp = _pasteable(dict(spec.input))
    if spec.surface == "legacy":
        body: dict[str, Any] = dict(inp)  # legacy: the body minus control fields *is* the input (sim-api.md §4.1)
    else:
        body = {"input": inp}
    if spec.mode == "stream":
        body["stream"] = True
        if spec.selected_outputs:
            body["selectedOutputs"] = list(spec.selected_outputs)
        if spec.include_thinking:
            body["includeThinking"] = True
        if spec.include_tool_calls:
            body["includeToolCalls"] = True
    if spec.mode == "async" and spec.surface == "v2":
        body["async"] = True
        if spec.execution_timeout_s:
            body["executionTimeoutSeconds"] = spec.execution_timeout_s
    return body


def curl(spec: RunSpec) -> str:
    """A cURL command for the run."""
    base = spec.base_url.rstrip("/")
    if spec.surface == "legacy":
        url = f"{base}/api/workflows/{spec.workflow_id}/execute"
    else:
        url = f"{base}/api/v2/workflows/{spec.workflow_id}/execute"
    lines = ["curl" + (" -N" if spec.mode == "stream" else "") + " -X POST " + shlex.quote(url)]
    headers = [f"X-API-Key: {mask_key(spec.api_key)}", "Content-Type: application/json"]
    if spec.mode == "async" and spec.surface == "legacy":
        headers.append("X-Execution-Mode: async")
        if spec.execution_timeout_s:
            headers.append(f"X-Execution-Timeout-Seconds: {spec.execution_timeout_s}")
    if spec.agent_events:
        headers.append(PROTOCOL_HEADER)
    lines += [f"-H {shlex.quote(h)}" for h in headers]
    lines.append("-d " + shlex.quote(json.dumps(_body(spec), ensure_ascii=False)))
    return " \\\n  ".join(lines)


def _py(value: Any) -> str:
    """``value`` (JSON-ready) as Python source."""
    return pprint.pformat(value, width=96, sort_dicts=False)


def python_sdk(spec: RunSpec) -> str:
    """A script using the official ``simstudio-sdk`` (0.2.x speaks v2 only)."""
    files: list[tuple[str, str]] = []
    inputs: dict[str, Any] = {}
    for name, value in spec.input.items():
        markers = value if isinstance(value, list) else [value]
        if markers and all(isinstance(m, dict) and FILE_MARKER in m for m in markers):
            paths = [str(m[FILE_MARKER]) for m in markers]
            files.append((name, ", ".join(f"open({p!r}, 'rb')" for p in paths)))
        else:
            inputs[name] = value
    lines = [
        "# pip install simstudio-sdk",
        "import os",
        "",
        "from simstudio import SimStudioClient",
        "",
        f"# the key is masked here ({mask_key(spec.api_key)}); set SIM_API_KEY",
        f"client = SimStudioClient(api_key=os.environ['SIM_API_KEY'], base_url={spec.base_url.rstrip('/')!r})",
    ]
    if spec.surface == "legacy":
        lines.append("# this server has the v2 API switched off: use simstudio-sdk<0.2 (legacy routes)")
    lines.append(f"workflow_input = {_py(inputs)}")
    for name, opens in files:
        lines.append(f"workflow_input[{name!r}] = [{opens}]  # the SDK inlines the files")
    args = [repr(spec.workflow_id), "workflow_input"]
    if spec.mode == "stream":
        lines.append("# note: simstudio-sdk 0.2 reads a stream as one JSON body (no SSE iterator)")
        args.append("stream=True")
        if spec.selected_outputs:
            args.append(f"selected_outputs={list(spec.selected_outputs)!r}")
    if spec.mode == "async":
        args.append("async_execution=True")
        if spec.execution_timeout_s:
            args.append(f"execution_timeout_seconds={spec.execution_timeout_s}")
    if spec.mode in ("sync", "stream"):
        args.append("timeout=300.0")
    lines.append(f"result = client.execute_workflow({', '.join(args)})")
    lines.append("print(result)")
    return "\n".join(lines)


def sim_cli(spec: RunSpec) -> str:
    """A command for the official ``sim`` CLI (npm package ``sim``)."""
    env = [
        f"SIM_ENDPOINT={shlex.quote(spec.base_url.rstrip('/'))}",
        f"SIM_API_KEY={shlex.quote(mask_key(spec.api_key))}",
    ]
    parts = ["sim", "workflows", "run", spec.workflow_id]
    if spec.input:
        parts += ["--input", shlex.quote(json.dumps(_pasteable(dict(spec.input)), ensure_ascii=False))]
    if spec.mode == "async":
        parts.append("--async")
        if spec.execution_timeout_s:
            parts += ["--execution-timeout-seconds", str(spec.execution_timeout_s)]
    if spec.mode == "stream":
        parts.append("--follow")
        for selector in spec.selected_outputs:
            parts += ["--select-output", shlex.quote(selector)]
        if spec.include_thinking:
            parts.append("--include-thinking")
        if spec.include_tool_calls:
            parts.append("--include-tool-calls")
    return " ".join(env) + " \\\n  " + " ".join(parts)


SNIPPETS = {"curl": curl, "python": python_sdk, "cli": sim_cli}
