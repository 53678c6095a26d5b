"""Shared pytest setup for the simdesk suite."""

from __future__ import annotations

import os

# Qt must never need a display in tests; set before anything imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Fixture modules shared by the whole suite.
pytest_plugins = ["tests.keyring_support"]


# --- sandbox and asyncio+Qt fixtures: owned by the sandbox/client authors ---
