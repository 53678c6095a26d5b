"""The keyring message tells apart: no Secret Service at all, a keyring that is locked (or whose
unlock prompt was dismissed), and any other failure, each with its own fix. The first two are
reproduced for real: no session bus, and a real gnome-keyring whose collection was locked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simdesk.core.secrets import FAILED, LOCKED, MISSING, SecretStoreUnavailable, kind_of

ROOT = Path(__file__).resolve().parents[2]
PROBE = textwrap.dedent(
    """
    import sys
    import keyring
    from keyring.backends import SecretService
    if "--lock" in sys.argv:
        import secretstorage
        connection = secretstorage.dbus_init()
        for collection in secretstorage.get_all_collections(connection):
            collection.lock()
    keyring.set_keyring(SecretService.Keyring())
    from simdesk.core.secrets import Secrets, SecretStoreUnavailable
    try:
        Secrets().set("P", "sk-sim-never-stored-0123456789")
    except SecretStoreUnavailable as exc:
        print(exc.kind)
        print(exc)
    else:
        print("stored")
    """
)
SESSION = textwrap.dedent(
    """
    tmp="$(mktemp -d)"; mkdir -p "$tmp/data" "$tmp/runtime"; chmod 700 "$tmp/runtime"
    out="$(printf '\\n' | env -u GNOME_KEYRING_CONTROL XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/runtime" \\
        gnome-keyring-daemon --unlock --components=secrets --daemonize 2>/dev/null)"
    while read -r line; do case "$line" in *=*) export "${line?}" ;; esac; done <<<"$out"
    "$@"; rc=$?; rm -rf "$tmp"; exit $rc
    """
)


def _probe(args: list[str], env: dict[str, str]) -> tuple[str, str]:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-2000:]
    return lines[0], "\n".join(lines[1:])


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DISPLAY", None)  # no prompt can be shown: an unlock prompt is dismissed at once
    env.pop("WAYLAND_DISPLAY", None)
    return env


def test_no_session_bus_means_no_secret_service() -> None:
    env = _env() | {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/simdesk-test-bus"}
    kind, message = _probe([sys.executable, "-c", PROBE], env)
    assert kind == MISSING
    assert message.startswith("No system keyring is available") and "gnome-keyring" in message


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (./dev installs them)",
)
def test_a_locked_keyring_is_not_called_missing() -> None:
    args = ["dbus-run-session", "--", "bash", "-c", SESSION, "session", sys.executable, "-c", PROBE, "--lock"]
    kind, message = _probe(args, _env())
    assert kind == LOCKED
    assert message.startswith("The system keyring is locked, or its unlock prompt was dismissed")
    assert "install" not in message.lower() and "Unlock it" in message
    assert "sk-sim-never-stored" not in message


def test_other_failures_are_errors_with_their_own_words() -> None:
    error = SecretStoreUnavailable.from_error(RuntimeError("the keyring's database is corrupt"))
    assert error.kind == FAILED and str(error).startswith("The system keyring failed")
    assert "install" not in str(error).lower()
    assert kind_of(RuntimeError("request blocked by policy")) == FAILED  # "blocked" is not "locked"
