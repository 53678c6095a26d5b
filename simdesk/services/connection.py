"""Connection checks per profile, and the live rate-limit feed for the status bar.

``check(name)`` runs the client's ``check_connection()`` (sim-api.md §13: health, key check, v2
detection) on the profile's pooled client; ``test(profile, key)`` does the same for a profile
being edited, on a throwaway client, so "Test connection" works before anything is saved.
Results are :class:`simdesk.core.usage.ConnectionCheck` values, delivered by signal.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from simdesk.core.profiles import DEMO_PROFILE, Profile
from simdesk.core.secrets import SecretStoreUnavailable
from simdesk.services.clients import ClientPool
from simdesk.services.profiles import ProfileService
from simdesk.services.tasks import TaskSet

if TYPE_CHECKING:  # type-only: the result types load with the client, after start-up
    from simdesk.core.rates import RateLimitState
    from simdesk.core.usage import ConnectionCheck

log = logging.getLogger("simdesk.services.connection")


def _user_message(exc: BaseException) -> str:
    from simdesk.api.messages import user_message

    return user_message(exc)


class ConnectionService(QObject):
    """Tests connections and relays rate-limit updates.

    Signals:
        checking(str name): a check of profile ``name`` started.
        status_changed(str name, object check): a :class:`ConnectionCheck` for ``name``.
        failed(str name, str message): the check could not run (e.g. the keyring is locked).
        tested(str name, object check): the result of :meth:`test` for a draft profile.
        test_failed(str name, str message): :meth:`test` could not run, or was cancelled.
        test_step(str name, str text): :meth:`test` began a step ("Checking the API key…").
        rate_limit_changed(str name, object state): a :class:`RateLimitState` seen on ``name``.
    """

    checking = Signal(str)
    status_changed = Signal(str, object)
    failed = Signal(str, str)
    tested = Signal(str, object)
    test_failed = Signal(str, str)
    test_step = Signal(str, str)
    rate_limit_changed = Signal(str, object)

    def __init__(self, profiles: ProfileService, pool: ClientPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._profiles = profiles
        self._pool = pool
        self._status: dict[str, ConnectionCheck] = {}
        self._tasks = TaskSet()
        self._test_task: asyncio.Future[None] | None = None
        pool.on_rate_limit(self._relay_rate_limit)

    def _relay_rate_limit(self, name: str, state: RateLimitState) -> None:
        self.rate_limit_changed.emit(name, state)

    def status(self, name: str) -> ConnectionCheck | None:
        """The last check of ``name``, if any."""
        return self._status.get(name)

    @staticmethod
    def _explain(profile: Profile, result: ConnectionCheck) -> ConnectionCheck:
        if profile.name == DEMO_PROFILE and not result.reachable:
            # The saved Demo profile outlives the sandbox it pointed at.
            return replace(result, message="The demo sandbox runs only while simdesk is started with --demo.")
        return result

    def check(self, name: str) -> asyncio.Future[None]:
        """Check profile ``name`` on its pooled client (in the background; ``checking``, then
        ``status_changed`` or ``failed``)."""
        return self._tasks.spawn(self._check(name))

    async def _check(self, name: str) -> None:
        profile = self._profiles.get(name)
        if profile is None:
            return
        self.checking.emit(name)
        try:
            client = await self._pool.client(profile)
            result = self._explain(profile, await client.check_connection())
        except SecretStoreUnavailable as exc:
            self.failed.emit(name, str(exc))
            return
        except Exception as exc:
            from simdesk.api import SimError

            if not isinstance(exc, SimError):
                raise
            self.failed.emit(name, _user_message(exc))
            return
        self._status[name] = result
        log.info("connection check %s: ok=%s %s", name, result.ok, result.message)
        self.status_changed.emit(name, result)

    def test(self, profile: Profile, key: str | None) -> asyncio.Future[None]:
        """Check a draft ``profile`` with ``key`` (``None``: its stored key) on a throwaway client
        (in the background; ``tested`` or ``test_failed``); a test still running is cancelled
        first (one test at a time)."""
        self.cancel_test()
        self._test_task = self._tasks.spawn(self._test(profile, key))
        return self._test_task

    def cancel_test(self) -> bool:
        """Stop the running test (its client is closed); False when none runs."""
        task = self._test_task
        if task is None or task.done():
            return False
        task.cancel()
        return True

    async def _test(self, profile: Profile, key: str | None) -> None:
        name = profile.name
        try:
            if key is None:
                key = await self._pool.key_for(profile)
            client = self._pool.make_client(profile, key)
            async with client:
                result = await client.check_connection(lambda text: self.test_step.emit(name, text))
        except asyncio.CancelledError:
            self.test_failed.emit(name, "Test cancelled. Nothing was changed.")
            return
        except SecretStoreUnavailable as exc:
            self.test_failed.emit(profile.name, str(exc))
            return
        except Exception as exc:
            from simdesk.api import SimError

            if not isinstance(exc, SimError):
                raise
            self.test_failed.emit(profile.name, _user_message(exc))
            return
        self.tested.emit(profile.name, result)
