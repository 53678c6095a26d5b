"""Light and dark themes that follow the OS, with a user override (System / Light / Dark).

The app uses the Fusion style with its own two palettes on every platform, so both themes look
the same everywhere and every colour below is known (contrast checked, WCAG AA for text). In
"system" mode the choice follows ``QStyleHints.colorScheme()`` live (Qt ≥ 6.5); an explicit
choice is also handed to Qt (``setColorScheme``, Qt ≥ 6.8) so native dialogs match.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

log = logging.getLogger("simdesk.ui.theme")


class ThemeMode(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, slots=True)
class Colors:
    """One theme's colours. Status colours carry meaning with an icon or text too, never alone."""

    window: str
    surface: str  # panels, inputs
    alt_surface: str
    text: str
    muted: str  # secondary text, at least 4.5:1 on window and surface
    border: str
    button: str
    accent: str
    accent_text: str
    ok: str
    warn: str
    error: str
    notice_bg: str
    disabled: str
    tooltip_bg: str
    tooltip_text: str


LIGHT = Colors(
    window="#f4f5f7",
    surface="#ffffff",
    alt_surface="#f0f2f5",
    text="#1f2328",
    muted="#5b6370",
    border="#d4d8de",
    button="#ffffff",
    accent="#2563eb",
    accent_text="#ffffff",
    ok="#15803d",
    warn="#b45309",
    error="#b91c1c",
    notice_bg="#fde8e8",
    disabled="#9aa1ab",
    tooltip_bg="#1f2328",
    tooltip_text="#f4f5f7",
)

DARK = Colors(
    window="#1d2025",
    surface="#16181c",
    alt_surface="#22262c",
    text="#e6e8eb",
    muted="#a1a8b3",
    border="#353a42",
    button="#2a2e35",
    accent="#3b82f6",
    accent_text="#ffffff",
    ok="#4ade80",
    warn="#fbbf24",
    error="#f87171",
    notice_bg="#3b1f22",
    disabled="#6b7280",
    tooltip_bg="#2a2e35",
    tooltip_text="#e6e8eb",
)


def palette_for(colors: Colors) -> QPalette:
    """A complete QPalette (all three colour groups) for ``colors``."""
    p = QPalette()
    role = QPalette.ColorRole
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled):
        disabled = group == QPalette.ColorGroup.Disabled
        text = QColor(colors.disabled if disabled else colors.text)
        p.setColor(group, role.Window, QColor(colors.window))
        p.setColor(group, role.WindowText, text)
        p.setColor(group, role.Base, QColor(colors.surface))
        p.setColor(group, role.AlternateBase, QColor(colors.alt_surface))
        p.setColor(group, role.Text, text)
        p.setColor(group, role.PlaceholderText, QColor(colors.muted))
        p.setColor(group, role.Button, QColor(colors.button))
        p.setColor(group, role.ButtonText, text)
        p.setColor(group, role.BrightText, QColor(colors.error))
        p.setColor(group, role.Highlight, QColor(colors.disabled if disabled else colors.accent))
        p.setColor(group, role.HighlightedText, QColor(colors.accent_text))
        p.setColor(group, role.Link, QColor(colors.accent))
        p.setColor(group, role.LinkVisited, QColor(colors.accent))
        p.setColor(group, role.ToolTipBase, QColor(colors.tooltip_bg))
        p.setColor(group, role.ToolTipText, QColor(colors.tooltip_text))
        p.setColor(group, role.Light, QColor(colors.surface).lighter(115))
        p.setColor(group, role.Midlight, QColor(colors.border).lighter(110))
        p.setColor(group, role.Mid, QColor(colors.border))
        p.setColor(group, role.Dark, QColor(colors.border).darker(130))
        p.setColor(group, role.Shadow, QColor("#000000"))
    return p


def stylesheet_for(c: Colors) -> str:
    """The few rules a palette cannot express (placeholders, notice bar, status chips)."""
    return f"""
QMainWindow::separator {{ background: {c.border}; width: 1px; height: 1px; }}
QDockWidget::title {{ background: {c.window}; padding: 6px 8px; border-bottom: 1px solid {c.border}; }}
QToolBar {{ border: none; border-bottom: 1px solid {c.border}; spacing: 4px; padding: 3px 6px; }}
QToolBar#noticeBar {{ background: {c.notice_bg}; border-bottom: 1px solid {c.error}; }}
QLabel#noticeText {{ color: {c.text}; }}
QStatusBar {{ border-top: 1px solid {c.border}; }}
QStatusBar::item {{ border: none; }}
QLabel[muted="true"] {{ color: {c.muted}; }}
QWidget#panelPlaceholder {{ background: {c.surface}; }}
QLabel#placeholderTitle {{ font-size: 15px; font-weight: 600; color: {c.text}; }}
QLabel#placeholderHint {{ color: {c.muted}; }}
QLabel#waitingForOutput {{ font-size: 14px; font-weight: 600; color: {c.text}; }}
QLabel#testResult {{ background: {c.alt_surface}; border: 1px solid {c.border}; border-radius: 6px; padding: 8px; }}
QToolTip {{ color: {c.tooltip_text}; background: {c.tooltip_bg}; border: 1px solid {c.border}; padding: 4px; }}
"""


class ThemeController(QObject):
    """Applies and tracks the theme.

    Signals:
        changed(str effective): "light" or "dark" was applied (also after an OS switch).
    """

    changed = Signal(str)

    def __init__(self, app: QApplication, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._app = app
        self._mode = ThemeMode.SYSTEM
        self._effective = ""
        app.setStyle("Fusion")
        app.styleHints().colorSchemeChanged.connect(self._on_os_scheme)

    @property
    def mode(self) -> ThemeMode:
        return self._mode

    @property
    def effective(self) -> str:
        return self._effective

    @property
    def colors(self) -> Colors:
        return DARK if self._effective == "dark" else LIGHT

    def _os_is_dark(self) -> bool:
        return self._app.styleHints().colorScheme() == Qt.ColorScheme.Dark

    def set_mode(self, mode: ThemeMode | str) -> None:
        """Use ``mode`` ("system", "light", "dark"); unknown values mean "system"."""
        try:
            self._mode = ThemeMode(mode)
        except ValueError:
            self._mode = ThemeMode.SYSTEM
        hints = self._app.styleHints()
        if hasattr(hints, "setColorScheme"):  # Qt ≥ 6.8: tell the platform too (native dialogs)
            scheme = {
                ThemeMode.LIGHT: Qt.ColorScheme.Light,
                ThemeMode.DARK: Qt.ColorScheme.Dark,
                ThemeMode.SYSTEM: Qt.ColorScheme.Unknown,
            }[self._mode]
            hints.setColorScheme(scheme)
        self._apply()

    def _on_os_scheme(self, _scheme: Qt.ColorScheme) -> None:
        if self._mode == ThemeMode.SYSTEM:
            self._apply()

    def _apply(self) -> None:
        if self._mode == ThemeMode.SYSTEM:
            effective = "dark" if self._os_is_dark() else "light"
        else:
            effective = self._mode.value
        if effective == self._effective:
            return
        self._effective = effective
        colors = self.colors
        self._app.setPalette(palette_for(colors))
        self._app.setStyleSheet(stylesheet_for(colors))
        log.info("theme: %s (%s)", effective, self._mode.value)
        self.changed.emit(effective)


# --- named colours beyond the palette --------------------------------------------------------
# Widgets take every colour from here (or from the palette), never a hex literal of their own.
# Each is a Shade: the colour on the light theme and on the dark one, picked by the palette a
# widget paints with. Status colours go with a word or a shape, never alone.


class Shade(NamedTuple):
    """One named colour on the light theme and on the dark one."""

    light: str
    dark: str

    def on(self, palette: QPalette) -> str:
        """The colour for ``palette`` (its dark variant when the palette's window is dark)."""
        return self.dark if is_dark(palette) else self.light

    def color(self, palette: QPalette) -> QColor:
        return QColor(self.on(palette))


def is_dark(palette: QPalette) -> bool:
    """True when the palette's window is dark (the named colours pick their variant from it)."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


class Role(StrEnum):
    """Colours for things a palette has no role for."""

    NOTICE_BG = "notice.bg"  # a notice inside a panel (the legacy-server note, the run's notes)
    NOTICE_TEXT = "notice.text"
    ERROR_TEXT = "error.text"  # an error line under a field or list
    ERROR_CHIP_BG = "error.chip.bg"  # the input form's error summary
    INVALID_BORDER = "invalid.border"  # a field whose content cannot be used
    INVALID_UNDERLINE = "invalid.underline"  # where the JSON editor found the mistake
    RUN_ERROR_TEXT = "run.error.text"  # a run's error in the transcript and the result
    RUN_OK_TEXT = "run.ok.text"
    PILL_TEXT = "pill.text"  # on a status pill (its fill is RUN_PILL)
    TRAY_BADGE_BG = "tray.badge.bg"  # the count on the tray icon (Okabe–Ito blue)
    TRAY_BADGE_TEXT = "tray.badge.text"


ROLES: dict[Role, Shade] = {
    Role.NOTICE_BG: Shade("#fef0c7", "#fef0c7"),
    Role.NOTICE_TEXT: Shade("#4e1d09", "#4e1d09"),
    Role.ERROR_TEXT: Shade("#d92d20", "#d92d20"),
    Role.ERROR_CHIP_BG: Shade("#b42318", "#b42318"),
    Role.INVALID_BORDER: Shade("#d92d20", "#d92d20"),
    Role.INVALID_UNDERLINE: Shade("#e5484d", "#e5484d"),
    Role.RUN_ERROR_TEXT: Shade("#b42318", "#ff8a80"),
    Role.RUN_OK_TEXT: Shade("#067647", "#7ee2a8"),
    Role.PILL_TEXT: Shade("#ffffff", "#ffffff"),
    Role.TRAY_BADGE_BG: Shade("#0072b2", "#0072b2"),
    Role.TRAY_BADGE_TEXT: Shade("#ffffff", "#ffffff"),
}


def role(name: Role, palette: QPalette) -> str:
    """The colour of ``name`` for ``palette``, as ``#rrggbb``."""
    return ROLES[name].on(palette)


def role_color(name: Role, palette: QPalette) -> QColor:
    return ROLES[name].color(palette)


# Job status badges (by JobStatus value): Okabe–Ito hues, darkened or lightened for contrast.
JOB_STATUS: dict[str, Shade] = {
    "queued": Shade("#5b6370", "#a1a8b3"),
    "running": Shade("#0072b2", "#56b4e9"),
    "paused": Shade("#a35f00", "#e69f00"),
    "completed": Shade("#007a5e", "#2ec4a0"),
    "failed": Shade("#c0392b", "#ff8a65"),
    "cancelled": Shade("#6b5b95", "#b8a9e0"),
    "unknown": Shade("#8a3b6b", "#cc79a7"),
}

# A run's status pill in the result view (by outcome status); its text names the status too.
RUN_PILL: dict[str, Shade] = {
    "completed": Shade("#067647", "#2e7d4f"),
    "paused": Shade("#b54708", "#9a5b13"),
    "background": Shade("#175cd3", "#2f5fb3"),
    "running": Shade("#175cd3", "#2f5fb3"),
    "failed": Shade("#b42318", "#a3302a"),
    "interrupted": Shade("#b42318", "#a3302a"),
    "cancelled": Shade("#475467", "#5b6370"),
}
RUN_PILL_OTHER = Shade("#475467", "#5b6370")


class BadgeShades(NamedTuple):
    fill: Shade
    text: Shade


# A workflow's deployment badge in the browser (by Badge value: the word on it).
WORKFLOW_BADGE: dict[str, BadgeShades] = {
    "Deployed": BadgeShades(Shade("#dcfae6", "#0e3d23"), Shade("#067647", "#7ee2a8")),
    "Needs redeploy": BadgeShades(Shade("#fef0c7", "#4a2f06"), Shade("#93370d", "#fdb022")),
    "Not deployed": BadgeShades(Shade("#f2f4f7", "#2b3038"), Shade("#475467", "#b0b8c4")),
    "Unknown": BadgeShades(Shade("#f2f4f7", "#2b3038"), Shade("#475467", "#b0b8c4")),
}

# JSON syntax colours (the JSON editor and views), readable on the palette's base colour.
JSON_TOKEN: dict[str, Shade] = {
    "key": Shade("#1d4ed8", "#7cc4fa"),
    "string": Shade("#166534", "#a5d6a7"),
    "number": Shade("#9a3412", "#f8c471"),
    "literal": Shade("#7e22ce", "#d7a6f5"),
    "punct": Shade("#5b6370", "#9aa4b2"),
}

# The usage chart's series (by legend name): distinct from the status colours.
CHART_SERIES: dict[str, Shade] = {
    "Sync": Shade("#2563eb", "#60a5fa"),
    "Async": Shade("#7c3aed", "#a78bfa"),
    "API": Shade("#0f766e", "#2dd4bf"),
}


def notice_style(palette: QPalette, padding: str = "4px 8px") -> str:
    """Stylesheet of a notice inside a panel."""
    return (
        f"background: {role(Role.NOTICE_BG, palette)}; color: {role(Role.NOTICE_TEXT, palette)};"
        f" border-radius: 4px; padding: {padding};"
    )


def error_text_style(palette: QPalette) -> str:
    """Stylesheet of an error line under a field or list."""
    return f"color: {role(Role.ERROR_TEXT, palette)};"
