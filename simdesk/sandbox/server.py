"""Build the sandbox app, and run it: in a background thread (embedded) or in the foreground (CLI).

Embedded use (``--demo``, tests, benchmarks)::

    sb = start_sandbox(SandboxConfig(clock=ManualClock()))
    httpx.get(sb.base_url + "/api/health")
    sb.stop()
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from dataclasses import dataclass, replace
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simdesk.sandbox import knowledge, legacy, mcp, members, v1, v2
from simdesk.sandbox.bodies import BodyLimit
from simdesk.sandbox.clock import Clock, ManualClock
from simdesk.sandbox.engine import StreamCut
from simdesk.sandbox.faults import FaultKnobs
from simdesk.sandbox.respond import SandboxMiddleware
from simdesk.sandbox.state import SandboxConfig, SandboxState, make_state

__all__ = ["RunningSandbox", "SandboxConfig", "create_app", "start_sandbox"]

log = logging.getLogger("simdesk.sandbox")


async def health(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    return JSONResponse({"status": "ok", "timestamp": state.now_iso()})


async def control_faults(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    if request.method == "POST":
        try:
            state.faults.update(await request.json())
        except (KeyError, ValueError) as exc:
            return JSONResponse({"error": f"unknown or invalid knob: {exc}"}, status_code=400)
    elif request.method == "DELETE":
        state.faults.clear()
    return JSONResponse(state.faults.as_dict())


async def control_usage(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    if request.method == "POST":
        body = await request.json()
        state.set_cost(float(body["currentPeriodCost"]))
    return JSONResponse({"currentPeriodCost": state.current_cost(), "limit": state.usage_limit})


async def control_clock(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    if request.method == "POST":
        if not isinstance(state.clock, ManualClock):
            return JSONResponse({"error": "the sandbox runs on the real clock"}, status_code=409)
        state.clock.advance(float((await request.json())["advance"]))
    return JSONResponse({"now": state.now_iso()})


CONTROL_ROUTES = [
    Route("/__sandbox/faults", control_faults, methods=["GET", "POST", "DELETE"]),
    Route("/__sandbox/usage", control_usage, methods=["GET", "POST"]),
    Route("/__sandbox/clock", control_clock, methods=["GET", "POST"]),
]


def create_app(state: SandboxState) -> Any:
    """The ASGI app for ``state`` (control routes only when ``config.control``)."""
    routes = [Route("/api/health", health, methods=["GET"]), *legacy.ROUTES, *v1.ROUTES]
    # before v2's own routes, which end in a catch-all 404
    routes += [*knowledge.ROUTES, *members.ROUTES, *mcp.ROUTES, *v2.ROUTES]
    if state.config.control:
        routes += CONTROL_ROUTES
    app = Starlette(routes=routes)
    app.state.sandbox = state
    return SandboxMiddleware(BodyLimit(app), state)  # the body cap inside: its 413 gets a request id too


class _QuietCuts(logging.Filter):
    """A stream cut on purpose is not an error worth a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, StreamCut):
                return False
            exc = (
                exc.__cause__ or exc.__context__ or (exc.exceptions[0] if isinstance(exc, BaseExceptionGroup) else None)
            )
        return True


logging.getLogger("uvicorn.error").addFilter(_QuietCuts())


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class RunningSandbox:
    """A sandbox serving on loopback in a daemon thread."""

    base_url: str
    state: SandboxState
    _server: uvicorn.Server
    _thread: threading.Thread

    @property
    def faults(self) -> FaultKnobs:
        return self.state.faults

    @property
    def clock(self) -> Clock:
        return self.state.clock

    @property
    def api_key(self) -> str:
        return self.state.config.api_keys[0]

    @property
    def config(self) -> SandboxConfig:
        return self.state.config

    def reset(self) -> None:
        """Between tests: fault knobs off, every bucket full, spend back to its starting figure."""
        self.state.faults.clear()
        self.state.buckets.reset()
        self.state.set_cost(self.state.initial_cost)

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _uvicorn_config(app: Any, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        ws="none",
        server_header=False,  # Sim's server names no server (tests/fixtures/sim-0.8.9/*.headers)
    )


def start_sandbox(
    config: SandboxConfig | None = None, *, log_level: str = "warning", **overrides: Any
) -> RunningSandbox:
    """Start a sandbox on a free port (or ``config.port``) in a daemon thread; returns once it answers."""
    config = replace(config or SandboxConfig(), **overrides)
    port = config.port or _free_port(config.host)
    state = make_state(config)
    state.base_url = f"http://{config.host}:{port}"
    server = uvicorn.Server(_uvicorn_config(create_app(state), config.host, port, log_level))
    ready = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(_serve(server, ready))
        except BaseException as exc:  # reported to the starting thread
            failure.append(exc)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=serve, name=f"simdesk-sandbox:{port}", daemon=True)
    thread.start()
    ready.wait(15)
    if failure or not server.started:
        raise RuntimeError(f"the sandbox did not start on {state.base_url}: {failure[0] if failure else 'timeout'}")
    return RunningSandbox(state.base_url, state, server, thread)


async def _serve(server: uvicorn.Server, ready: threading.Event) -> None:
    task = asyncio.create_task(server.serve())
    # uvicorn offers no "started" event to wait on, only the flag
    while not server.started and not task.done():  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    ready.set()
    await task
    if not server.started:
        raise RuntimeError("uvicorn could not bind")


def serve_forever(config: SandboxConfig, log_level: str = "info") -> None:
    """Run the sandbox in the foreground until interrupted (``simdesk sandbox``)."""
    state = make_state(config)
    state.base_url = f"http://{config.host}:{config.port}"
    uvicorn.Server(_uvicorn_config(create_app(state), config.host, config.port, log_level)).run()
