"""Fixtures for the app-shell tests: data dirs, key stores, and composed app instances
(from :mod:`tests.support.app_fixtures`)."""

from __future__ import annotations

from tests.support.app import MemoryKeyring, files_containing, shut_down, widget_tree
from tests.support.app_fixtures import app_paths, failing_keyring, log_to_data_dir, make_app, memory_keyring

# the fixtures, and (for branches that still import them from here) the helpers
__all__ = [
    "MemoryKeyring",
    "app_paths",
    "failing_keyring",
    "files_containing",
    "log_to_data_dir",
    "make_app",
    "memory_keyring",
    "shut_down",
    "widget_tree",
]
