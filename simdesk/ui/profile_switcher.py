"""The toolbar's profile combo: pick the active profile; each entry shows its colour tag."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QSize
from PySide6.QtWidgets import QComboBox, QSizePolicy, QWidget

from simdesk.services.profiles import ProfileService
from simdesk.ui.icons import color_dot

WIDEST_CHARS = 40  # a longer name is cut in the toolbar (whole in the list and the tooltip)


class ProfileSwitcher(QComboBox):
    """Mirrors :class:`ProfileService`: its list, and which profile is active."""

    def __init__(self, profiles: ProfileService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profileSwitcher")
        self.setAccessibleName("Active profile")
        self.setToolTip("Switch the active profile (the Sim server and key the panels use)")
        self.setIconSize(QSize(12, 12))
        self.setMinimumContentsLength(16)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._profiles = profiles
        profiles.profiles_changed.connect(self.reload)
        profiles.active_changed.connect(self._select)
        self.activated.connect(self._on_activated)
        self.reload()

    def reload(self) -> None:
        """Rebuild the list from the service (keeps the active profile selected)."""
        with QSignalBlocker(self):
            self.clear()
            for profile in self._profiles.profiles():
                label = profile.name + (" (this session)" if profile.temporary else "")
                self.addItem(color_dot(profile.color), label, profile.name)
                insecure = " (unencrypted HTTP)" if profile.unencrypted else ""
                tip = f"{profile.name} — {profile.base_url}{insecure}"
                self.setItemData(self.count() - 1, tip, 3)  # ToolTipRole
            if self.count() == 0:
                self.addItem("No profiles yet", "")
            self.setEnabled(bool(self._profiles.profiles()))
        self._fit()
        self._select(self._profiles.active_name())

    def _fit(self) -> None:
        """Wide enough for the longest name (up to :data:`WIDEST_CHARS`), so names are not cut;
        the list that drops down always shows them whole."""
        metrics = self.fontMetrics()
        widest = max((metrics.horizontalAdvance(self.itemText(i)) for i in range(self.count())), default=0)
        chrome = self.iconSize().width() + 48  # the colour dot, the arrow and the frame
        cap = metrics.horizontalAdvance("x") * WIDEST_CHARS
        self.setMinimumWidth(min(widest, cap) + chrome)
        self.view().setMinimumWidth(widest + chrome)

    def _select(self, name: str) -> None:
        with QSignalBlocker(self):
            index = self.findData(name)
            if index >= 0:
                self.setCurrentIndex(index)

    def _on_activated(self, index: int) -> None:
        name = self.itemData(index)
        if name:
            self._profiles.set_active(name)
