"""Rules only CONTRACT.md states: response headers (§1, §3.2, §5.2, §6.1) and SSE frames (§6).

The OpenAPI files say nothing about these, so they are checked here for every response the
conformance tests see: :func:`check_headers` on every exchange, :class:`SseChecker` fed the raw
bytes of every ``text/event-stream`` body as they arrive.
"""

from __future__ import annotations

import codecs
import json
import re
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator

from tests.conformance.openapi import Exchange

ISO_MS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
WWW_AUTHENTICATE = 'SimApiKey realm="Sim API", header="x-api-key"'
PROTOCOL = "agent-events-v1"
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
LEGACY_NO_HEADER_429 = (
    "Rate limit exceeded. Please try again later.",
    "Too many concurrent executions are in progress for this billing account.",
)


def _error_message(body: Any) -> str | None:
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            return err.get("message")
        if isinstance(err, str):
            return err
    return None


def _details_code(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        details = body["error"].get("details")
        if isinstance(details, dict):
            return details.get("code")
    return None


def check_headers(ex: Exchange) -> list[str]:
    """Header rules of CONTRACT.md for one exchange."""
    problems: list[str] = []
    h = ex.headers
    path = ex.path
    api_body = ex.media_type in ("application/json", "text/event-stream")
    if not path.startswith("/api/") or not api_body or 300 <= ex.status < 400:
        # a redirect from the apex host, or a proxy's HTML error page, is not the API talking
        return problems
    # §1: x-request-id on every API response except /api/health
    if path == "/api/health":
        if "x-request-id" in h:
            problems.append("/api/health must not carry x-request-id")
    elif not re.fullmatch(r"[0-9a-f]{8}", h.get("x-request-id", "")):
        problems.append(f"x-request-id {h.get('x-request-id')!r} is not 8 hex characters (sync-execute.headers)")
    # real Sim v0.8.9: every API answer carries the web server's security and CORS headers, and
    # JSON is sent chunked (tests/fixtures/sim-0.8.9/*.headers)
    for name in ("content-security-policy", "x-frame-options", "access-control-allow-origin"):
        if name not in h:
            problems.append(f"{name} missing")
    if ex.media_type == "application/json" and "content-length" in h:
        problems.append("JSON answer has Content-Length; Sim sends it chunked")
    # §3.2: Retry-After is integer seconds, never an HTTP-date
    retry = h.get("retry-after")
    if retry is not None and not re.fullmatch(r"\d+", retry):
        problems.append(f"Retry-After {retry!r} is not integer seconds")
    present = [name for name in RATE_HEADERS if name in h]
    if present:
        problems += _check_rate_header_values(h)
    v2 = path.startswith("/api/v2/")
    v1 = path.startswith("/api/v1/")
    sse = ex.media_type == "text/event-stream"
    if v2:
        problems += _check_v2_headers(ex, present, sse)
    elif v1:
        problems += _check_v1_headers(ex, present)
    elif present:
        problems.append(f"legacy route carries {', '.join(present)} (§3.2: none on legacy routes)")
    if not v2 and path.endswith("/execute") and ex.status == 429 and ex.media_type == "application/json":
        message = _error_message(ex.body) or ""
        if message.startswith(LEGACY_NO_HEADER_429) and retry is not None:
            problems.append("legacy execution-bucket/concurrency 429 must carry no headers (§3.3)")
        if isinstance(ex.body, dict) and ex.body.get("code") == "ADMISSION_GATE_CAPACITY" and retry != "5":
            problems.append("legacy capacity 429 must carry Retry-After: 5")
    if sse:
        problems += _check_sse_headers(ex)
    return problems


def _check_rate_header_values(h: Any) -> list[str]:
    problems = []
    limit, remaining, reset = (h.get(n) for n in RATE_HEADERS)
    if None in (limit, remaining, reset):
        problems.append("X-RateLimit-Limit/Remaining/Reset must come together")
        return problems
    if not re.fullmatch(r"\d+", limit) or not re.fullmatch(r"\d+", remaining):
        problems.append(f"X-RateLimit-Limit/Remaining not integers: {limit!r}, {remaining!r}")
    elif int(remaining) > int(limit):
        problems.append(f"X-RateLimit-Remaining {remaining} > Limit {limit}")
    if not ISO_MS_RE.match(reset):
        problems.append(f"X-RateLimit-Reset {reset!r} is not an ISO 8601 timestamp with ms and Z")
    return problems


def _check_v1_headers(ex: Exchange, present: list[str]) -> list[str]:
    """§3.2 'v1 routes': X-RateLimit-* on success and 429, Retry-After on 429; a 401 never reached the bucket."""
    problems = []
    if ex.status in (200, 429) and len(present) != len(RATE_HEADERS):
        problems.append(f"v1 {ex.status} without X-RateLimit-Limit/Remaining/Reset (§3.2)")
    if ex.status == 401 and present:
        problems.append("v1 401 carries X-RateLimit-* although no bucket was consulted")
    if ex.status == 429:
        if "retry-after" not in ex.headers:
            problems.append("v1 429 without Retry-After")
        retry_at = ex.body.get("retryAfter") if isinstance(ex.body, dict) else None
        reset = ex.headers.get("x-ratelimit-reset")
        if reset and ISO_MS_RE.match(reset) and retry_at != _epoch_ms(reset):
            problems.append(f"v1 429 retryAfter {retry_at!r} is not X-RateLimit-Reset {reset} in epoch ms (§8.3)")
    return problems


def _epoch_ms(iso_text: str) -> int:
    return round(datetime.fromisoformat(iso_text.replace("Z", "+00:00")).timestamp() * 1000)


def _check_v2_headers(ex: Exchange, present: list[str], sse: bool) -> list[str]:
    problems = []
    h = ex.headers
    message = _error_message(ex.body)
    if not sse and h.get("cache-control") != "private, no-store":
        problems.append(f"v2 Cache-Control is {h.get('cache-control')!r}, not 'private, no-store'")
    if ex.status == 401 and h.get("www-authenticate") != WWW_AUTHENTICATE:
        problems.append(f"v2 401 WWW-Authenticate is {h.get('www-authenticate')!r}")
    gate = ex.status == 404 and message == "Not found"
    pre_admission = ex.status in (401, 413, 502, 503) or gate
    # the request bucket is per key (§3.1); an anonymous public-API call has none to report
    keyed = bool(ex.request_headers.get("x-api-key"))
    if keyed and not pre_admission and len(present) != len(RATE_HEADERS):
        problems.append("admitted v2 response without X-RateLimit-Limit/Remaining/Reset (§3.2)")
    if ex.status == 429 and "retry-after" not in h:
        problems.append("v2 429 without Retry-After")
    if ex.status == 503:
        ambiguous = _details_code(ex.body) == "ASYNC_ENQUEUE_AMBIGUOUS"
        if ambiguous and "retry-after" in h:
            problems.append("503 ASYNC_ENQUEUE_AMBIGUOUS must not carry Retry-After (§5.3)")
        if not ambiguous and h.get("retry-after") != "5":
            problems.append("v2 503 must carry Retry-After: 5 (§16.22)")
    execute = ex.path.endswith("/execute") and ex.method.upper() == "POST"
    if execute and sse and "x-run-id" in h:
        problems.append("v2 stream response must not carry X-Run-Id (§5.2)")
    if execute and not sse and ex.status in (200, 202):
        run_id = (ex.body or {}).get("data", {}).get("runId") if isinstance(ex.body, dict) else None
        if h.get("x-run-id") != run_id:
            problems.append(f"X-Run-Id header {h.get('x-run-id')!r} != data.runId {run_id!r}")
    return problems


def _check_sse_headers(ex: Exchange) -> list[str]:
    problems = []
    h = ex.headers
    if ex.status != 200:
        problems.append(f"SSE with status {ex.status} (§6.1: always 200 once streaming)")
    if h.get("cache-control") != "no-cache":
        problems.append(f"SSE Cache-Control {h.get('cache-control')!r}, expected 'no-cache'")
    if h.get("x-accel-buffering") != "no":
        problems.append("SSE without X-Accel-Buffering: no")
    asked = ex.request_headers.get("x-sim-stream-protocol")
    if asked == PROTOCOL and h.get("x-sim-stream-protocol") != PROTOCOL:
        problems.append("X-Sim-Stream-Protocol not echoed")
    if asked != PROTOCOL and "x-sim-stream-protocol" in h:
        problems.append("X-Sim-Stream-Protocol echoed although not requested")
    return problems


# --- SSE frames (§6.3) ---------------------------------------------------------------------------

_STR = {"type": "string"}
_ID = {"type": "string", "minLength": 1}


def _obj(required: list[str], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props, "additionalProperties": False}


FRAME_SCHEMAS: dict[str | None, dict[str, Any]] = {
    None: _obj(["blockId", "chunk"], {"blockId": _ID, "chunk": _STR}),
    "chunk_reset": _obj(["blockId", "event"], {"blockId": _ID, "event": {"const": "chunk_reset"}}),
    "thinking": _obj(["blockId", "event", "data"], {"blockId": _ID, "event": {"const": "thinking"}, "data": _STR}),
    "tool": {
        **_obj(
            ["blockId", "event", "phase", "id", "name"],
            {
                "blockId": _ID,
                "event": {"const": "tool"},
                "phase": {"enum": ["start", "end"]},
                "id": _ID,
                "name": _ID,
                "status": _STR,
            },
        ),
        "if": {"properties": {"phase": {"const": "start"}}},
        "then": {"not": {"required": ["status"]}},
    },
    "stream_error": _obj(
        ["event", "blockId", "error"], {"event": {"const": "stream_error"}, "blockId": _ID, "error": _STR}
    ),
    "error": _obj(["event", "error"], {"event": {"const": "error"}, "blockId": _ID, "error": _STR}),
    "final": _obj(
        ["event", "data"],
        {
            "event": {"const": "final"},
            "data": _obj(
                ["success", "output"],
                {"success": {"type": "boolean"}, "error": _STR, "output": {}, "status": {"const": "paused"}},
            ),
        },
    ),
}
_FRAME_VALIDATORS = {k: Draft202012Validator(v) for k, v in FRAME_SCHEMAS.items()}
TERMINAL_EVENTS = ("error", "final")
DONE = "[DONE]"


class SseViolation(AssertionError):
    """The stream broke a rule of CONTRACT.md §6."""


class SseChecker:
    """Parses an execution stream incrementally (§6.4) and holds it to §6.1–§6.3.

    ``feed`` raw bytes as they arrive (a code point or a frame may straddle chunks), ``finish``
    when the body ended. Violations raise :class:`SseViolation` at once (``strict``) and are
    kept in ``violations``. ``frames`` holds the parsed payloads (dicts, and ``"[DONE]"``).
    Accepted deviations the CONTRACT allows a stream to have: ``\\r\\n`` line endings and a bare
    ``[DONE]`` (§6.1 "accept both"; §16.7 asks the sandbox to produce them on request).
    """

    def __init__(
        self,
        *,
        protocol: bool = False,
        include_thinking: bool = False,
        include_tool_calls: bool = False,
        strict: bool = True,
    ) -> None:
        self.protocol = protocol
        self.include_thinking = include_thinking
        self.include_tool_calls = include_tool_calls
        self.strict = strict
        self.frames: list[Any] = []
        self.violations: list[str] = []
        self.raw_chunks = 0
        self.split_reads = 0  # reads that ended inside a frame (a line or frame left half-read)
        self.crlf = False
        self.bare_done = False
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._text = ""
        self._lines: list[str] = []
        self._terminal: dict[str, Any] | None = None
        self._done = False
        self._emitters: list[str] = []
        self.finished = False

    @classmethod
    def for_request(cls, request_headers: Any, request_body: Any) -> SseChecker:
        body = request_body if isinstance(request_body, dict) else {}
        return cls(
            protocol=request_headers.get("x-sim-stream-protocol") == PROTOCOL,
            include_thinking=body.get("includeThinking") is True,
            include_tool_calls=body.get("includeToolCalls") is True,
        )

    # --- parsing ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        self.raw_chunks += 1
        try:
            self._text += self._decoder.decode(data)
        except UnicodeDecodeError as exc:
            self._fail(f"invalid UTF-8 in stream: {exc}")
            return
        while "\n" in self._text:
            line, self._text = self._text.split("\n", 1)
            if line.endswith("\r"):
                self.crlf = True
                line = line[:-1]
            if line:
                self._lines.append(line)
            else:
                self._frame(self._lines)
                self._lines = []
        if self._text or self._lines or self._decoder.getstate()[0]:
            self.split_reads += 1

    def finish(self) -> None:
        """The body ended normally (EOF)."""
        self.finished = True
        try:
            self._text += self._decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            self._fail(f"stream ends inside a UTF-8 sequence: {exc}")
        if self._text or self._lines:
            self._fail(f"stream ends with an unterminated frame: {(self._lines, self._text)!r}")
        if not self._done:
            self._fail('stream ended without the "[DONE]" frame')
        if self._terminal is None:
            self._fail("stream ended without a terminal frame (final or error)")

    # --- rules -----------------------------------------------------------------------------

    def _fail(self, message: str) -> None:
        self.violations.append(message)
        if self.strict:
            raise SseViolation(message)

    def _frame(self, lines: list[str]) -> None:
        if len(lines) != 1:
            self._fail(f"a frame must be exactly one data: line, got {lines!r}")
            lines = [ln for ln in lines if ln.startswith("data:")][:1]
            if not lines:
                return
        line = lines[0]
        if not line.startswith("data: "):
            self._fail(f"frame line does not start with 'data: ': {line[:80]!r} (§6.1)")
            return
        payload = line[len("data: ") :]
        if self._done:
            self._fail(f"frame after [DONE]: {payload[:80]!r}")
        if payload == DONE:
            self.bare_done = True
            self._on_done()
            return
        try:
            value = json.loads(payload)
        except ValueError:
            self._fail(f"frame is not JSON: {payload[:120]!r}")
            return
        if json.dumps(value, separators=(",", ":"), ensure_ascii=False) != payload:
            self._fail(f"frame JSON is not compact: {payload[:120]!r} (§6.1)")
        if value == DONE:
            self._on_done()
            return
        self.frames.append(value)
        self._check_frame(value)

    def _on_done(self) -> None:
        self.frames.append(DONE)
        if self._terminal is None:
            self._fail("[DONE] before any terminal frame (§6.3: after exactly one terminal frame)")
        self._done = True

    def _check_frame(self, frame: Any) -> None:
        if not isinstance(frame, dict):
            self._fail(f"frame is not a JSON object: {frame!r}")
            return
        if self._terminal is not None:
            self._fail(f"frame after the terminal frame {self._terminal.get('event')!r}: {frame!r}")
        event = frame.get("event")
        validator = _FRAME_VALIDATORS.get(event)
        if validator is None:
            self._fail(f"unknown frame event {event!r}: {frame!r}")
            return
        for error in validator.iter_errors(frame):
            path = "/".join(str(p) for p in error.absolute_path)
            self._fail(f"{event or 'chunk'} frame at /{path}: {error.message}")
        if event in ("chunk_reset", "thinking", "tool") and not self.protocol:
            self._fail(f"{event} frame without the X-Sim-Stream-Protocol header (§6.3)")
        if event == "thinking" and not self.include_thinking:
            self._fail("thinking frame without includeThinking (§6.3)")
        if event == "tool" and not self.include_tool_calls:
            self._fail("tool frame without includeToolCalls (§6.3)")
        if event is None:
            block = frame.get("blockId")
            if isinstance(block, str) and block not in self._emitters:
                chunk = frame.get("chunk", "")
                if self._emitters and not chunk.startswith("\n\n"):
                    self._fail(f"first chunk of a second block {block!r} lacks the '\\n\\n' prefix (§6.2)")
                self._emitters.append(block)
        if event in TERMINAL_EVENTS:
            self._terminal = frame

    # --- what the test reads ---------------------------------------------------------------

    @property
    def terminal(self) -> dict[str, Any] | None:
        return self._terminal

    def text_by_block(self) -> dict[str, str]:
        """Accumulated answer text per block, honouring ``chunk_reset`` (§6.4)."""
        out: dict[str, str] = {}
        for frame in self.frames:
            if not isinstance(frame, dict):
                continue
            if frame.get("event") is None and "chunk" in frame:
                out[frame["blockId"]] = out.get(frame["blockId"], "") + frame["chunk"]
            elif frame.get("event") == "chunk_reset":
                out[frame["blockId"]] = ""
        return out

    def events(self) -> list[str]:
        return [(f.get("event") or "chunk") if isinstance(f, dict) else DONE for f in self.frames]
