"""Start a child process, read its lines until one says when, then ``kill -9`` it (the crash tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_then_kill(
    module: str,
    *args: str,
    until: Callable[[str], bool],
    read: str = "stdout",
    env: Mapping[str, str] | None = None,
) -> list[str]:
    """Run ``python -m module args…`` from the repo; SIGKILL it once ``until(line)`` (no cleanup, no flush).

    ``read`` is the stream whose lines are watched ("stdout" or "stderr"; a progress bar's ``\r``
    ends a line too); ``env`` adds to the environment. Returns the lines read, stripped. Fails the
    test if the child did not die of the SIGKILL.
    """
    command = [sys.executable, "-m", module, *args]
    environ = {**os.environ, **(env or {}), "PYTHONPATH": str(REPO)}
    # the other stream is dropped: a benchmark's stdout carries only its JSON
    pipes = (
        {"stdout": subprocess.PIPE} if read == "stdout" else {"stderr": subprocess.PIPE, "stdout": subprocess.DEVNULL}
    )
    child = subprocess.Popen(command, cwd=REPO, env=environ, text=True, **pipes)  # type: ignore[call-overload]
    watched = child.stdout if read == "stdout" else child.stderr
    lines: list[str] = []
    try:
        assert watched is not None
        for line in watched:
            lines.append(line.strip())
            if until(lines[-1]):
                break
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        if watched is not None:
            watched.close()
    assert child.returncode == -signal.SIGKILL
    return lines
