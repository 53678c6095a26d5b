"""Sandbox throughput: SSE frames/s it emits and sync execute round trips/s, against a bare starlette app.

Later benchmarks drive the client against the embedded sandbox; these figures say how much
headroom the server has, so a slow client figure is not the server's fault.

* ``sse_frames_per_s``: the Story Teller streamed over v2 with a large ``repeat`` and
  ``selectedOutputs=["Storyteller.content"]`` (one frame per token), read by a minimal raw-bytes
  reader that only counts ``\\n\\n``; frames received ÷ seconds from request to last byte.
* ``sync_round_trips_per_s``: sync v2 executes of Echo, one after another over one keep-alive
  ``httpx.Client``.
* ``baseline_round_trips_per_s``: the same loop against a bare starlette + uvicorn endpoint that
  reads the JSON body and answers a small JSON object, on this machine, in the same run (rounds
  alternate between the two servers; each figure is the best round);
  ``sync_ratio_vs_bare`` = sandbox ÷ bare (1.0 would mean the sandbox costs nothing extra).

The sandbox runs on the real clock with ``pace=0`` (no simulated delays) and ``billing=False``
on the enterprise plan, so no bucket throttles the measurement.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from benchmarks import load_test_config, quick, serve_in_thread
from simdesk.sandbox import demo
from simdesk.sandbox.server import start_sandbox


@dataclass(frozen=True)
class Knobs:
    repeat: int  # Story Teller repetitions: ~230 frames each
    rounds: int  # round-trip loops per server, alternating sandbox / bare; the best of each counts
    round_seconds: float  # how long each round-trip loop runs
    warmup: int  # requests before the first round


FULL = Knobs(repeat=150, rounds=3, round_seconds=1.0, warmup=50)
QUICK = Knobs(repeat=2, rounds=1, round_seconds=0.25, warmup=5)


def count_sse_frames(client: httpx.Client, base_url: str, repeat: int) -> tuple[int, float, bytes]:
    """Stream the Story Teller; returns (frames, seconds, last bytes of the body)."""
    body = {"input": {"repeat": repeat}, "stream": True, "selectedOutputs": ["Storyteller.content"]}
    frames = 0
    carry = b""
    tail = b""
    started = time.perf_counter()
    with client.stream("POST", f"{base_url}/api/v2/workflows/{demo.STORY_ID}/execute", json=body) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            data = carry + chunk
            frames += data.count(b"\n\n") - carry.count(b"\n\n")
            carry = data[-1:]
            tail = (tail + chunk)[-200:]
    return frames, time.perf_counter() - started, tail


def round_trips_per_s(client: httpx.Client, url: str, body: dict[str, Any], seconds: float, warmup: int) -> float:
    for _ in range(warmup):
        client.post(url, json=body).raise_for_status()
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        client.post(url, json=body).raise_for_status()
        done += 1
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - started)


async def _hello(request: Request) -> Response:
    await request.json()
    return JSONResponse({"hello": "world"})


def run() -> dict[str, float]:
    knobs = QUICK if quick() else FULL
    echo = {"input": {"message": "x"}}
    bare_app = Starlette(routes=[Route("/hello", _hello, methods=["POST"])])
    sb = start_sandbox(load_test_config())
    try:
        with (
            serve_in_thread(bare_app) as bare_url,
            httpx.Client(headers={"X-API-Key": sb.api_key}, timeout=None) as client,
            httpx.Client(base_url=bare_url) as bare_client,
        ):
            frames, seconds, tail = count_sse_frames(client, sb.base_url, knobs.repeat)
            if b'"event":"final"' not in tail:
                raise RuntimeError(f"the stream did not end with a final frame: {tail!r}")
            execute_url = f"{sb.base_url}/api/v2/workflows/{demo.ECHO_ID}/execute"
            sync = bare = 0.0
            for _ in range(knobs.rounds):  # alternate, so a busy moment hurts both sides alike
                sync = max(sync, round_trips_per_s(client, execute_url, echo, knobs.round_seconds, knobs.warmup))
                bare = max(bare, round_trips_per_s(bare_client, "/hello", echo, knobs.round_seconds, knobs.warmup))
    finally:
        sb.stop()
    return {
        "sse_frames_per_s": frames / seconds,
        "sse_frames": float(frames),
        "sync_round_trips_per_s": sync,
        "baseline_round_trips_per_s": bare,
        "sync_ratio_vs_bare": sync / bare,
    }
