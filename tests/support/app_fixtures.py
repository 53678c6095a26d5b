"""Fixtures for tests that compose the app: data dirs, key stores, composed app instances, and
logging into the data dir. A conftest that wants them imports them from here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QApplication

from simdesk.app import AppContext, compose
from simdesk.core.logsetup import RedactionFilter, setup_logging
from simdesk.core.paths import AppPaths
from tests.support.app import MemoryKeyring, shut_down


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
