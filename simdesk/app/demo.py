"""The embedded sandbox behind ``simdesk --demo``: started in a background thread while Qt starts.

This module and :mod:`simdesk.__main__` are the only places the app imports :mod:`simdesk.sandbox`,
and the import happens lazily, in that thread: start-up time is benchmarked (``benchmarks/startup.py``).
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simdesk.sandbox.server import RunningSandbox

log = logging.getLogger("simdesk.app")


DEMO_SEEDED_LOGS = 2_000  # the demo workspace's log history (simdesk.sandbox.logbook)


class DemoSandbox:
    """Starts the sandbox in a background thread (import and bind overlap Qt's start-up)."""

    def __init__(self) -> None:
        self.future: concurrent.futures.Future[RunningSandbox] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._start, name="simdesk-demo-start", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        # Once running, the future can no longer be cancelled, so a quit during start-up waits in
        # stop() and then stops the server, instead of leaving it up with nowhere to report to.
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            from simdesk.sandbox.server import SandboxConfig, start_sandbox

            # runs of every trigger in the logs, as a real workspace has them
            sandbox = start_sandbox(SandboxConfig(seeded_logs=DEMO_SEEDED_LOGS))
        except BaseException as exc:  # reported where the future is awaited
            self.future.set_exception(exc)
            return
        self.future.set_result(sandbox)

    def stop(self) -> None:
        """Wait for the start to finish, then stop the server (idempotent)."""
        self._thread.join()
        if not self.future.cancelled() and self.future.exception() is None:
            sandbox = self.future.result()
            sandbox.stop()
            log.info("demo sandbox at %s stopped", sandbox.base_url)
