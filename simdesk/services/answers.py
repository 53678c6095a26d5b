"""Requests whose answers may arrive late: only the newest request of each area is answered.

A panel that lists one workspace's things asks again when the user picks another workspace or
presses refresh; an answer to an older request must not overwrite the newer one. :class:`Answers`
runs each request as a held task (:class:`~simdesk.services.tasks.TaskSet`), numbers the requests
of each area, and publishes an answer (or a failure sentence) only if no newer request of that
area started meanwhile. :meth:`Answers.forget` drops every answer still on its way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from simdesk.services.tasks import TaskSet

log = logging.getLogger("simdesk.services.answers")

Work = Coroutine[Any, Any, Callable[[], None]]
"""A request: does the async work, returns how to publish its answer (run on the loop)."""


class Answers:
    """See the module docstring. ``describe(exc, action_id)`` turns a failure into a sentence for
    ``failed(area, sentence)``; ``busy(bool)`` hears when requests start and all end."""

    def __init__(
        self,
        failed: Callable[[str, str], None],
        describe: Callable[[BaseException, str], str],
        busy: Callable[[bool], None] | None = None,
    ) -> None:
        self._failed, self._describe, self._busy = failed, describe, busy
        self._tasks = TaskSet()
        self._latest: dict[str, int] = {}
        self._counter = 0

    def run(self, area: str, action_id: str, work: Work) -> None:
        self._counter += 1
        ticket = self._latest[area] = self._counter

        async def guarded() -> None:
            if self._busy is not None:
                self._busy(True)
            try:
                publish = await work
            except Exception as exc:  # every failure becomes a sentence; the app never dies of one
                log.info("%s failed: %r", area, exc)
                if self._latest.get(area) == ticket:
                    self._failed(area, self._describe(exc, action_id))
            else:
                if self._latest.get(area) == ticket:
                    publish()
            finally:
                if self._busy is not None:
                    self._busy(len(self._tasks) > 1)

        self._tasks.spawn(guarded())

    def forget(self) -> None:
        """Answers to the requests made so far are no longer wanted."""
        self._latest.clear()

    async def aclose(self) -> None:
        await self._tasks.cancel_all()
