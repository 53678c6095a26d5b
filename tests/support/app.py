"""Helpers for the app-shell tests and others that compose the app: an in-memory keyring,
quitting a composed app, and looking for what was written to disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring.backend
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QWidget

from simdesk.app import AppContext


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend in a dict, for tests that need a working keyring but not D-Bus."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring leaves KeyringBackend.__init__ unannotated
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


def flush_deletes() -> None:
    """Run the deferred deletes Qt has queued (``deleteLater``), and the events they post."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


def shut_down(ctx: AppContext, arun: Callable[..., Any]) -> None:
    """What quitting does: cancel tasks, close clients, save, close; then stop a demo sandbox."""
    if not getattr(ctx, "_shut", False):
        ctx._shut = True  # type: ignore[attr-defined]
        arun(ctx.shutdown(), timeout=10_000)
        if ctx.demo is not None:
            ctx.demo.stop()
        flush_deletes()


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every file under ``root`` whose bytes contain ``needle``."""
    data = needle.encode()
    return [p for p in root.rglob("*") if p.is_file() and data in p.read_bytes()]


def widget_tree(root: QWidget) -> list[QWidget]:
    return [root, *root.findChildren(QWidget)]
