"""Desktop notifications through the freedesktop notification service (D-Bus).

When something on the session bus owns (or can start) ``org.freedesktop.Notifications`` —
GNOME Shell, KDE Plasma, dunst, notification-daemon… — a finished background run is announced
there, with an "Open" action; clicking it emits :attr:`DesktopNotifications.clicked` with the
job's id. Without one, :attr:`ready` stays False and the tray balloon is used instead.

The bus is spoken to with jeepney on the app's asyncio loop (no thread, no blocking call).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from PySide6.QtCore import QObject, Signal

from simdesk.services.tasks import TaskSet

log = logging.getLogger("simdesk.services.desktop_notifications")

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
EXPIRE_MS = 10_000


class DesktopNotifications(QObject):
    """Notifications through ``org.freedesktop.Notifications``.

    Args:
        bus: the session bus address (default: ``DBUS_SESSION_BUS_ADDRESS``).

    Signals:
        ready_changed(bool): whether a notification service was found.
        clicked(str job_id): the person chose a notification's "Open" action.
    """

    ready_changed = Signal(bool)
    clicked = Signal(str)

    def __init__(self, bus: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bus = bus if bus is not None else os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        self._router: Any = None
        self._opened: Any = None  # the router's context (closing it closes the connection)
        self._jobs: dict[int, str] = {}  # notification id → job id
        self._tasks = TaskSet()
        self.ready = False

    def start(self) -> asyncio.Future[bool]:
        """Look for a notification service on the bus (and listen for clicks); the future says
        whether one is there."""
        return self._tasks.spawn(self._start())

    async def _start(self) -> bool:
        if not self._bus:
            return False
        try:
            from jeepney import DBusAddress, MatchRule, message_bus, new_method_call
            from jeepney.io.asyncio import open_dbus_router

            self._opened = open_dbus_router(bus=self._bus)
            self._router = await self._opened.__aenter__()
            bus = DBusAddress(
                "/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus"
            )
            owned = (await self._router.send_and_get_reply(new_method_call(bus, "NameHasOwner", "s", (NAME,)))).body[0]
            startable = NAME in (await self._router.send_and_get_reply(message_bus.ListActivatableNames())).body[0]
            if not (owned or startable):
                await self._close_router()
                return False
            rule = MatchRule(type="signal", interface=NAME, member="ActionInvoked", path=PATH)
            await self._router.send_and_get_reply(message_bus.AddMatch(rule))
            queue = self._router.filter(rule, bufsize=100).__enter__()
            self._tasks.spawn(self._listen(queue))
        except (OSError, ValueError, RuntimeError, KeyError) as exc:  # no bus, refused, a broken one
            log.info("no desktop notification service: %s", exc)
            await self._close_router()
            return False
        self.ready = True
        self.ready_changed.emit(True)
        return True

    async def _listen(self, queue: asyncio.Queue[Any]) -> None:
        while True:
            message = await queue.get()
            nid, action = message.body
            job_id = self._jobs.get(nid)
            if job_id is not None and action in ("default", "open"):
                self.clicked.emit(job_id)

    def notify(self, title: str, body: str, job_id: str) -> asyncio.Future[int | None]:
        """Show a notification; its future gives the service's id (``None`` if it failed)."""
        return self._tasks.spawn(self._notify(title, body, job_id))

    async def _notify(self, title: str, body: str, job_id: str) -> int | None:
        from jeepney import DBusAddress, new_method_call

        if self._router is None:
            return None
        target = DBusAddress(PATH, bus_name=NAME, interface=NAME)
        actions = ["default", "Open"] if job_id else []
        call = new_method_call(
            target, "Notify", "susssasa{sv}i", ("simdesk", 0, "simdesk", title, body, actions, {}, EXPIRE_MS)
        )
        try:
            reply = await self._router.send_and_get_reply(call)
        except (OSError, RuntimeError) as exc:
            log.warning("desktop notification failed: %s", exc)
            return None
        nid = reply.body[0] if reply.body else None
        if isinstance(nid, int) and job_id:
            self._jobs[nid] = job_id
        return nid if isinstance(nid, int) else None

    async def _close_router(self) -> None:
        opened, self._opened, self._router = self._opened, None, None
        if opened is not None:
            await opened.__aexit__(None, None, None)

    async def aclose(self) -> None:
        """Stop listening and leave the bus."""
        await self._tasks.cancel_all()
        await self._close_router()
        self.ready = False
