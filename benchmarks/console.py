"""Run console: chunks/s through the real widget vs the client alone, event-loop stalls, RSS for a 100 MB stream.

Keys (``python -m benchmarks --json`` prefixes them with ``console.``):

* ``chunks_per_s``: chunk events per second through :class:`~simdesk.services.runs.RunService`
  and the real :class:`~simdesk.ui.run_console.RunConsole` (offscreen, shown, 1280×800): transcript,
  history writes, raw-frames table and repaints included; from the first chunk received to the
  paint that shows the run's end.
* ``client_only_chunks_per_s``: the same stream read with ``SimClient.stream(keep_text=False)``
  (the call the console makes, less its raw-frames hook) and nothing else, on the same qasync
  loop; ``throughput_ratio`` = console ÷ client alone (goal ≥ 0.9). Rounds alternate between the
  two consumers; each figure is the best round.
* ``client_batches_chunks_per_s``: the same stream through ``SimClient.stream().batches()``, a
  network read's events at a time, which is how the console takes it (one loop step per read, not
  per event); ``throughput_ratio_vs_batches`` = console ÷ that: the stricter comparison, what the
  console's own work costs on top of the fastest way to read the stream.
* ``max_stall_ms``: the longest gap between ticks of a 10 ms ``QTimer`` (precise) while the
  console took the stream: how long the window could not react (goal ≤ 33 ms, two frames at 60 Hz).
* ``rss_growth_mb_100mb``: peak RSS growth (sampled every 5 ms from ``/proc/self/statm``) while the
  console takes a 100 MB stream (100 000 chunks of 1 000 characters), over the RSS just before it
  (goal ≤ 50 MB); the run's frames are then checked to be all on disk (``transcript_on_disk_complete``
  is 1.0, or the benchmark fails). ``client_only_rss_growth_mb_100mb`` is the same stream read by
  ``SimClient.stream(keep_text=False)`` alone: what the client itself holds as the console uses
  it; ``client_keep_text_rss_growth_mb_100mb`` is the same with the default ``keep_text=True``
  (the decoder then holds every chunk for ``Final.texts``).
  ``console_only_rss_growth_mb_100mb`` is the console fed the same 100 MB of events by a
  stand-in for the client (no network, no decoder): the console's own share, transcript on disk
  included.
* ``source_chunks_per_s``: what a raw byte reader that only counts frames gets from the source,
  the ceiling for both consumers.

The stream is the embedded sandbox's own: Story Teller runs recorded once from the sandbox (real
clock, ``pace=0``) and spliced into one stream of 100 118 chunks (one run stops short of 100 000 at
the plan's stream time cap), then replayed from an in-process source that writes
the recorded bytes in 256 KiB pieces, because the sandbox builds and emits frame by frame (about
25 000 frames/s here); served live it would be slower than the client and the ratio would only
measure the server. The 100 MB stream comes from the same source, generated lazily (its memory
is not counted).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from benchmarks import load_test_config, quick, serve_in_thread
from simdesk.api import Chunk, SimClient
from simdesk.sandbox import demo
from simdesk.sandbox.server import start_sandbox

WRITE_BYTES = 256 * 1024
STORY_SELECTOR = "Storyteller.content"
BIG_WORKFLOW = "bench-100mb"
BIG_CHUNK = ("The harbour fog rolled in at six. " * 30)[:1000]  # 1 000 characters per chunk
KEY = "sk-sim-bench"


@dataclass(frozen=True)
class Knobs:
    repeats: tuple[int, ...]  # Story Teller runs spliced into one stream (about 226 chunks per repeat)
    rounds: int
    big_chunks: int  # chunks of 1 000 characters in the memory run


FULL = Knobs(repeats=(400, 43), rounds=5, big_chunks=100_000)  # 90 400 + 9 718 = 100 118 chunks
QUICK = Knobs(repeats=(3, 2), rounds=1, big_chunks=2_000)


# --- the source ---------------------------------------------------------------------------------


def record_story(repeats: tuple[int, ...]) -> bytes:
    """Story Teller streams exactly as the embedded sandbox sends them, spliced into one: every
    run's frames but the last run's are kept without their ``final`` and ``[DONE]``.

    One run cannot reach 100 000 chunks: the sandbox, like Sim, fails a streamed run after the
    plan's sync cap (3 000 s enterprise, at ~30 ms of simulated time per token)."""
    sandbox = start_sandbox(load_test_config())
    parts: list[bytes] = []
    try:
        with httpx.Client(headers={"X-API-Key": sandbox.api_key}, timeout=None) as http:
            url = f"{sandbox.base_url}/api/v2/workflows/{demo.STORY_ID}/execute"
            for number, repeat in enumerate(repeats):
                body = {"input": {"repeat": repeat}, "stream": True, "selectedOutputs": [STORY_SELECTOR]}
                with http.stream("POST", url, json=body) as response:
                    response.raise_for_status()
                    data = response.read()
                if b'"event":"final"' not in data[-300:]:
                    raise RuntimeError("the sandbox's story did not end with a final frame")
                if number < len(repeats) - 1:
                    end = data.rindex(b'data: {"event":"final"')
                    data = data[:end]
                parts.append(data)
    finally:
        sandbox.stop()
    return b"".join(parts)


def big_template() -> bytes:
    """1 000 chunk frames of 1 000 characters (about 1 MB), repeated to make the 100 MB stream."""
    frame = ('data: {"blockId":"b-big","chunk":"' + BIG_CHUNK + '"}\n\n').encode()
    return frame * 1000


def source_app(story: bytes, big_chunks: int) -> Starlette:
    """Replays the recorded story, or generates the big stream lazily, in large writes."""
    pieces = [story[i : i + WRITE_BYTES] for i in range(0, len(story), WRITE_BYTES)]
    block = big_template()
    ending = b'data: {"event":"final","data":{"success":true,"output":{}}}\n\ndata: "[DONE]"\n\n'

    async def execute(request: Request) -> Response:
        await request.body()
        workflow = request.path_params["id"]

        async def body() -> AsyncIterator[bytes]:
            if workflow == BIG_WORKFLOW:
                for _ in range(big_chunks // 1000):
                    yield block
                yield ending
            else:
                for piece in pieces:
                    yield piece

        return StreamingResponse(body(), media_type="text/event-stream")

    async def elsewhere(request: Request) -> Response:  # run lookups, logs: not part of this benchmark
        return Response('{"error":{"code":"NOT_FOUND","message":"Run not found"}}', 404, media_type="application/json")

    return Starlette(
        routes=[
            Route("/api/v2/workflows/{id}/execute", execute, methods=["POST"]),
            Route("/{path:path}", elsewhere, methods=["GET", "POST"]),
        ]
    )


async def raw_rate(base_url: str, workflow: str) -> tuple[int, float]:
    """(chunk frames, frames per second) for a reader that only counts frames."""
    frames, carry, first = 0, b"", 0.0
    async with httpx.AsyncClient(base_url=base_url, timeout=None) as http:
        body = {"input": {}, "stream": True, "selectedOutputs": [STORY_SELECTOR]}
        async with http.stream("POST", f"/api/v2/workflows/{workflow}/execute", json=body) as response:
            async for piece in response.aiter_raw():
                if not first:
                    first = time.perf_counter()
                data = carry + piece
                frames += data.count(b"\n\n") - carry.count(b"\n\n")
                carry = data[-1:]
    frames -= 2  # final and [DONE]
    return frames, frames / (time.perf_counter() - first)


# --- consumers ----------------------------------------------------------------------------------


async def client_only(
    base_url: str, workflow: str, *, keep_text: bool = False, batched: bool = False
) -> tuple[int, float]:
    """(chunks, chunks per second from the first chunk to the end) through ``SimClient.stream()``,
    event by event, or (``batched``) a network read's events at a time as the console takes them."""
    chunks, first = 0, 0.0
    async with SimClient(base_url, KEY, surface="v2") as client:
        stream = client.stream(workflow, {}, selected_outputs=[STORY_SELECTOR], keep_text=keep_text)
        async with stream:
            if batched:
                async for batch in stream.batches():
                    if not first:
                        first = time.perf_counter()
                    chunks += sum(type(event) is Chunk for event in batch)
            else:
                async for event in stream:
                    if type(event) is Chunk:
                        if not chunks:
                            first = time.perf_counter()
                        chunks += 1
    return chunks, chunks / (time.perf_counter() - first)


@dataclass
class ConsoleRound:
    chunks: int
    rate: float
    max_stall_ms: float
    frames_on_disk: int


class Console:
    """The real console (workbench widgets and services) on one data directory."""

    def __init__(self, base_url: str, client: Any = None) -> None:
        from PySide6.QtWidgets import QApplication

        from simdesk.app.workbench import build_workbench

        self.dir = tempfile.TemporaryDirectory(prefix="simdesk-bench-")
        self.bench = build_workbench(Path(self.dir.name))
        self.client = client or SimClient(base_url, KEY, surface="v2")
        self.bench.console.resize(1280, 800)
        self.bench.console.show()
        QApplication.processEvents()

        async def get() -> SimClient:
            return self.client

        self.bench.runs.set_profile("bench", get, base_url=base_url)

    async def take(self, workflow: str, on_tick: Callable[[], None] | None = None) -> ConsoleRound:
        from PySide6.QtCore import Qt, QTimer

        from simdesk.core.transcript import Settled
        from simdesk.services.run_modes import RunRequest

        runs = self.bench.runs
        ticks: list[float] = []
        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.setInterval(10)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        if on_tick is not None:
            timer.timeout.connect(on_tick)
        end_at: list[float] = []

        def changed(changes: list[Any]) -> None:
            if any(type(c) is Settled for c in changes) and not end_at:
                end_at.append(time.perf_counter())  # the paint that shows the run's end

        finished = asyncio.get_running_loop().create_future()
        runs.changed.connect(changed)

        def done(outcome: object) -> None:
            if not finished.done():
                finished.set_result(outcome)

        runs.finished.connect(done)
        request = RunRequest("bench", workflow, "Story Teller", "stream", {}, selected_outputs=[STORY_SELECTOR])
        timer.start()
        if not runs.start(request):
            raise RuntimeError("the console did not start the run")
        outcome = await finished
        timer.stop()
        runs.changed.disconnect(changed)
        if outcome.status != "completed":
            raise RuntimeError(f"the benchmark run ended {outcome.status}: {outcome.error}")
        timing = runs.transcript.timing
        first = runs.clock_origin + (timing.first_chunk or 0.0)
        end = end_at[0] if end_at else time.perf_counter()
        window = [t for t in ticks if first <= t <= end]
        stalls = [b - a for a, b in itertools.pairwise(window)]
        assert runs.header is not None
        runs.history.flush()
        record = runs.history.get(runs.header.key)
        on_disk = record.frames if record is not None else 0
        return ConsoleRound(timing.chunks, timing.chunks / (end - first), max(stalls, default=0.0) * 1000, on_disk)

    async def close(self) -> None:
        await self.bench.aclose()
        await self.client.aclose()
        self.bench.console.close()
        self.bench.panel.close()
        self.dir.cleanup()


class EventsOnly:
    """Stands in for :class:`SimClient` with a stream of ready-made events and no network: what
    the console alone costs in memory."""

    base_url = "http://bench.invalid"
    surface = "v2"

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks

    def stream(self, *_args: Any, **_kw: Any) -> Any:
        from simdesk.core.stream_events import Final

        outer = self

        class Stream:
            run_id = "bench-run"

            async def __aenter__(self) -> Stream:
                return self

            async def __aexit__(self, *exc: object) -> None:
                return None

            async def batches(self) -> AsyncIterator[list[Any]]:
                for start in range(0, outer.chunks, 64):  # 64 KiB reads, as the network's
                    yield [Chunk("b-big", BIG_CHUNK) for _ in range(min(64, outer.chunks - start))]
                    await asyncio.sleep(0)
                yield [Final(True, {}, "bench-run")]

        return Stream()

    async def get_run(self, *_args: Any, **_kw: Any) -> Any:
        from simdesk.api import NotFoundError

        raise NotFoundError("not in this benchmark")

    get_log = get_run

    async def aclose(self) -> None:
        return None


# --- memory ------------------------------------------------------------------------------------


def rss_bytes() -> int:
    """Resident set size now (Linux); 0 where unknown."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class PeakRss:
    """Samples RSS every 5 ms in a thread; ``peak`` is the highest seen."""

    def __init__(self) -> None:
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="bench-rss", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


# --- the benchmark -----------------------------------------------------------------------------


async def measure(base_url: str, knobs: Knobs) -> dict[str, float]:
    import gc

    source_chunks, source_rate = await raw_rate(base_url, demo.STORY_ID)
    best_client, best_batches, best_console, stall = 0.0, 0.0, 0.0, 0.0
    for _ in range(knobs.rounds):
        chunks, rate = await client_only(base_url, demo.STORY_ID)
        if chunks != source_chunks:
            raise RuntimeError(f"the client saw {chunks} chunks, the source sent {source_chunks}")
        best_client = max(best_client, rate)
        chunks, rate = await client_only(base_url, demo.STORY_ID, batched=True)
        if chunks != source_chunks:
            raise RuntimeError(f"the client's batches held {chunks} chunks, the source sent {source_chunks}")
        best_batches = max(best_batches, rate)
        console = Console(base_url)
        try:
            result = await console.take(demo.STORY_ID)
        finally:
            await console.close()
        if result.chunks != source_chunks or result.frames_on_disk != source_chunks + 1:
            raise RuntimeError(f"the console took {result.chunks} chunks ({result.frames_on_disk} on disk)")
        if result.rate > best_console:
            best_console, stall = result.rate, result.max_stall_ms
        gc.collect()

    # memory: the client alone, then the console, each over its own baseline
    gc.collect()
    base = rss_bytes()
    with PeakRss() as peak:
        chunks, _ = await client_only(base_url, BIG_WORKFLOW)
    client_growth = (peak.peak - base) / 2**20
    if chunks != knobs.big_chunks:
        raise RuntimeError(f"the client saw {chunks} of {knobs.big_chunks} big chunks")
    gc.collect()
    console = Console(base_url)
    try:
        gc.collect()
        base = rss_bytes()
        with PeakRss() as peak:
            big = await console.take(BIG_WORKFLOW)
        console_growth = (peak.peak - base) / 2**20
        complete = big.chunks == knobs.big_chunks and big.frames_on_disk == knobs.big_chunks + 1
        if not complete:
            raise RuntimeError(f"only {big.frames_on_disk} of {knobs.big_chunks + 1} frames reached the disk")
    finally:
        await console.close()
    gc.collect()
    console = Console(base_url, EventsOnly(knobs.big_chunks))
    try:
        gc.collect()
        base = rss_bytes()
        with PeakRss() as peak:
            alone = await console.take(BIG_WORKFLOW)
        console_only_growth = (peak.peak - base) / 2**20
        if alone.frames_on_disk != knobs.big_chunks + 1:
            raise RuntimeError(f"only {alone.frames_on_disk} of {knobs.big_chunks + 1} frames reached the disk")
    finally:
        await console.close()
    gc.collect()  # last: the heap it leaves behind would flatter any measurement after it
    base = rss_bytes()
    with PeakRss() as peak:
        await client_only(base_url, BIG_WORKFLOW, keep_text=True)
    keep_text_growth = (peak.peak - base) / 2**20
    return {
        "chunks_per_s": best_console,
        "client_only_chunks_per_s": best_client,
        "throughput_ratio": best_console / best_client,
        "client_batches_chunks_per_s": best_batches,
        "throughput_ratio_vs_batches": best_console / best_batches,
        "max_stall_ms": stall,
        "rss_growth_mb_100mb": console_growth,
        "client_only_rss_growth_mb_100mb": client_growth,
        "client_keep_text_rss_growth_mb_100mb": keep_text_growth,
        "console_only_rss_growth_mb_100mb": console_only_growth,
        "transcript_on_disk_complete": 1.0,
        "source_chunks_per_s": source_rate,
        "stream_chunks": float(source_chunks),
    }


def run() -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    from simdesk.services.eventloop import AppEventLoop

    knobs = QUICK if quick() else FULL
    sys.stderr.write("console: recording the sandbox stream…\n")
    story = record_story(knobs.repeats)
    app = QApplication.instance() or QApplication([])
    if isinstance(app, QApplication):
        app.setQuitOnLastWindowClosed(False)  # closing a round's console must not end the loop
    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with serve_in_thread(source_app(story, knobs.big_chunks)) as base_url:
            return loop.run_until_complete(measure(base_url, knobs))
    finally:
        loop.close()
        asyncio.set_event_loop(None)
