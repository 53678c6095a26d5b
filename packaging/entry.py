"""Entry script of the frozen simdesk bundle (PyInstaller freezes this, not the console script).

It behaves exactly like the ``simdesk`` command, plus one hidden flag for the packaging smoke
check, so the app itself needs no packaging-only code:

``--print-keyring-backend [--round-trip]``
    Print one JSON line saying which keyring backend resolves in this process (the frozen bundle
    finds keyring's backends through entry points, so this proves the metadata and the hidden
    imports made it in) and exit 0. With ``--round-trip`` it also stores, reads back and deletes
    a throwaway secret; the exit status is then 1 if that fails. A windowed Windows or macOS
    build has no stdout: there the line goes to the file named by ``SIMDESK_CHECK_OUTPUT``
    (default ``simdesk-keyring-check.json`` in the current directory).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from typing import Any

KEYRING_FLAG = "--print-keyring-backend"
ROUND_TRIP_FLAG = "--round-trip"
CHECK_SERVICE = "simdesk-packaging-check"


def _qualified(obj: object) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def keyring_report(round_trip: bool) -> dict[str, Any]:
    """Which keyring backend resolves here, which ones are viable, and (optionally) a round trip."""
    import keyring
    import keyring.backend

    backend = keyring.get_keyring()
    report: dict[str, Any] = {
        "backend": _qualified(backend),
        "chained": [_qualified(b) for b in getattr(backend, "backends", [])],
        "viable": sorted(_qualified(b) for b in keyring.backend.get_all_keyring()),
        "frozen": bool(getattr(sys, "frozen", False)),
        "round_trip": None,
    }
    if round_trip:
        user = f"check-{uuid.uuid4().hex}"
        secret = uuid.uuid4().hex
        try:
            keyring.set_password(CHECK_SERVICE, user, secret)
            try:
                got = keyring.get_password(CHECK_SERVICE, user)
            finally:
                keyring.delete_password(CHECK_SERVICE, user)
            report["round_trip"] = "ok" if got == secret else f"read back {got!r}"
        except Exception as exc:
            report["round_trip"] = f"{type(exc).__name__}: {exc}"
    return report


def main(argv: list[str] | None = None) -> int:
    """Run simdesk, or answer the hidden packaging flag."""
    args = list(sys.argv[1:] if argv is None else argv)
    if KEYRING_FLAG in args:
        report = keyring_report(round_trip=ROUND_TRIP_FLAG in args)
        line = json.dumps(report) + "\n"
        if sys.stdout is not None:
            sys.stdout.write(line)
            sys.stdout.flush()
        else:  # windowed build on Windows/macOS: no console to print to
            with open(os.environ.get("SIMDESK_CHECK_OUTPUT", "simdesk-keyring-check.json"), "w") as fh:
                fh.write(line)
        return 0 if report["round_trip"] in (None, "ok") else 1

    from simdesk.__main__ import main as simdesk_main

    return simdesk_main(args)


if __name__ == "__main__":
    sys.exit(main())
