"""The command line and the run: arguments, logging, the QApplication, one asyncio loop, quit.

:func:`main` parses arguments, sets up logging, then runs :func:`~simdesk.app.compose.compose`
and :func:`run_app` on one qasync loop (:class:`~simdesk.services.eventloop.AppEventLoop`) inside
``asyncio.Runner``. Quitting (Ctrl+Q, closing the window) cancels pending tasks, closes every
HTTP client, saves the layout and stops the sandbox. Heavy modules (httpx, the client, keyring)
load on first use: start-up time is benchmarked (``benchmarks/startup.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Mapping

from simdesk import __version__
from simdesk.app.compose import AppContext, compose
from simdesk.app.errors import install_error_hooks, install_qt_message_handler
from simdesk.core.aside import move_escaping_link
from simdesk.core.logsetup import RedactionFilter, setup_logging
from simdesk.core.paths import APP_ID, APP_NAME, AppPaths, UnwritableDir

log = logging.getLogger("simdesk.app")
_T0 = time.perf_counter()  # start-up milestones are logged relative to this module's import


def _milestone(what: str) -> None:
    log.debug("start-up: %s at %.0f ms", what, (time.perf_counter() - _T0) * 1000)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


# --- command line ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        description="A desktop app for Sim workflows: browse, run, stream, track and meter.",
        epilog="`simdesk sandbox --help` runs the local Sim-compatible server on its own. "
        "SIM_API_KEY (with SIM_BASE_URL) in the environment adds a temporary profile.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument("--demo", action="store_true", help="start the embedded sandbox and open on a Demo profile")
    parser.add_argument("--profile", metavar="NAME", help="open on this profile")
    parser.add_argument("--data-dir", metavar="DIR", help="keep every file simdesk writes under DIR")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="INFO", type=str.upper, help="log file detail")
    parser.add_argument(
        "--exit-after-startup",
        action="store_true",
        help="quit with status 0 once the window is shown and painted (smoke tests, benchmarks)",
    )
    return parser


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options, and Qt's own single-dash ones (``-platform offscreen``, ``-style …``)."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    unknown = [a for a in rest if a.startswith("--")]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args, rest


# --- running -------------------------------------------------------------------------------------------


def _quit_on_signals(ctx: AppContext) -> None:
    """Ctrl+C in the terminal and SIGTERM quit cleanly, like Ctrl+Q (where the OS allows it)."""
    import signal

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, ctx.window.request_quit)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
            log.debug("no handler for %s on this platform", sig)


async def run_app(ctx: AppContext, args: argparse.Namespace) -> int:
    """Show the window, then do the rest once it is painted; wait for quit; shut down.

    Start-up ends when the window has been painted and the loop has turned once. Work that
    needs a network, the keyring or the sandbox starts only then, so the window appears at once
    (``--exit-after-startup`` quits at exactly that point).
    """
    from PySide6.QtCore import QEvent, QObject

    undo_hooks = install_error_hooks(asyncio.get_running_loop(), ctx.messages)
    painted = asyncio.Event()

    class _FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                painted.set()
            return False

    watcher = _FirstPaint(ctx.window)
    ctx.window.installEventFilter(watcher)
    _quit_on_signals(ctx)
    try:
        ctx.start(profile=args.profile, restore=not args.demo or bool(args.profile), check=False)
        await painted.wait()
        await asyncio.sleep(0)  # the loop has turned once since the paint
        ctx.window.removeEventFilter(watcher)
        log.info("window shown and painted")
        _milestone("painted")
        if args.exit_after_startup:
            ctx.window.request_quit()
        else:
            ctx.install_after_paint()  # the job tracker, the workbench and the usage meter
            if args.demo:
                ctx.start_demo(activate=not args.profile)
            if not args.demo or args.profile:
                ctx.check_active()
        await ctx.quit_event.wait()
        await ctx.shutdown()
    finally:
        undo_hooks()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the desktop app; returns the process exit status."""
    try:
        args, qt_args = parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, --version, a usage error
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2

    try:
        paths = AppPaths.resolve(args.data_dir).ensure()
        log_link = move_escaping_link(paths.log_file, "log")  # the log handler would append through a link
        redaction = setup_logging(paths.log_file, args.log_level)
    except OSError as exc:  # nowhere to keep anything: say so plainly and stop
        return cannot_start(str(exc) if isinstance(exc, UnwritableDir) else f"simdesk cannot write its files: {exc}")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request is noise
    if log_link is not None:
        log.warning("%s", log_link.message)
    log.info("simdesk %s starting (data under %s)", __version__, paths.data.parent if args.data_dir else paths.data)
    ctx: AppContext | None = None
    try:
        ctx = _run_qt(args, qt_args, paths, redaction)
        return 0
    finally:
        if ctx is not None and ctx.demo is not None:
            ctx.demo.stop()
        log.info("simdesk stopped")
        logging.shutdown()


def has_display(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a dialog could be seen: not on the offscreen/minimal platforms, nor on a Linux
    without an X or Wayland display."""
    env = os.environ if environ is None else environ
    if env.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal"):
        return False
    return not sys.platform.startswith("linux") or bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def cannot_start(message: str) -> int:
    """Tell why the app cannot start (stderr, and a dialog when a display exists); exit status 1."""
    print(message, file=sys.stderr)  # noqa: T201 (no log file to write to: that is the problem)
    if has_display():
        try:
            from PySide6.QtWidgets import QApplication, QMessageBox

            app = QApplication.instance() or QApplication([sys.argv[0]])
            QMessageBox.critical(None, "simdesk cannot start", message)
            del app
        except Exception as exc:  # the message is on stderr already
            print(f"(the dialog could not be shown: {exc})", file=sys.stderr)  # noqa: T201
    return 1


def _run_qt(args: argparse.Namespace, qt_args: list[str], paths: AppPaths, redaction: RedactionFilter) -> AppContext:
    """Create the QApplication, compose, and run the loop until the app has shut down."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from simdesk.services.eventloop import AppEventLoop

    install_qt_message_handler()
    QApplication.setApplicationName(APP_NAME)
    QApplication.setApplicationDisplayName("simdesk")
    QApplication.setApplicationVersion(__version__)
    QApplication.setOrganizationDomain("simdesk.github.io")
    QGuiApplication.setDesktopFileName(APP_ID)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *qt_args])
    app.setQuitOnLastWindowClosed(False)  # quitting goes through MainWindow.request_quit
    _milestone("QApplication ready")

    from simdesk.ui.icons import app_icon

    app.setWindowIcon(app_icon())
    ctx = compose(app, paths, redaction=redaction)
    _milestone("composed")
    with asyncio.Runner(loop_factory=lambda: AppEventLoop(app, executors=ctx.executors)) as runner:
        try:
            runner.run(run_app(ctx, args))
        except RuntimeError as exc:
            # Qt ended its event loop on its own (the session ended, the display went away):
            # close what can still be closed without the window.
            log.warning("the event loop ended early (%s); closing the HTTP clients", exc)
            try:
                runner.run(ctx.pool.aclose())
            except Exception:
                log.exception("could not close the HTTP clients")
    ctx.executors.shutdown(wait=True)
    return ctx
