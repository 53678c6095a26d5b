"""The composition root: command line, logging, Qt, the asyncio loop, services, the window.

``simdesk`` opens the window on the remembered profile; ``simdesk --demo`` first starts the
embedded sandbox (in-process, on a free port) and opens on a "Demo" profile pointing at it.
This is the only module (with ``__main__``) that may import :mod:`simdesk.sandbox`, and it does
so lazily, in a background thread, while Qt starts: start-up time is benchmarked
(``benchmarks/startup.py``). Heavy modules (httpx, the client, keyring) load on first use.

Life cycle: :func:`main` parses arguments, sets up logging, then runs :func:`compose` and
:func:`run_app` on one qasync loop (:class:`~simdesk.services.eventloop.AppEventLoop`) inside
``asyncio.Runner``. Quitting (Ctrl+Q, closing the window) cancels pending tasks, closes every
HTTP client, saves the layout and stops the sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from simdesk import __version__
from simdesk.core.aside import move_escaping_link
from simdesk.core.logsetup import RedactionFilter, setup_logging
from simdesk.core.paths import APP_ID, APP_NAME, AppPaths, UnwritableDir
from simdesk.core.profiles import ProfileError, profile_from_env

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from simdesk.core.secrets import Secrets
    from simdesk.sandbox.server import RunningSandbox
    from simdesk.services.clients import ClientFactory, ClientPool
    from simdesk.services.connection import ConnectionService
    from simdesk.services.messages import MessageBus
    from simdesk.services.profiles import ProfileService
    from simdesk.services.settings import Settings
    from simdesk.ui.jobs_install import JobsWiring
    from simdesk.ui.main_window import MainWindow
    from simdesk.ui.theme import ThemeController
    from simdesk.ui.usage_meter_install import UsageWiring
    from simdesk.ui.workbench import Workbench

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


# --- the embedded sandbox -------------------------------------------------------------------------


class DemoSandbox:
    """Starts the sandbox in a background thread (import and bind overlap Qt's start-up)."""

    def __init__(self) -> None:
        self.future: concurrent.futures.Future[RunningSandbox] = concurrent.futures.Future()
        self._thread = threading.Thread(target=self._start, name="simdesk-demo-start", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        # Once running, the future can no longer be cancelled, so a quit during start-up waits in
        # stop() and then stops the server, instead of leaving it up with nowhere to report to.
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            from simdesk.sandbox.server import SandboxConfig, start_sandbox

            sandbox = start_sandbox(SandboxConfig())
        except BaseException as exc:  # reported where the future is awaited
            self.future.set_exception(exc)
            return
        self.future.set_result(sandbox)

    def stop(self) -> None:
        """Wait for the start to finish, then stop the server (idempotent)."""
        self._thread.join()
        if not self.future.cancelled() and self.future.exception() is None:
            sandbox = self.future.result()
            sandbox.stop()
            log.info("demo sandbox at %s stopped", sandbox.base_url)


# --- composition -----------------------------------------------------------------------------------


@dataclass
class AppContext:
    """Everything :func:`compose` built, for :func:`run_app` and for tests."""

    app: QApplication
    paths: AppPaths
    settings: Settings
    secrets: Secrets
    messages: MessageBus
    pool: ClientPool
    profiles: ProfileService
    connection: ConnectionService
    theme: ThemeController
    window: MainWindow
    quit_event: asyncio.Event = field(default_factory=asyncio.Event)
    background: set[asyncio.Future[Any]] = field(default_factory=set)  # kept so they are not collected
    demo: DemoSandbox | None = None
    jobs: JobsWiring | None = None  # the job tracker (issue 6): panel, service, tray (after the first paint)
    usage: UsageWiring | None = None  # the usage meter (issue 7): panel, status-bar summary, warnings
    workbench: Workbench | None = None  # the workflows browser and the run console (issue 5)

    def start(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        profile: str | None = None,
        demo: tuple[str, str] | None = None,
        restore: bool = True,
        check: bool = True,
    ) -> None:
        """Pick the active profile, show the window, and (with ``check``) test the connection.

        ``demo`` is ``(base_url, key)`` of a running sandbox (:meth:`start_demo` starts one
        after the first paint instead). Precedence: ``profile`` (``--profile``), the demo, the
        environment's ``SIM_API_KEY``, then (with ``restore``) the profile remembered from last
        time.
        """
        from simdesk.services.settings import CHECK_ON_SWITCH

        try:
            env = profile_from_env(os.environ if environ is None else environ)
        except ProfileError as exc:
            env = None
            self.messages.send_error(f"SIM_BASE_URL is not usable: {exc}")
        if env is not None:
            self.profiles.add_temporary(*env)
            self.profiles.set_active(env[0].name, persist=False)
        if demo is not None:
            self.profiles.use_demo(*demo)
        if profile:
            if self.profiles.get(profile) is not None:
                self.profiles.set_active(profile, persist=False)
            else:
                self.messages.send_error(f"There is no profile named {profile!r}; opening on another one.")
        if restore and not self.profiles.active_name():
            self.profiles.restore_active()

        def on_switch(name: str) -> None:
            if name and self.settings.get(CHECK_ON_SWITCH):
                self.connection.check(name)

        self.profiles.active_changed.connect(on_switch)
        self.window.refresh_requested.connect(lambda: None)  # panels connect here as they land
        self.window.quit_requested.connect(self.quit_event.set)
        self.window.restore_layout()
        self.window.show()
        if check:
            self.check_active()

    def check_active(self) -> None:
        """Test the active profile's connection (if there is one)."""
        if self.profiles.active_name():
            self.connection.check(self.profiles.active_name())

    def start_demo(self, *, activate: bool = True) -> DemoSandbox:
        """Start the embedded sandbox; the Demo profile points at it once it answers."""
        self.demo = DemoSandbox()
        if activate:
            self.window.status.set_no_connection("Starting the demo sandbox…")
        task = asyncio.ensure_future(self._use_demo(self.demo.future, activate))
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return self.demo

    async def _use_demo(self, sandbox: concurrent.futures.Future[RunningSandbox], activate: bool) -> None:
        try:
            running = await asyncio.wrap_future(sandbox)
        except Exception as exc:
            self.messages.send_error(f"The demo sandbox did not start: {exc}", exc=exc)
            return
        log.info("demo sandbox at %s", running.base_url)
        self.profiles.use_demo(running.base_url, running.api_key, activate=activate)

    def install_jobs(self) -> None:
        """The job tracker (issue 6): panel, service, notifications and tray, built after the
        first paint (importing its modules took longer than building the whole window). Install
        it before the workbench, which hands background runs to it, and before the meter begins,
        which adds its summary to the tray's tooltip."""
        from simdesk.ui.jobs_install import install_jobs

        self.jobs = install_jobs(
            paths=self.paths, settings=self.settings, profiles=self.profiles, pool=self.pool,
            messages=self.messages, window=self.window,
        )  # fmt: skip
        if self.usage is not None:
            self.usage.tray = self.jobs.tray.tray

    def install_workbench(self) -> None:
        """The workflows browser and the run console (issue 5), built after the first paint."""
        from simdesk.ui.workbench import install_workbench

        self.workbench = install_workbench(
            self.window, self.profiles, self.pool, self.connection, self.paths.data, self.settings
        )
        if self.workbench.history.problem is not None:
            self.messages.send_error(self.workbench.history.problem.message)
        if self.jobs is not None:  # "Run in background" hands runs to the job tracker (issue 6)
            self.workbench.runs.set_job_handoff(self.jobs.service.handoff)

    async def shutdown(self, *, cancel_tasks: bool = True) -> None:
        """Cancel pending work, close every HTTP client, save the layout, close the window."""
        from simdesk.services.eventloop import cancel_pending

        log.info("shutting down")
        self.window.request_quit()  # saves the layout (once)
        self.window.hide()  # gone at once; the rest happens behind the scenes
        if cancel_tasks:
            await cancel_pending()
        if self.jobs is not None:
            await self.jobs.aclose()  # stop polling and close the job store before the clients go
        if self.usage is not None:
            await self.usage.aclose()  # stop the meter's refresh and close its history
        if self.workbench is not None:
            await self.workbench.aclose()  # stop a run, commit the run history
        await self.pool.aclose()
        self.settings.sync()
        self.window.close()
        self.window.deleteLater()


def compose(
    app: QApplication,
    paths: AppPaths,
    *,
    secrets: Secrets | None = None,
    client_factory: ClientFactory | None = None,
    redaction: RedactionFilter | None = None,
) -> AppContext:
    """Build settings, services and the window, wired together (nothing shown or started yet)."""
    from simdesk.core.profiles import ProfileStore
    from simdesk.core.secrets import Secrets
    from simdesk.services.clients import ClientPool
    from simdesk.services.connection import ConnectionService
    from simdesk.services.messages import MessageBus
    from simdesk.services.profiles import ProfileService
    from simdesk.services.settings import THEME, Settings
    from simdesk.services.usage_budget import budgeted_factory
    from simdesk.ui.fonts import use_colour_emoji
    from simdesk.ui.main_window import MainWindow
    from simdesk.ui.theme import ThemeController
    from simdesk.ui.usage_meter_install import install_usage

    # QSettings writes through a link to its target: a link out of its folder is set aside first
    moved = [move_escaping_link(f, "settings") for f in (paths.settings_file, paths.state_file)]
    settings = Settings.at(paths.settings_file, paths.state_file)
    theme = ThemeController(app)
    theme.set_mode(settings.get(THEME))
    use_colour_emoji()
    secrets = secrets if secrets is not None else Secrets()
    if redaction is not None:
        redaction.known = secrets.known_keys
    messages = MessageBus()
    pool = ClientPool(secrets, client_factory or budgeted_factory)  # one request budget per profile (issue 7)
    for problem in moved:
        if problem is not None:
            messages.send_error(problem.message)
    profile_store = ProfileStore(paths.profiles_file)
    if profile_store.problem is not None:  # kept in messages.recent until the window shows it
        messages.send_error(profile_store.problem)
    profiles = ProfileService(profile_store, secrets, settings, pool, messages)
    connection = ConnectionService(profiles, pool)
    window = MainWindow(settings, profiles, connection, messages, theme, paths, __version__)
    # The services live as long as the window; parenting them keeps them alive with it.
    for service in (settings, messages, profiles, connection, theme):
        service.setParent(window)
    ctx = AppContext(app, paths, settings, secrets, messages, pool, profiles, connection, theme, window)
    # The job tracker and the workbench are installed after the first paint (run_app).
    ctx.usage = install_usage(
        paths=paths, settings=settings, profiles=profiles, pool=pool, messages=messages, window=window, theme=theme
    )
    return ctx


# --- errors ------------------------------------------------------------------------------------------


def _user_text(exc: BaseException | None, fallback: str) -> str:
    if exc is not None:
        try:
            from simdesk.api import SimError, user_message

            if isinstance(exc, SimError):
                return user_message(exc)
        except Exception:  # the message must not fail because the client package did
            log.exception("could not describe %r", exc)
    return f"{fallback} Details are in the log (Help → Open log folder)."


def install_error_hooks(loop: asyncio.AbstractEventLoop, messages: MessageBus) -> Callable[[], None]:
    """Log and show unexpected errors instead of crashing; returns a function that undoes it."""
    from simdesk.services.eventloop import make_exception_handler

    def notify(message: str, exc: BaseException | None) -> None:
        messages.send_error(_user_text(exc, "Something went wrong in the background."), logger=log)

    loop.set_exception_handler(make_exception_handler(notify))
    previous = sys.excepthook

    def excepthook(tp: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(tp, KeyboardInterrupt):
            previous(tp, exc, tb)
            return
        try:
            log.critical("unhandled error", exc_info=(tp, exc, tb))
            messages.send_error(_user_text(exc, f"Unexpected error ({tp.__name__})."), logger=log)
        except Exception:  # an excepthook that raises loses the original error
            previous(tp, exc, tb)

    sys.excepthook = excepthook

    def undo() -> None:
        sys.excepthook = previous
        loop.set_exception_handler(None)

    return undo


def _install_qt_message_handler() -> None:
    """Route Qt's own warnings into the log instead of stderr."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("simdesk.qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind: QtMsgType, _context: Any, message: str) -> None:
        level = levels.get(kind, logging.WARNING)
        if "propagateSizeHints" in message:  # harmless on the offscreen/xcb platforms
            level = logging.DEBUG
        qt_log.log(level, "%s", message)

    qInstallMessageHandler(handler)


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
            ctx.install_jobs()  # the jobs panel, notifications and the tray
            ctx.install_workbench()  # the workflows browser and the run console
            if ctx.jobs is not None:
                ctx.jobs.begin()  # reattach to unfinished background runs, then poll
            if ctx.usage is not None:
                ctx.usage.begin()  # the meter panel, its history, and the active profile's limits
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

    _install_qt_message_handler()
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
    with asyncio.Runner(loop_factory=lambda: AppEventLoop(app)) as runner:
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
    return ctx
