"""API keys: kept only in the OS keyring, or in memory for one session, and never shown or logged.

* :class:`Secrets` is the one facade the app uses: ``get``/``set``/``delete`` a profile's key.
  Keys live in the OS keyring under service ``simdesk``, one entry per profile name.
* A keyring that does not work (headless Linux without a Secret Service, a locked or missing
  backend) raises :class:`SecretStoreUnavailable`, whose message names the fix. Nothing ever
  falls back to a file: the only fallback is :meth:`Secrets.set_for_session`, a key kept in
  memory until the app quits, used only when the user accepts that.
* :func:`redact` removes anything shaped like a Sim key (``sk-sim-…``, legacy ``sim_…``) and any
  key the app knows of from a text; :func:`mask` shows a key as ``sk-sim-…wxyz``.

Keyring calls may block (D-Bus, an unlock prompt): callers on the GUI thread run them in a worker
thread (see ``simdesk.services``).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable
from typing import Any, Protocol

log = logging.getLogger("simdesk.core.secrets")

SERVICE = "simdesk"
REDACTED = "[redacted]"
SESSION_HINT = "Until then you can use a key for this session only; nothing is written to disk."

# sk-sim-<base64url> keys, and legacy sim_<…> keys. The legacy form needs a long tail and no
# word character, dot or dash before it, so module names such as ``core.sim_cli_import`` or
# ``is_sim_key`` are left alone.
KEY_SHAPE = re.compile(r"(?<![\w.-])(?:sk-sim-[A-Za-z0-9_-]+|sim_[A-Za-z0-9_-]{16,})")


MISSING, LOCKED, FAILED = "missing", "locked", "failed"  # why the keyring cannot be used

# What backends raise when the keyring is there but locked, or its unlock prompt was dismissed
# (keyring's KeyringLocked, secretstorage's LockedException and PromptDismissedException).
_LOCKED_TYPES = {"KeyringLocked", "LockedException", "PromptDismissedException"}
_LOCKED_WORDS = re.compile(r"\b(locked|unlock|dismissed)\b")
# ... and when no Secret Service answers at all (no session bus, nothing owning the name).
_MISSING_TYPES = {"SecretServiceNotAvailableException", "InitError", "FileNotFoundError", "ConnectionRefusedError"}
_MISSING_WORDS = ("serviceunknown", "not provided by any", "no usable backend", "dbus_session_bus_address")


def kind_of(exc: BaseException) -> str:
    """:data:`MISSING`, :data:`LOCKED` or :data:`FAILED` for a backend's exception."""
    name, text = type(exc).__name__, str(exc).lower()
    if name in _LOCKED_TYPES or _LOCKED_WORDS.search(text):
        return LOCKED
    if name in _MISSING_TYPES or any(word in text for word in _MISSING_WORDS):
        return MISSING
    return FAILED


def _fix_hint(kind: str) -> str:
    if sys.platform == "darwin":
        return "Unlock the login keychain in Keychain Access, then try again."
    if sys.platform.startswith("win"):
        return "Check that Windows Credential Manager is available for your account, then try again."
    if kind == LOCKED:
        return (
            "Unlock it (log in again, or open Passwords and Keys / KWallet and unlock the login "
            "keyring) and accept its prompt, then try again."
        )
    if kind == FAILED:
        return "Try again; if it keeps failing, restart the keyring (log out and in) and check the log."
    return (
        "Install and unlock a Secret Service: gnome-keyring (package gnome-keyring) or KWallet. "
        "On a headless machine, start simdesk inside `dbus-run-session` after "
        "`gnome-keyring-daemon --unlock`."
    )


_OPENINGS = {
    MISSING: "No system keyring is available to keep API keys safe",
    LOCKED: "The system keyring is locked, or its unlock prompt was dismissed",
    FAILED: "The system keyring failed",
}


class SecretStoreUnavailable(Exception):
    """The OS keyring cannot be used. ``str(exc)`` is a message for the user that says which of
    three cases it is (``kind``: no keyring, locked/dismissed, an error) and names the fix;
    ``detail`` is what the backend said (never contains a key)."""

    def __init__(self, detail: str, kind: str = MISSING) -> None:
        self.detail = redact(detail)
        self.kind = kind
        super().__init__(f"{_OPENINGS[kind]} ({self.detail}). {_fix_hint(kind)} {SESSION_HINT}")

    @classmethod
    def from_error(cls, exc: BaseException) -> SecretStoreUnavailable:
        """The user's view of a backend's exception."""
        return cls(_describe(exc), kind_of(exc))


class KeyBackend(Protocol):
    """What :class:`Secrets` needs from a key store (the keyring, or a test double)."""

    def get(self, account: str) -> str | None: ...
    def set(self, account: str, key: str) -> None: ...
    def delete(self, account: str) -> None: ...


class KeyringBackend:
    """The process-wide ``keyring`` backend (looked up on every call, so tests may swap it).

    Every backend failure becomes :class:`SecretStoreUnavailable`: backends raise their own
    exception types (D-Bus errors, ``secretstorage`` exceptions) besides ``KeyringError``, and
    to the user all of them mean the same thing.
    """

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    def _backend(self) -> Any:
        # keyring is imported on first use: it scans entry points and costs startup time.
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring | null.Keyring):
            raise SecretStoreUnavailable(f"keyring found no usable backend: {type(backend).__module__}")
        return backend

    def get(self, account: str) -> str | None:
        try:
            value = self._backend().get_password(self.service, account)
        except SecretStoreUnavailable:
            raise
        except Exception as exc:
            raise SecretStoreUnavailable.from_error(exc) from exc
        return value if isinstance(value, str) else None

    def set(self, account: str, key: str) -> None:
        try:
            self._backend().set_password(self.service, account, key)
        except SecretStoreUnavailable:
            raise
        except Exception as exc:
            raise SecretStoreUnavailable.from_error(exc) from exc

    def delete(self, account: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._backend().delete_password(self.service, account)
        except PasswordDeleteError:
            return  # nothing stored under that name: already deleted
        except SecretStoreUnavailable:
            raise
        except Exception as exc:
            raise SecretStoreUnavailable.from_error(exc) from exc


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class SessionSecrets:
    """Keys kept in memory for this run only (the user chose "for this session only")."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, account: str) -> str | None:
        with self._lock:
            return self._keys.get(account)

    def set(self, account: str, key: str) -> None:
        with self._lock:
            self._keys[account] = key

    def delete(self, account: str) -> None:
        with self._lock:
            self._keys.pop(account, None)

    def __contains__(self, account: object) -> bool:
        with self._lock:
            return account in self._keys

    def values(self) -> list[str]:
        with self._lock:
            return list(self._keys.values())


class Secrets:
    """A profile's API key: a session key if one was given, else the keyring entry.

    Thread-safe. Every key that passes through is remembered (in memory) so :meth:`redact`, and
    the logging filter built on it, can remove it from any text, whatever its shape.
    """

    def __init__(self, backend: KeyBackend | None = None, session: SessionSecrets | None = None) -> None:
        self.backend: KeyBackend = backend if backend is not None else KeyringBackend()
        self.session = session if session is not None else SessionSecrets()
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def _remember(self, key: str | None) -> None:
        if key:
            with self._lock:
                self._known.add(key)

    def get(self, profile: str) -> str | None:
        """The key for ``profile``, or ``None`` if none is stored. Raises SecretStoreUnavailable."""
        key = self.session.get(profile)
        if key is None:
            key = self.backend.get(profile)
        self._remember(key)
        return key

    def set(self, profile: str, key: str) -> None:
        """Store ``key`` in the keyring (replacing a session key). Raises SecretStoreUnavailable."""
        key = validate_key(key)
        self._remember(key)
        self.backend.set(profile, key)
        self.session.delete(profile)

    def set_for_session(self, profile: str, key: str) -> None:
        """Keep ``key`` in memory only, until the app quits. Never touches the disk."""
        key = validate_key(key)
        self._remember(key)
        self.session.set(profile, key)

    def is_session_only(self, profile: str) -> bool:
        """True when ``profile``'s key lives in memory only."""
        return profile in self.session

    def delete(self, profile: str) -> None:
        """Forget ``profile``'s key everywhere. Raises SecretStoreUnavailable if the keyring
        entry cannot be removed (the session key is gone either way)."""
        self.session.delete(profile)
        self.backend.delete(profile)

    def rename(self, old: str, new: str) -> None:
        """Move a key from one profile name to another (the profile was renamed)."""
        if old == new:
            return
        if old in self.session:
            key = self.session.get(old)
            self.session.delete(old)
            if key:
                self.session.set(new, key)
            return
        key = self.backend.get(old)
        if key:
            self._remember(key)
            self.backend.set(new, key)
            self.backend.delete(old)

    def known_keys(self) -> list[str]:
        """Every key seen in this process (for redaction only)."""
        with self._lock:
            return [*self._known, *self.session.values()]

    def redact(self, text: str) -> str:
        """``text`` without any key this process knows of, nor anything shaped like a key."""
        return redact(text, self.known_keys())


def validate_key(key: str) -> str:
    """A pasted key, trimmed; ``ValueError`` for an empty key or one with line breaks/controls."""
    key = key.strip()
    if not key:
        raise ValueError("The API key is empty.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise ValueError("The API key contains a line break or a control character.")
    return key


def redact(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with every known key, and anything shaped like a Sim key, replaced."""
    # Longest first, so a key that contains another known key is removed whole.
    for key in sorted({k for k in known if k and len(k) >= 4}, key=len, reverse=True):
        text = text.replace(key, REDACTED)
    return KEY_SHAPE.sub(REDACTED, text)


def mask(key: str | None) -> str:
    """A key as people may see it after entry: its kind and at most its last four characters."""
    if not key:
        return ""
    prefix = "sk-sim-" if key.startswith("sk-sim-") else "sim_" if key.startswith("sim_") else ""
    rest = key[len(prefix) :]
    # Only reveal a tail when the key is long enough that four characters say nothing useful.
    tail = rest[-4:] if len(rest) >= 16 else ""
    return f"{prefix}…{tail}"
