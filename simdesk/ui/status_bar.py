"""The status bar: active profile (with its colour tag), connection state, rate-limit summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStatusBar, QWidget

from simdesk.core.profiles import Profile
from simdesk.ui import format as fmt
from simdesk.ui.icons import color_dot
from simdesk.ui.theme import Colors

if TYPE_CHECKING:  # type-only: the result types load with the client, after start-up
    from simdesk.core.rates import RateLimitState
    from simdesk.core.usage import ConnectionCheck

_DOT = QSize(10, 10)


class _DotLabel(QWidget):
    """A coloured dot and a text, read by screen readers as one label."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.dot = QLabel(self)
        self.text = QLabel(self)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(6)
        layout.addWidget(self.dot)
        layout.addWidget(self.text)

    def show_state(self, color: str, text: str, tooltip: str) -> None:
        self.dot.setPixmap(color_dot(color).pixmap(_DOT))
        self.text.setText(text)
        self.setToolTip(tooltip)
        self.setAccessibleName(text)
        self.setAccessibleDescription(tooltip)


class MainStatusBar(QStatusBar):
    """Shows what the services report. Colours come from the theme; meaning is in the words."""

    def __init__(self, colors: Colors, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.setAccessibleName("Status bar")
        self._colors = colors
        self.profile = _DotLabel("profileBadge", self)
        self.connection = _DotLabel("connectionState", self)
        self.rates = QLabel("Rate limits: —", self)
        self.rates.setObjectName("rateLimitSummary")
        self.rates.setAccessibleName("Rate limits")
        self.rates.setProperty("muted", True)
        # Passing news; QStatusBar.showMessage would hide the profile and connection widgets.
        self.message = QLabel(self)
        self.message.setObjectName("statusMessage")
        self.message.setAccessibleName("Latest message")
        self.message.setProperty("muted", True)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message.clear)
        self.addWidget(self.profile)
        self.addWidget(self.connection)
        self.addWidget(self.message, 1)
        self.addPermanentWidget(self.rates)
        self._states: dict[str, RateLimitState] = {}
        self._connection_state = (fmt.UNKNOWN, "Not connected", "No profile selected.")
        self._profile: Profile | None = None
        self.set_profile(None)

    # --- state ----------------------------------------------------------------------------------

    def _state_color(self, state: str) -> str:
        c = self._colors
        return {fmt.OK: c.ok, fmt.WARN: c.warn, fmt.ERROR: c.error}.get(state, c.muted)

    def set_colors(self, colors: Colors) -> None:
        """Repaint the dots for another theme."""
        self._colors = colors
        self.set_profile(self._profile)
        self._show_connection(*self._connection_state)

    def show_news(self, text: str, timeout_ms: int = 8000) -> None:
        """Show ``text`` next to the connection state for a while."""
        self.message.setText(text)
        self.message.setToolTip(text)
        self._message_timer.start(timeout_ms)

    def set_profile(self, profile: Profile | None) -> None:
        if profile is None or self._profile is None or profile.name != self._profile.name:
            self._states.clear()  # another profile: its buckets are not this one's
            self._show_rates()
        self._profile = profile
        if profile is None:
            self.profile.show_state(self._colors.muted, "No profile", "Add a profile with File → Profiles… (Ctrl+,).")
            return
        # A standing reminder that this profile's key crosses the network in clear.
        insecure = " (unencrypted HTTP)" if profile.unencrypted else ""
        self.profile.show_state(
            profile.color, profile.name, f"Active profile: {profile.name} ({profile.base_url}){insecure}"
        )

    def _show_connection(self, state: str, text: str, tooltip: str) -> None:
        self._connection_state = (state, text, tooltip)
        self.connection.show_state(self._state_color(state), text, tooltip)

    def set_checking(self) -> None:
        self._show_connection(fmt.BUSY, "Checking…", "Testing the connection to the server.")

    def set_no_connection(self, text: str = "Not connected") -> None:
        self._show_connection(fmt.UNKNOWN, text, "No connection check has run yet.")

    def set_check(self, check: ConnectionCheck) -> None:
        state, text = fmt.connection_state(check)
        self._show_connection(state, text, check.message)

    def set_failed(self, message: str) -> None:
        self._show_connection(fmt.ERROR, "Not connected", message)

    def connection_state(self) -> str:
        """The shown state: "ok", "warn", "error", "busy" or "unknown" (for tests)."""
        return self._connection_state[0]

    def update_rate(self, state: RateLimitState) -> None:
        self._states[state.bucket] = state
        self._show_rates()

    def _show_rates(self) -> None:
        text, tooltip = fmt.rate_summary(self._states.values())
        self.rates.setText(text)
        self.rates.setToolTip(tooltip)
        self.rates.setAccessibleDescription(tooltip)
