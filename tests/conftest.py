"""Shared pytest setup for the simdesk suite."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest

from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox

# Qt must never need a display in tests; set before anything imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Fixture modules shared by the whole suite.
pytest_plugins = ["tests.keyring_support"]


# --- sandbox and asyncio+Qt fixtures: owned by the sandbox/client authors ---


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    """One embedded sandbox (v2 on, free plan, manual clock) for the whole session."""
    sb = start_sandbox(SandboxConfig(clock=ManualClock()))
    yield sb
    sb.stop()


@pytest.fixture(scope="session")
def sandbox_no_v2() -> Iterator[RunningSandbox]:
    """A sandbox with the v2 gate off, as many self-hosted servers run."""
    sb = start_sandbox(SandboxConfig(clock=ManualClock(), v2=False))
    yield sb
    sb.stop()


@pytest.fixture(autouse=True)
def _reset_shared_sandboxes(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fault knobs, drained buckets and spend from one test never leak into the next."""
    yield
    for name in ("sandbox", "sandbox_no_v2"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


# STYLE.md pattern 13: one session-scoped qasync loop, a per-test error collector, and `arun`.
@pytest.fixture(scope="session")
def _qloop(qapp: Any) -> Iterator[Any]:
    import qasync

    from simdesk.services.executors import Executors

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    # As in the app: qasync's default QThreadExecutor (getaddrinfo, to_thread) leaves QThreads
    # that abort the interpreter at exit, since this session loop is never closed.
    executors = Executors()
    executors.install(loop)
    yield loop
    executors.shutdown(wait=True)


@pytest.fixture
def qloop(_qloop: Any) -> Iterator[Any]:
    """The session loop, with an error collector, and async-generator hooks as the app's loop has
    them (qasync's ``run_forever`` skips them): a generator dropped half way (an httpx body
    iterator under a finished stream) is closed on the loop, not by the garbage collector."""
    from simdesk.services.eventloop import asyncgen_hooks

    errors: list[dict[str, Any]] = []
    _qloop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))
    with asyncgen_hooks(_qloop):
        yield _qloop
    _qloop.set_exception_handler(None)
    assert not errors, errors


@pytest.fixture
def arun(qtbot: Any, qloop: Any) -> Callable[..., Any]:
    """Run a coroutine on the Qt-driven loop and return its result (waits with qtbot, never sleeps)."""

    def run(coro: Coroutine[Any, Any, Any], timeout: int = 5000) -> Any:
        task = asyncio.ensure_future(coro)
        qtbot.waitUntil(task.done, timeout=timeout)
        return task.result()

    return run


@pytest.fixture(autouse=True)
def no_leaked_top_level_widgets() -> Iterator[None]:
    """Fail a test that leaves a top-level widget behind (each one would stay until the session
    ends, and its timers and signals would reach into later tests). Tests that never touch Qt are
    not made to load it."""
    before = {id(w) for w in _top_level_widgets()}
    yield
    if "PySide6.QtWidgets" not in sys.modules:
        return
    from tests.support.app import flush_deletes

    flush_deletes()
    leaked = [w for w in _top_level_widgets() if id(w) not in before and type(w).__name__ != "QTipLabel"]
    names = [f"{type(w).__name__}({w.objectName()!r}, {getattr(w, 'text', lambda: '')()!r})" for w in leaked]
    for widget in leaked:  # clean up, so one leak does not fail every later test
        widget.close()
        widget.deleteLater()
    flush_deletes()
    assert not leaked, f"leaked top-level widgets: {names}"


def _top_level_widgets() -> list[Any]:
    if "PySide6.QtWidgets" not in sys.modules:
        return []
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    return app.topLevelWidgets() if isinstance(app, QApplication) else []
