"""The real OS keyring works end to end (skips without one unless SIMDESK_REQUIRE_KEYRING=1)."""

from __future__ import annotations

import uuid

import keyring
import keyring.backend
import pytest
from keyring.backends import SecretService

from tests.keyring_support import TEST_SERVICE


@pytest.mark.keyring
def test_secret_service_round_trip(secret_service_keyring: keyring.backend.KeyringBackend) -> None:
    assert isinstance(keyring.get_keyring(), SecretService.Keyring)
    assert keyring.get_keyring() is secret_service_keyring

    user = f"round-trip-{uuid.uuid4().hex}"
    secret = f"sk-sim-{uuid.uuid4().hex}"
    assert keyring.get_password(TEST_SERVICE, user) is None

    keyring.set_password(TEST_SERVICE, user, secret)
    try:
        assert keyring.get_password(TEST_SERVICE, user) == secret
        keyring.set_password(TEST_SERVICE, user, secret + "-rotated")
        assert keyring.get_password(TEST_SERVICE, user) == secret + "-rotated"
    finally:
        keyring.delete_password(TEST_SERVICE, user)

    assert keyring.get_password(TEST_SERVICE, user) is None
