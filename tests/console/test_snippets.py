"""Copy-as-code snippets reproduce the exact run and never show the key."""

from __future__ import annotations

import json
import shlex

from simdesk.core.snippets import RunSpec, curl, mask_key, python_sdk, sim_cli

KEY = "sk-sim-AbCdEfGhIjKlMnOpQrStUvWxYz012345"


def _spec(**kw: object) -> RunSpec:
    base = dict(base_url="https://www.sim.ai/", workflow_id="wf-1", input={"topic": "fog's edge", "n": 2},
                api_key=KEY)
    base.update(kw)
    return RunSpec(**base)  # type: ignore[arg-type]


def test_mask_keeps_prefix_and_last_four_only() -> None:
    assert mask_key(KEY) == "sk-sim-••••••••2345"
    assert mask_key("sk-sim-demo") == "sk-sim-••••••••"
    assert mask_key(None) == "$SIM_API_KEY"


def test_no_snippet_contains_the_key() -> None:
    for mode in ("sync", "stream", "async"):
        for make in (curl, python_sdk, sim_cli):
            assert KEY not in make(_spec(mode=mode))


def test_curl_stream_with_agent_events_sends_the_protocol_header_and_exact_body() -> None:
    text = curl(_spec(mode="stream", selected_outputs=["Storyteller.content"], include_thinking=True))
    args = shlex.split(text.replace("\\\n", " "))
    assert args[:4] == ["curl", "-N", "-X", "POST"]
    assert args[4] == "https://www.sim.ai/api/v2/workflows/wf-1/execute"
    assert "X-Sim-Stream-Protocol: agent-events-v1" in args
    body = json.loads(args[args.index("-d") + 1])
    assert body == {"input": {"topic": "fog's edge", "n": 2}, "stream": True,
                    "selectedOutputs": ["Storyteller.content"], "includeThinking": True}


def test_curl_legacy_async_uses_the_mode_header_and_a_bare_body() -> None:
    args = shlex.split(curl(_spec(mode="async", surface="legacy", execution_timeout_s=60)).replace("\\\n", " "))
    assert args[args.index("POST") + 1] == "https://www.sim.ai/api/workflows/wf-1/execute"
    assert "X-Execution-Mode: async" in args and "X-Execution-Timeout-Seconds: 60" in args
    assert json.loads(args[args.index("-d") + 1]) == {"topic": "fog's edge", "n": 2}


def test_python_snippet_compiles_and_passes_the_options() -> None:
    source = python_sdk(_spec(mode="async", execution_timeout_s=600, input={"ok": True, "none": None}))
    compile(source, "<snippet>", "exec")
    assert "async_execution=True" in source and "execution_timeout_seconds=600" in source
    assert "{'ok': True, 'none': None}" in source


def test_python_snippet_opens_local_files() -> None:
    source = python_sdk(_spec(input={"documents": [{"$file": "/tmp/a.pdf", "name": "a.pdf", "size": 3}]}))
    compile(source, "<snippet>", "exec")
    assert "open('/tmp/a.pdf', 'rb')" in source


def test_cli_snippet_uses_the_official_flags() -> None:
    text = sim_cli(_spec(mode="stream", selected_outputs=["A.content"], include_tool_calls=True))
    args = shlex.split(text.replace("\\\n", " "))
    assert args[2:6] == ["sim", "workflows", "run", "wf-1"]
    assert args[0] == "SIM_ENDPOINT=https://www.sim.ai"
    assert "--follow" in args and "--include-tool-calls" in args
    assert args[args.index("--select-output") + 1] == "A.content"
    assert json.loads(args[args.index("--input") + 1]) == {"topic": "fog's edge", "n": 2}
    assert "--async" in sim_cli(_spec(mode="async"))
