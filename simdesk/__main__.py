"""Command-line entry point: ``simdesk`` (the app), ``simdesk sandbox`` (the local server) and
``simdesk batch`` (one workflow over a table of inputs, in a terminal)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the sandbox server or the desktop app."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "sandbox":
        from simdesk.sandbox.cli import main as sandbox_main

        return sandbox_main(args[1:])
    if args and args[0] == "batch":
        from simdesk.batch_cli import main as batch_main

        return batch_main(args[1:])
    from simdesk.app import main as app_main

    return app_main(args)


if __name__ == "__main__":
    sys.exit(main())
