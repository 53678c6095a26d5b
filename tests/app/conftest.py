"""Fixtures for the app-shell tests: data dirs, key stores, and composed app instances."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest
from keyring.backends import fail
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QWidget

from simdesk.app import AppContext, compose
from simdesk.core.logsetup import RedactionFilter, setup_logging
from simdesk.core.paths import AppPaths


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


def _flush_deletes() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


@pytest.fixture(autouse=True)
def no_leaked_top_level_widgets(qapp: QApplication) -> Iterator[None]:
    """Fail a test that leaves a top-level widget behind (STYLE pattern 12)."""
    before = {id(w) for w in qapp.topLevelWidgets()}
    yield
    _flush_deletes()
    leaked = [w for w in qapp.topLevelWidgets() if id(w) not in before and type(w).__name__ != "QTipLabel"]
    for widget in leaked:  # clean up, so one leak does not fail every later test
        widget.close()
        widget.deleteLater()
    _flush_deletes()
    assert not leaked, f"leaked top-level widgets: {[f'{type(w).__name__}({w.objectName()!r})' for w in leaked]}"


@pytest.fixture
def app_paths(tmp_path: Path) -> AppPaths:
    """A fresh data dir, as ``--data-dir`` gives."""
    return AppPaths.under(tmp_path / "simdesk-data").ensure()


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring installed process-wide for the test."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def failing_keyring() -> Iterator[keyring.backend.KeyringBackend]:
    """No usable keyring: every call raises, as on headless Linux without a Secret Service."""
    previous = keyring.get_keyring()
    backend = fail.Keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def make_app(qapp: QApplication, qloop: Any, arun: Callable[..., Any]) -> Iterator[Callable[..., AppContext]]:
    """Compose the app (services + window) on a data dir; shut every one down after the test."""
    made: list[AppContext] = []

    def make(paths: AppPaths, **kwargs: Any) -> AppContext:
        ctx = compose(qapp, paths, **kwargs)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        shut_down(ctx, arun)


def shut_down(ctx: AppContext, arun: Callable[..., Any]) -> None:
    """What quitting does: cancel tasks, close clients, save, close; then stop a demo sandbox."""
    if not getattr(ctx, "_shut", False):
        ctx._shut = True  # type: ignore[attr-defined]
        arun(ctx.shutdown(), timeout=10_000)
        if ctx.demo is not None:
            ctx.demo.stop()
        _flush_deletes()


@pytest.fixture
def log_to_data_dir(app_paths: AppPaths) -> Iterator[RedactionFilter]:
    """The app's file logging into the test's data dir; yields its redaction filter."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield setup_logging(app_paths.log_file, "DEBUG")
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every file under ``root`` whose bytes contain ``needle``."""
    data = needle.encode()
    return [p for p in root.rglob("*") if p.is_file() and data in p.read_bytes()]


def widget_tree(root: QWidget) -> list[QWidget]:
    return [root, *root.findChildren(QWidget)]
