"""Pytest fixtures for tests that need a real OS keyring (the freedesktop Secret Service).

Registered from ``tests/conftest.py`` via ``pytest_plugins``. ``./dev test`` runs pytest inside
``dbus-run-session`` with a throwaway, unlocked gnome-keyring and sets
``SIMDESK_REQUIRE_KEYRING=1``; then a missing or broken Secret Service fails the test instead of
skipping it.
"""

from __future__ import annotations

import gc
import os
import uuid
import warnings
from collections.abc import Iterator

import keyring
import keyring.backend
import pytest

TEST_SERVICE = "simdesk-test"
REQUIRE_ENV = "SIMDESK_REQUIRE_KEYRING"


def _keyring_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0")


def _probe_secret_service() -> keyring.backend.KeyringBackend:
    """Return a SecretService backend after a real set/get/delete round trip, or raise."""
    from keyring.backends import SecretService

    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        raise RuntimeError("DBUS_SESSION_BUS_ADDRESS is not set (no D-Bus session bus)")
    backend = SecretService.Keyring()
    _ = backend.priority  # raises when secretstorage is missing or the service is unreachable
    user = f"probe-{uuid.uuid4().hex}"
    value = uuid.uuid4().hex
    backend.set_password(TEST_SERVICE, user, value)
    try:
        got = backend.get_password(TEST_SERVICE, user)
        if got != value:
            raise RuntimeError(f"round trip returned {got!r} instead of the stored value")
    finally:
        backend.delete_password(TEST_SERVICE, user)
    return backend


def _find_secret_service() -> tuple[keyring.backend.KeyringBackend | None, str]:
    """(backend, "") when the Secret Service works, else (None, why not)."""
    # On failure keyring/secretstorage leave D-Bus sockets unclosed; collect them here, with
    # ResourceWarning silenced, so the suite's filterwarnings=error does not trip over them later.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return _probe_secret_service(), ""
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
        gc.collect()
    return None, reason


@pytest.fixture
def secret_service_keyring() -> Iterator[keyring.backend.KeyringBackend]:
    """A working SecretService backend, installed as the process-wide keyring for the test."""
    backend, why_not = _find_secret_service()
    if backend is None:
        reason = f"no working Secret Service keyring: {why_not}"
        if _keyring_required():
            pytest.fail(f"{reason} ({REQUIRE_ENV} is set, so this must not skip)")
        pytest.skip(f"{reason} (run the suite with ./dev test for a real one)")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
