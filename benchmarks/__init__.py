"""simdesk benchmarks: ``python -m benchmarks [--json] [--list] [NAME ...]``.

Each module in this package is one benchmark, named after the module (``sandbox``; later
``client``, ``startup``, ``budget``, ``jobs``, ``console`` …). A benchmark module has a docstring
(its first line is the one-line description ``--list`` shows) and a function::

    def run() -> dict[str, float]: ...

returning its figures with keys *without* a prefix (``{"sse_frames_per_s": 41234.0, …}``); the
runner prefixes them with the module name (``sandbox.sse_frames_per_s``). Key suffixes tell the
table how to show a figure: ``_per_s`` (a rate), ``_ratio`` / ``ratio_`` (a ×-factor), ``_ms``,
``_s``, ``_mb``; anything else is shown as a plain number.

Running:

* ``python -m benchmarks`` runs every benchmark and prints a table;
* ``python -m benchmarks sandbox`` runs only the named ones (an unknown name exits with status 2
  and lists the available ones);
* ``python -m benchmarks --json …`` prints exactly one flat JSON object on stdout
  (``{"sandbox.sse_frames_per_s": …, "sandbox.sync_round_trips_per_s": …}``), nothing else;
  progress goes to stderr.

Set ``SIMDESK_BENCH_QUICK=1`` to shrink every benchmark to a smoke run of a second or so (the
test suite does this); the figures are then only good for "it works". A benchmark should take
at most ~20 s in a full run.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

QUICK_ENV = "SIMDESK_BENCH_QUICK"


def quick() -> bool:
    """Whether to run a shrunken smoke version (``SIMDESK_BENCH_QUICK=1``)."""
    return os.environ.get(QUICK_ENV, "").strip().lower() not in ("", "0", "false", "no")


@contextlib.contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve an ASGI ``app`` with uvicorn in a daemon thread on a free port; yields its base URL.

    For benchmark baselines (a bare starlette endpoint, a frame source …); stops on exit.
    """
    import uvicorn  # only the benchmarks that serve something pay for the import

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            listening.set()

    listening = threading.Event()
    config = uvicorn.Config(app, host=host, port=0, log_level="warning", access_log=False, lifespan="off")
    server = Server(config)
    thread = threading.Thread(target=server.run, name="bench-uvicorn", daemon=True)
    thread.start()
    try:
        if not listening.wait(15):
            raise RuntimeError("uvicorn did not start")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def load_test_config() -> Any:
    """The sandbox as a load generator needs it: real clock, no pacing, no plan limits (enterprise,
    billing off) and no per-IP limit (every request comes from 127.0.0.1)."""
    from simdesk.sandbox.clock import RealClock
    from simdesk.sandbox.server import SandboxConfig

    return SandboxConfig(clock=RealClock(), pace=0.0, plan="enterprise", billing=False, ip_limit=False)


@contextlib.contextmanager
def sandbox_process(*flags: str, api_key: str = "sk-sim-demo") -> Iterator[str]:
    """``simdesk sandbox --port N [flags]`` in a process of its own (its own interpreter, as Sim is
    a server of its own: no GIL shared with the client); yields its URL. Benchmarks and tests use it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "simdesk", "sandbox", "--port", str(port), "--api-key", api_key, *flags]
    proc = subprocess.Popen(
        command, cwd=Path(__file__).resolve().parents[1], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # uvicorn says when it listens
            if "Uvicorn running on" in line:
                break
        else:
            raise RuntimeError(f"simdesk sandbox exited ({proc.wait()})")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()
