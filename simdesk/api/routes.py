"""Which path, headers and body each run operation uses on each surface (sim-api.md §4, §5, §7, §10).

v2 takes the input under ``input`` and modes in the body (``async``, ``stream``). Legacy takes
the *whole body minus control fields* as the input (files are converted only at its top level),
async mode from ``X-Execution-Mode: async`` and the run id from ``X-Execution-Id``; a body
``async`` there would silently become input. So legacy bodies spread the input at the top level,
unless one of its keys is a legacy control name, in which case the input is nested under
``input`` (the start block reads ``input.<field>`` first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simdesk.api.urls import segment

PROTOCOL_HEADER = "X-Sim-Stream-Protocol"
PROTOCOL = "agent-events-v1"

LEGACY_CONTROL_FIELDS = frozenset(
    {
        "selectedOutputs", "triggerType", "stream", "useDraftState", "inputFromExecutionId",
        "includeFileBase64", "base64MaxBytes", "workflowStateOverride", "deploymentVersionId",
        "triggerBlockId", "stopAfterBlockId", "runFromBlock", "copilotToolCallId", "workflowId",
        "parentWorkspaceId",
    }
)  # fmt: skip


def v2_workflow(workflow_id: str) -> str:
    return f"/api/v2/workflows/{segment(workflow_id)}"


def v2_execute(workflow_id: str) -> str:
    return f"{v2_workflow(workflow_id)}/execute"


def v2_run(workflow_id: str, run_id: str) -> str:
    return f"{v2_workflow(workflow_id)}/runs/{segment(run_id)}"


def legacy_execute(workflow_id: str) -> str:
    return f"/api/workflows/{segment(workflow_id)}/execute"


def legacy_execution(workflow_id: str, run_id: str) -> str:
    return f"/api/workflows/{segment(workflow_id)}/executions/{segment(run_id)}"


def legacy_resume(workflow_id: str, run_id: str, context_id: str) -> str:
    return f"/api/resume/{segment(workflow_id)}/{segment(run_id)}/{segment(context_id)}"


def legacy_status(workflow_id: str) -> str:
    return f"/api/workflows/{segment(workflow_id)}/status"


def legacy_job(job_id: str) -> str:
    return f"/api/jobs/{segment(job_id)}"


def v2_body(workflow_input: dict[str, Any], **controls: Any) -> dict[str, Any]:
    """``{"input": …, <controls>}``; controls that are ``None``/False/empty are left out."""
    return {"input": workflow_input, **_present(controls)}


def legacy_body(workflow_input: dict[str, Any], **controls: Any) -> dict[str, Any]:
    """The input spread at the top level plus controls, or nested when a key would be taken for
    a control field (or would clash with one we send)."""
    sent = _present(controls)
    if LEGACY_CONTROL_FIELDS.intersection(workflow_input) or set(sent).intersection(workflow_input):
        return {"input": workflow_input, **sent}
    return {**workflow_input, **sent}


def stream_controls(
    selected_outputs: Sequence[str], include_thinking: bool, include_tool_calls: bool
) -> dict[str, Any]:
    """The body fields of a streamed run (shared by both surfaces)."""
    return {
        "stream": True,
        "selectedOutputs": list(selected_outputs),
        "includeThinking": include_thinking,
        "includeToolCalls": include_tool_calls,
    }


def _present(controls: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in controls.items() if v is not None and v is not False and v != []}
