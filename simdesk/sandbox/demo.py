"""The demo catalogue: workspaces, keys and workflows worth trying, with their timelines.

Ids are fixed so tests, benchmarks and docs can name them. ``Echo`` returns its input unchanged;
outside checks rely on it.
"""

from __future__ import annotations

import random
from typing import Any

from simdesk.sandbox.model import Block, Folder, Plan, Step, Workflow, Workspace

T0 = 1_785_000_000.0  # 2026-07-25, when the demo world was "created"

DEMO_KEY = "sk-sim-demo"
WORKSPACE_KEY = "sk-sim-demo-workspace"  # bound to the Demo workspace
DEMO_USER_ID = "usr_demo_0001"

WS_DEMO = "6f1c2a9e-0000-4000-8000-000000000001"
WS_TEAM = "6f1c2a9e-0000-4000-8000-000000000002"
WS_LOCKED = "6f1c2a9e-0000-4000-8000-000000000003"  # forbids personal keys

ECHO_ID = "3b1f7c92-0000-4a6b-9c0d-000000000001"
STORY_ID = "3b1f7c92-0000-4a6b-9c0d-000000000002"
RESEARCH_ID = "3b1f7c92-0000-4a6b-9c0d-000000000003"
SLOW_ID = "3b1f7c92-0000-4a6b-9c0d-000000000004"
FAILING_ID = "3b1f7c92-0000-4a6b-9c0d-000000000005"
APPROVAL_ID = "3b1f7c92-0000-4a6b-9c0d-000000000006"
FILES_ID = "3b1f7c92-0000-4a6b-9c0d-000000000007"
UNDEPLOYED_ID = "3b1f7c92-0000-4a6b-9c0d-000000000008"
LARGE_ID = "3b1f7c92-0000-4a6b-9c0d-000000000009"
PUBLIC_ID = "3b1f7c92-0000-4a6b-9c0d-00000000000a"
RESPONDER_ID = "3b1f7c92-0000-4a6b-9c0d-00000000000b"
TRIAGE_ID = "3b1f7c92-0000-4a6b-9c0d-00000000000c"
LOCKED_ID = "3b1f7c92-0000-4a6b-9c0d-00000000000d"

START = Block("b-start", "Start", "starter")

WORKSPACES = (
    Workspace(WS_DEMO, "Demo Workspace", "#7F56D9", member_count=3, created_at=T0),
    Workspace(WS_TEAM, "Team Ops", "#12B76A", member_count=8, created_at=T0 + 3600),
    Workspace(WS_LOCKED, "Locked Lab", "#F04438", allow_personal_keys=False, created_at=T0 + 7200),
)

FOLDERS = (
    Folder(WS_DEMO, "/Basics", created_at=T0 + 60),
    Folder(WS_DEMO, "/Agents", created_at=T0 + 120),
    Folder(WS_DEMO, "/Ops", created_at=T0 + 180),
    Folder(WS_DEMO, "/Ops/Archive", locked=True, created_at=T0 + 240),
    Folder(WS_TEAM, "/Support", created_at=T0 + 3700),
)


def _tokens(text: str) -> list[str]:
    """Split text into word-ish tokens that keep their leading space, like a model's stream."""
    out: list[str] = []
    for i, word in enumerate(text.split(" ")):
        out.append(word if i == 0 else " " + word)
    return out


def _stream_text(
    block_id: str, text: str, start: float, rng: random.Random, per_token: float = 0.03
) -> tuple[list[Step], float]:
    steps, t = [], start
    for token in _tokens(text):
        t += per_token * rng.uniform(0.5, 1.5)
        steps.append(Step(round(t, 4), "chunk", block_id, text=token))
    return steps, t


# --- Echo -------------------------------------------------------------------------------------

ECHO_BLOCK = Block("b-echo", "Echo", "function")


def plan_echo(inp: dict[str, Any], rng: random.Random) -> Plan:
    """The Start block's output (the run's input, see ``runs.start_output``), passed on unchanged."""
    output = dict(inp)
    steps = (Step(0.0, "block_done", START.id, value=output), Step(0.05, "block_done", ECHO_BLOCK.id, value=output))
    return Plan(steps, 0.05, "completed", output, 0.001)


# --- Story Teller: a long answer streamed token by token ----------------------------------------

STORY_AGENT = Block("b-storyteller", "Storyteller", "agent")
STORY_STATS = Block("b-story-stats", "Stats", "function")

_STORY = (
    "Once upon a time, in a harbour town where the fog rolled in every evening at exactly "
    "six o'clock, there lived a lighthouse keeper named Ingrid who collected lost sounds. "
    "She kept the creak of a ship's mast in a blue jar, a child's laugh in a green one, and "
    "the last note of a sailor's song in a jar so small it fit inside her thimble. "
    "One winter the fog came early and brought with it a sound nobody had heard before: a "
    "low hum, like a cello played underwater. Ingrid followed it along the quay, past the "
    "shuttered fish market and the bakery that smelled of cardamom, until she reached the "
    "end of the old pier. There, sitting on a coil of rope, was a small grey seal with a "
    "brass bell tied around its neck. Every time it breathed, the bell hummed. "
    "Ingrid did not put the hum in a jar. Instead she sat beside the seal until morning, "
    "and when the fog lifted she untied the bell, and the seal slipped into the sea. "
    "The town still talks about the winter the fog sang, and on quiet evenings, if you "
    "stand at the end of the pier at six o'clock, you can hear it hum 14°C of warmth into "
    "the cold air — or so Ingrid says, and she would know. 🌊"
)


def plan_story(inp: dict[str, Any], rng: random.Random) -> Plan:
    topic = str(inp.get("topic") or "a lighthouse keeper")
    text = _STORY if not inp.get("topic") else f"A story about {topic}. " + _STORY
    words = inp.get("words")
    if isinstance(words, int | float) and words > 0:
        text = " ".join(text.split(" ")[: int(words)])
    repeat = inp.get("repeat")
    if isinstance(repeat, int) and repeat > 1:
        text = " ".join([text] * min(repeat, 10_000))
    think = inp.get("think")
    # an agent that thinks before its first word: Sim then sends nothing, not even the stream's headers
    delay = min(float(think), 3600.0) if isinstance(think, int | float) and think > 0 else 0.0
    steps, t = _stream_text(STORY_AGENT.id, text, 0.4 + delay, rng)
    tokens = {"input": 42 + len(topic) // 4, "output": len(steps), "total": 42 + len(topic) // 4 + len(steps)}
    agent_out = {"content": text, "model": "gpt-4o", "tokens": tokens}
    steps.append(Step(round(t, 4), "block_done", STORY_AGENT.id, value=agent_out))
    stats = {"words": len(text.split()), "characters": len(text)}
    t += 0.02
    steps.append(Step(round(t, 4), "block_done", STORY_STATS.id, value=stats))
    return Plan(tuple(steps), t, "completed", agent_out, 0.02)


# --- Research Assistant: thinking, tool calls and a retracted draft (agent-events-v1) ------------

RESEARCH_AGENT = Block("b-researcher", "Researcher", "agent")
RESEARCH_SOURCES = Block("b-sources", "Sources", "function")


def plan_research(inp: dict[str, Any], rng: random.Random) -> Plan:
    question = str(inp.get("question") or "How warm is Oslo today?")
    a = RESEARCH_AGENT.id
    steps: list[Step] = []
    t = 0.3
    for thought in ("The user asks: ", question, " I should look this up ", "before answering."):
        t += 0.05
        steps.append(Step(t, "thinking", a, text=thought))
    draft, t = _stream_text(a, "Let me check a few sources first…", t, rng)
    steps += draft
    t += 0.05
    steps.append(Step(t, "reset", a))
    steps.append(Step(t, "tool_start", a, tool={"id": "call_1", "name": "web_search"}))
    t += 0.8
    steps.append(Step(t, "tool_end", a, tool={"id": "call_1", "name": "web_search", "status": "success"}))
    steps.append(Step(t, "tool_start", a, tool={"id": "call_2", "name": "read_page"}))
    t += 0.5
    steps.append(Step(t, "tool_end", a, tool={"id": "call_2", "name": "read_page", "status": "success"}))
    t += 0.1
    steps.append(Step(t, "thinking", a, text="Two sources agree: 14°C, cloudy."))
    answer = f"Short answer to “{question}”: it is 14°C and cloudy in Oslo, with light wind from the west."
    more, t = _stream_text(a, answer, t, rng)
    steps += more
    agent_out = {
        "content": answer,
        "model": "claude-sonnet-4",
        "tokens": {"input": 310, "output": len(more), "total": 310 + len(more)},
        "toolCalls": {"list": [{"name": "web_search"}, {"name": "read_page"}], "count": 2},
    }
    steps.append(Step(t, "block_done", a, value=agent_out))
    sources = {"sources": ["https://www.yr.no/en", "https://www.met.no/en"], "tempC": 14}
    t += 0.05
    steps.append(Step(t, "block_done", RESEARCH_SOURCES.id, value=sources))
    output = {"content": answer, "sources": sources["sources"], "tempC": 14}
    return Plan(tuple(steps), t, "completed", output, 0.05)


# --- Nightly Report: minutes of work with progress, for async -----------------------------------

SLOW_STEPS = 12


def _slow_block(i: int) -> Block:
    return Block(f"b-step-{i:02d}", f"Step {i}", "function")


def plan_slow(inp: dict[str, Any], rng: random.Random) -> Plan:
    minutes = inp.get("minutes", 3)
    if not isinstance(minutes, int | float) or minutes <= 0:
        minutes = 3
    total = float(minutes) * 60.0
    steps = []
    for i in range(1, SLOW_STEPS + 1):
        at = round(total * i / SLOW_STEPS, 3)
        progress = {"done": i, "total": SLOW_STEPS, "percent": round(100 * i / SLOW_STEPS)}
        steps.append(Step(at, "block_done", _slow_block(i).id, value={"progress": progress, "rows": 1000 * i}))
    output = {
        "progress": {"done": SLOW_STEPS, "total": SLOW_STEPS, "percent": 100},
        "report": {"rowsProcessed": 1000 * SLOW_STEPS, "anomalies": rng.randint(0, 5)},
    }
    return Plan(tuple(steps), total, "completed", output, 0.15)


# --- Flaky Fetch: always fails in its HTTP block ------------------------------------------------

FETCH_BLOCK = Block("b-http-1", "HTTP 1", "api")


def plan_failing(inp: dict[str, Any], rng: random.Random) -> Plan:
    error = {
        "code": "BLOCK_EXECUTION_FAILED",
        "message": "HTTP 1: 502 from upstream",
        "blockId": FETCH_BLOCK.id,
        "blockName": FETCH_BLOCK.name,
        "blockType": FETCH_BLOCK.type,
    }
    # a failed block leaves no final output: {} (tests/fixtures/sim-0.8.9/fail-legacy-sync.body)
    return Plan((), 0.5, "failed", {}, 0.005, error=error)


# --- Expense Approval: pauses for a human ------------------------------------------------------

APPROVAL_BLOCK = Block("b-approval", "Manager approval", "human_in_the_loop")
APPROVAL_AFTER = Block("b-book", "Book expense", "function")


def plan_approval(inp: dict[str, Any], rng: random.Random) -> Plan:
    amount = inp.get("amount", 120)
    response = {"message": f"Approve an expense of ${amount}?", "fields": ["approved", "comment"]}
    pause = {"blockId": APPROVAL_BLOCK.id, "response": response, "pauseKind": "human"}
    output = {"awaiting": "approval", "amount": amount}
    return Plan((), 0.3, "paused", output, 0.003, pause=pause)


def plan_approval_resume(original: dict[str, Any], resume: dict[str, Any], rng: random.Random) -> Plan:
    approved = bool(resume.get("approved", False))
    out = {
        "approved": approved,
        "comment": resume.get("comment", ""),
        "amount": original.get("amount", 120),
        "booked": approved,
    }
    steps = (Step(0.2, "block_done", APPROVAL_AFTER.id, value=out),)
    return Plan(steps, 0.2, "completed", out, 0.002)


# --- Document Summarizer: file[] input ---------------------------------------------------------

SUMMARY_AGENT = Block("b-summarizer", "Summarizer", "agent")


def plan_files(inp: dict[str, Any], rng: random.Random) -> Plan:
    docs = inp.get("documents") or []
    if isinstance(docs, dict):
        docs = [docs]
    names = [d.get("name", "file") for d in docs if isinstance(d, dict)]
    sizes = [d.get("size", 0) for d in docs if isinstance(d, dict)]
    text = (
        f"Read {len(names)} document(s): {', '.join(names) or 'none'}. "
        "They describe a quarterly plan with three goals and one open risk."
    )
    steps, t = _stream_text(SUMMARY_AGENT.id, text, 0.3, rng)
    out = {"content": text, "files": [{"name": n, "size": s} for n, s in zip(names, sizes, strict=True)]}
    steps.append(Step(t, "block_done", SUMMARY_AGENT.id, value=out))
    return Plan(tuple(steps), t, "completed", out, 0.01)


# --- Big Export: a large output, with one value too big to inline ------------------------------

EXPORT_BLOCK = Block("b-export", "Export", "function")


def plan_large(inp: dict[str, Any], rng: random.Random) -> Plan:
    rows = inp.get("rows", 20000)
    if not isinstance(rows, int) or rows < 0:
        rows = 20000
    rows = min(rows, 200_000)
    data = [{"id": i, "name": f"row-{i}", "value": round(rng.random(), 6)} for i in range(rows)]
    ref = {
        "__simLargeValueRef": True,
        "version": 1,
        "id": "lv_demo_archive",
        "kind": "string",
        "size": 12_582_912,
        "key": "archive",
        "preview": "PK\u0003\u0004…",
    }
    out = {"rows": data, "count": rows, "archive": ref}
    return Plan((Step(0.4, "block_done", EXPORT_BLOCK.id, value=out),), 0.4, "completed", out, 0.01)


# --- Public Ping: a public-API workflow (no key needed) ----------------------------------------

PING_BLOCK = Block("b-ping", "Ping", "function")


def plan_ping(inp: dict[str, Any], rng: random.Random) -> Plan:
    out = {"pong": True, "echo": inp}
    return Plan((Step(0.02, "block_done", PING_BLOCK.id, value=out),), 0.02, "completed", out, 0.0)


# --- Webhook Responder: a Response block sets status, headers and body -------------------------

RESPONSE_BLOCK = Block("b-response", "Response", "response")


def plan_responder(inp: dict[str, Any], rng: random.Random) -> Plan:
    data = {"received": inp, "ticket": "T-1042", "accepted": True}
    # the block's output lists the Content-Type it sends too (tests/fixtures/sim-0.8.9/resp-legacy-stream.body)
    headers = {"Content-Type": "application/json", "X-Demo-Responder": "yes"}
    response = {"status": 201, "headers": headers, "data": data}
    out = {"data": data, "status": 201, "headers": headers}
    steps = (Step(0.05, "block_done", RESPONSE_BLOCK.id, value=out),)
    return Plan(steps, 0.05, "completed", out, 0.001, response=response)


# --- Team Ops and Locked Lab -------------------------------------------------------------------

TRIAGE_AGENT = Block("b-triage", "Triage", "agent")


def plan_triage(inp: dict[str, Any], rng: random.Random) -> Plan:
    ticket = str(inp.get("ticket") or "Printer on floor 3 is on fire")
    text = f"Priority: high. Route to facilities. Summary: {ticket}."
    steps, t = _stream_text(TRIAGE_AGENT.id, text, 0.2, rng)
    out = {"content": text, "priority": "high"}
    steps.append(Step(t, "block_done", TRIAGE_AGENT.id, value=out))
    return Plan(tuple(steps), t, "completed", out, 0.01)


def _wf(**kw: Any) -> Workflow:
    kw.setdefault("blocks", (START,))
    return Workflow(**kw)


WORKFLOWS: tuple[Workflow, ...] = (
    _wf(
        id=ECHO_ID,
        name="Echo",
        description="Returns its input unchanged. Handy for checking a connection.",
        folder_path="/",
        workspace_id=WS_DEMO,
        blocks=(START, ECHO_BLOCK),
        planner=plan_echo,
        inputs=({"name": "message", "type": "string", "description": "Anything; it comes back as is"},),
        created_at=T0 + 300,
        deployed_at=T0 + 400,
        position=0,
    ),
    _wf(
        id=STORY_ID,
        name="Story Teller",
        description="An agent that tells a long story, token by token.",
        folder_path="/Agents",
        workspace_id=WS_DEMO,
        blocks=(START, STORY_AGENT, STORY_STATS),
        planner=plan_story,
        inputs=(
            {"name": "topic", "type": "string", "description": "What the story is about"},
            {"name": "words", "type": "number", "description": "Stop after this many words"},
            {"name": "repeat", "type": "number", "description": "Tell it this many times (long streams)"},
            {"name": "think", "type": "number", "description": "Seconds to think before the first word"},
        ),
        created_at=T0 + 500,
        deployed_at=T0 + 600,
        position=1,
    ),
    _wf(
        id=RESEARCH_ID,
        name="Research Assistant",
        description="Thinks, calls tools, retracts a draft and answers (try agent-events-v1).",
        folder_path="/Agents",
        workspace_id=WS_DEMO,
        blocks=(START, RESEARCH_AGENT, RESEARCH_SOURCES),
        planner=plan_research,
        needs_redeployment=True,
        inputs=({"name": "question", "type": "string", "description": "A question to research"},),
        created_at=T0 + 700,
        deployed_at=T0 + 800,
        position=2,
    ),
    _wf(
        id=SLOW_ID,
        name="Nightly Report",
        description="Minutes of simulated work with progress in its output. Run it in the background.",
        folder_path="/Ops",
        workspace_id=WS_DEMO,
        blocks=(START, *(_slow_block(i) for i in range(1, SLOW_STEPS + 1))),
        planner=plan_slow,
        inputs=({"name": "minutes", "type": "number", "description": "How long the report takes"},),
        created_at=T0 + 900,
        deployed_at=T0 + 1000,
        position=3,
    ),
    _wf(
        id=FAILING_ID,
        name="Flaky Fetch",
        description="Calls an upstream that always answers 502.",
        folder_path="/Ops",
        workspace_id=WS_DEMO,
        blocks=(START, FETCH_BLOCK),
        planner=plan_failing,
        inputs=({"name": "url", "type": "string"},),
        created_at=T0 + 1100,
        deployed_at=T0 + 1200,
        position=4,
    ),
    _wf(
        id=APPROVAL_ID,
        name="Expense Approval",
        description="Pauses until a manager approves.",
        folder_path="/Ops",
        workspace_id=WS_DEMO,
        blocks=(START, APPROVAL_BLOCK, APPROVAL_AFTER),
        planner=plan_approval,
        resume_planner=plan_approval_resume,
        inputs=({"name": "amount", "type": "number"}, {"name": "reason", "type": "string"}),
        created_at=T0 + 1300,
        deployed_at=T0 + 1400,
        position=5,
    ),
    _wf(
        id=FILES_ID,
        name="Document Summarizer",
        description="Summarises the files you give it.",
        folder_path="/Basics",
        workspace_id=WS_DEMO,
        blocks=(START, SUMMARY_AGENT),
        planner=plan_files,
        inputs=(
            {"name": "documents", "type": "file[]", "description": "PDFs, text or images"},
            {"name": "instructions", "type": "string"},
        ),
        created_at=T0 + 1500,
        deployed_at=T0 + 1600,
        position=6,
    ),
    _wf(
        id=UNDEPLOYED_ID,
        name="Draft Idea",
        description="Still a draft: never deployed.",
        folder_path="/Basics",
        workspace_id=WS_DEMO,
        blocks=(START, ECHO_BLOCK),
        planner=plan_echo,
        inputs=({"name": "idea", "type": "string"},),
        deployed=False,
        created_at=T0 + 1700,
        position=7,
    ),
    _wf(
        id=LARGE_ID,
        name="Big Export",
        description="Returns a large table and a value too big to inline.",
        folder_path="/Ops",
        workspace_id=WS_DEMO,
        blocks=(START, EXPORT_BLOCK),
        planner=plan_large,
        inputs=({"name": "rows", "type": "number", "description": "How many rows (default 20000)"},),
        created_at=T0 + 1800,
        deployed_at=T0 + 1900,
        position=8,
    ),
    _wf(
        id=PUBLIC_ID,
        name="Public Ping",
        description="A public API workflow: runs without a key.",
        folder_path="/Basics",
        workspace_id=WS_DEMO,
        blocks=(START, PING_BLOCK),
        planner=plan_ping,
        inputs=(),
        public_api=True,
        created_at=T0 + 2000,
        deployed_at=T0 + 2100,
        position=9,
    ),
    _wf(
        id=RESPONDER_ID,
        name="Webhook Responder",
        description="Answers with its own status and headers.",
        folder_path="/Basics",
        workspace_id=WS_DEMO,
        blocks=(START, RESPONSE_BLOCK),
        planner=plan_responder,
        inputs=({"name": "payload", "type": "object"},),
        created_at=T0 + 2200,
        deployed_at=T0 + 2300,
        position=10,
    ),
    _wf(
        id=TRIAGE_ID,
        name="Ticket Triage",
        description="Routes support tickets.",
        folder_path="/Support",
        workspace_id=WS_TEAM,
        blocks=(START, TRIAGE_AGENT),
        planner=plan_triage,
        inputs=({"name": "ticket", "type": "string"}, {"name": "tags", "type": "array"}),
        created_at=T0 + 3800,
        deployed_at=T0 + 3900,
        position=0,
    ),
    _wf(
        id=LOCKED_ID,
        name="Secret Experiment",
        description="Lives in a workspace that forbids personal keys.",
        folder_path="/",
        workspace_id=WS_LOCKED,
        blocks=(START, ECHO_BLOCK),
        planner=plan_echo,
        inputs=({"name": "message", "type": "string"},),
        created_at=T0 + 7300,
        deployed_at=T0 + 7400,
    ),
)
