"""Light and dark themes that follow the OS, with a user override (System / Light / Dark).

The app uses the Fusion style with its own two palettes on every platform, so both themes look
the same everywhere and every colour below is known (contrast checked, WCAG AA for text). In
"system" mode the choice follows ``QStyleHints.colorScheme()`` live (Qt ≥ 6.5); an explicit
choice is also handed to Qt (``setColorScheme``, Qt ≥ 6.8) so native dialogs match.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

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
    notice_bg: str  # behind error text (the notice bar, an input's error line)
    disabled: str
    tooltip_bg: str
    tooltip_text: str
    link: str
    hint_bg: str  # a hint above the input (offline, not deployed, no outputs)
    hint_text: str
    json: Mapping[str, str]  # JSON token → colour, on surface and alt_surface
    pills: Mapping[str, str]  # run status → pill fill, under white text
    badges: Mapping[str, tuple[str, str]]  # deployment badge → (fill, text)


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
    ok="#166534",
    warn="#92400e",
    error="#b91c1c",
    notice_bg="#fde8e8",
    disabled="#9aa1ab",
    tooltip_bg="#1f2328",
    tooltip_text="#f4f5f7",
    link="#1d4ed8",
    hint_bg="#fef0c7",
    hint_text="#4e1d09",
    json={"key": "#1d4ed8", "string": "#166534", "number": "#9a3412", "literal": "#7e22ce", "punct": "#5b6370"},
    pills={
        "completed": "#067647", "paused": "#b54708", "background": "#175cd3", "running": "#175cd3",
        "failed": "#b42318", "interrupted": "#b42318", "cancelled": "#475467",
    },
    badges={
        "Deployed": ("#dcfae6", "#067647"), "Needs redeploy": ("#fef0c7", "#93370d"),
        "Not deployed": ("#f2f4f7", "#475467"), "Unknown": ("#f2f4f7", "#475467"),
    },
)  # fmt: skip

DARK = Colors(
    window="#1d2025",
    surface="#16181c",
    alt_surface="#22262c",
    text="#e6e8eb",
    muted="#a1a8b3",
    border="#353a42",
    button="#2a2e35",
    accent="#2563eb",
    accent_text="#ffffff",
    ok="#4ade80",
    warn="#fbbf24",
    error="#f87171",
    notice_bg="#3b1f22",
    disabled="#6b7280",
    tooltip_bg="#2a2e35",
    tooltip_text="#e6e8eb",
    link="#60a5fa",
    hint_bg="#3d2e0c",
    hint_text="#fde68a",
    json={"key": "#7cc4fa", "string": "#a5d6a7", "number": "#f8c471", "literal": "#d7a6f5", "punct": "#9aa4b2"},
    pills={
        "completed": "#2e7d4f", "paused": "#9a5b13", "background": "#2f5fb3", "running": "#2f5fb3",
        "failed": "#a3302a", "interrupted": "#a3302a", "cancelled": "#5b6370",
    },
    badges={
        "Deployed": ("#0e3d23", "#7ee2a8"), "Needs redeploy": ("#4a2f06", "#fdb022"),
        "Not deployed": ("#2b3038", "#b0b8c4"), "Unknown": ("#2b3038", "#b0b8c4"),
    },
)  # fmt: skip

PILL_TEXT = "#ffffff"


def colors_for(palette: QPalette) -> Colors:
    """The theme a widget is drawn in, told by its palette's window colour."""
    return DARK if is_dark(palette) else LIGHT


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21; text needs 4.5 for AA)."""

    def luminance(color: str) -> float:
        channels = [int(color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_pairs(c: Colors) -> list[tuple[str, str, str]]:
    """Every (what, text colour, background) the app draws text in, for the contrast check."""
    grounds = {"window": c.window, "surface": c.surface, "alt_surface": c.alt_surface}
    pairs = [
        (f"{name} on {ground}", fg, bg)
        for name, fg in (("text", c.text), ("muted", c.muted), ("link", c.link), ("error", c.error),
                         ("ok", c.ok), ("warn", c.warn))
        for ground, bg in grounds.items()
    ]  # fmt: skip
    pairs += [(f"json {token} on {ground}", fg, grounds[ground]) for token, fg in c.json.items()
              for ground in ("surface", "alt_surface")]  # fmt: skip
    pairs += [
        ("notice text", c.text, c.notice_bg),
        ("error on its bar", c.error, c.notice_bg),
        ("hint", c.hint_text, c.hint_bg),
        ("selection", c.accent_text, c.accent),
        ("tooltip", c.tooltip_text, c.tooltip_bg),
    ]
    pairs += [(f"{status} pill", PILL_TEXT, fill) for status, fill in c.pills.items()]
    pairs += [(f"{badge} badge", fg, fill) for badge, (fill, fg) in c.badges.items()]
    return pairs


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
        p.setColor(group, role.BrightText, QColor(PILL_TEXT))  # Qt draws it on strong fills
        p.setColor(group, role.Highlight, QColor(colors.disabled if disabled else colors.accent))
        p.setColor(group, role.HighlightedText, QColor(colors.accent_text))
        p.setColor(group, role.Link, QColor(colors.link))
        p.setColor(group, role.LinkVisited, QColor(colors.link))
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
QLabel[tone="muted"] {{ color: {c.muted}; }}
QLabel[tone="error"] {{ color: {c.error}; }}
QLabel[tone="errorBar"] {{ color: {c.error}; background: {c.notice_bg}; border-radius: 3px; padding: 2px 6px; }}
QLabel[tone="hint"] {{ color: {c.hint_text}; background: {c.hint_bg}; border-radius: 4px; padding: 4px 8px; }}
*[invalid="true"] {{ border: 2px solid {c.error}; border-radius: 3px; }}
"""


def set_tone(widget: QWidget, tone: str, prop: str = "tone") -> None:
    """Give ``widget`` one of the stylesheet's tones (``muted``, ``error``, ``errorBar``, ``hint``;
    "" for none) and restyle it, so its colours come from the theme and follow a switch."""
    if widget.property(prop) == tone:
        return
    widget.setProperty(prop, tone)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


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
# widget paints with. Text colours are the themes' own (LIGHT and DARK above, whose pairs
# text_pairs() lists for the contrast check); status colours go with a word or a shape, never alone.


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


def _themes(pick: Callable[[Colors], str]) -> Shade:
    """The shade a theme colour has in the light and the dark theme."""
    return Shade(pick(LIGHT), pick(DARK))


class Role(StrEnum):
    """Colours for things a palette has no role for (text on the window's grounds takes the
    stylesheet's tones instead: :func:`set_tone`)."""

    INVALID_UNDERLINE = "invalid.underline"  # where the JSON editor found the mistake
    RUN_ERROR_TEXT = "run.error.text"  # a run's error in the transcript and the result
    RUN_OK_TEXT = "run.ok.text"
    PILL_TEXT = "pill.text"  # on a status pill (its fill is RUN_PILL)
    TRAY_BADGE_BG = "tray.badge.bg"  # the count on the tray icon (Okabe–Ito blue)
    TRAY_BADGE_TEXT = "tray.badge.text"
    SPAN_FAILED = "span.failed"  # a failed span's bar and name in a trace waterfall
    DIFF_ADDED = "diff.added"  # text a later run has and the earlier lacks (run compare)
    DIFF_REMOVED = "diff.removed"
    DIFF_SLOWER = "diff.slower"  # a block's tint in run compare: slower, failed, missing
    DIFF_FAILED = "diff.failed"
    DIFF_MISSING = "diff.missing"


ROLES: dict[Role, Shade] = {
    Role.INVALID_UNDERLINE: _themes(lambda c: c.error),
    Role.RUN_ERROR_TEXT: _themes(lambda c: c.error),
    Role.RUN_OK_TEXT: _themes(lambda c: c.ok),
    Role.PILL_TEXT: Shade(PILL_TEXT, PILL_TEXT),
    Role.TRAY_BADGE_BG: Shade("#0072b2", "#0072b2"),
    Role.TRAY_BADGE_TEXT: Shade("#ffffff", "#ffffff"),
    Role.SPAN_FAILED: Shade("#d92d20", "#d92d20"),
    Role.DIFF_ADDED: _themes(lambda c: c.ok),
    Role.DIFF_REMOVED: _themes(lambda c: c.error),
    Role.DIFF_SLOWER: Shade("#f79009", "#f79009"),
    Role.DIFF_FAILED: Shade("#d92d20", "#d92d20"),
    Role.DIFF_MISSING: Shade("#98a2b3", "#98a2b3"),
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

# A run's status pill in the result view (by outcome status), under PILL_TEXT; its text names the
# status too. The fills are the themes' pills.
RUN_PILL: dict[str, Shade] = {status: Shade(LIGHT.pills[status], DARK.pills[status]) for status in LIGHT.pills}
RUN_PILL_OTHER = RUN_PILL["cancelled"]


class BadgeShades(NamedTuple):
    fill: Shade
    text: Shade


# A workflow's deployment badge in the browser (by Badge value: the word on it): the themes' badges.
WORKFLOW_BADGE: dict[str, BadgeShades] = {
    badge: BadgeShades(Shade(light[0], DARK.badges[badge][0]), Shade(light[1], DARK.badges[badge][1]))
    for badge, light in LIGHT.badges.items()
}

# JSON syntax colours (the JSON editor and views), readable on the palette's base colour: the themes' json.
JSON_TOKEN: dict[str, Shade] = {token: Shade(LIGHT.json[token], DARK.json[token]) for token in LIGHT.json}

# The usage chart's series (by their short legend names): distinct from the status colours.
CHART_SERIES: dict[str, Shade] = {
    "Runs": Shade("#2563eb", "#60a5fa"),
    "Background": Shade("#7c3aed", "#a78bfa"),
    "API": Shade("#0f766e", "#2dd4bf"),
}

# A trace waterfall's bars (by span type); other types take SPAN_BAR_OTHER.
SPAN_BAR: dict[str, Shade] = {
    kind: Shade(colour, colour)
    for kind, colour in {
        "workflow": "#667085",
        "agent": "#7f56d9",
        "api": "#1570ef",
        "function": "#0e9384",
        "response": "#12b76a",
        "loop": "#98a2b3",
        "parallel": "#98a2b3",
        "loop-iteration": "#b0b8c4",
        "parallel-iteration": "#b0b8c4",
    }.items()
}
SPAN_BAR_OTHER = Shade("#2e90fa", "#2e90fa")
