"""SVG icons shipped in ``simdesk/resources/icons``, drawn in the palette's text colour.

Action icons are monochrome SVGs that use ``currentColor``. :class:`TintedSvgIconEngine` fills
it in with the application palette's colour *at paint time*, so every icon follows a theme switch
without being rebuilt, and renders crisply at any size and device-pixel ratio. The app icon keeps
its own colours.

Nothing is read or parsed until Qt first asks for a pixmap; after that each SVG is parsed once per
colour (:func:`_renderer`) and each pixmap is kept in :class:`QPixmapCache`, so repaints (hover,
a toolbar relayout, the placeholders' palette changes) cost a lookup, not an SVG render.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap, QPixmapCache
from PySide6.QtSvg import QSvgRenderer

from simdesk.core.paths import APP_ID

# Package data (pyproject: simdesk/resources/**), found next to the package: importlib.resources
# would cost start-up time for no gain, as simdesk is never imported from a zip.
ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"


@cache
def svg_source(name: str) -> bytes:
    """The bytes of ``<name>.svg`` from the package's resources."""
    return (ICON_DIR / f"{name}.svg").read_bytes()


@lru_cache(maxsize=256)  # icons × the few colours they are drawn in (palette roles, status colours)
def _renderer(name: str, color: str) -> QSvgRenderer:
    """``<name>.svg`` parsed, with ``currentColor`` as ``color`` ("" keeps the SVG's own colours)."""
    data = svg_source(name)
    if color:
        data = data.replace(b"currentColor", color.encode())
    return QSvgRenderer(QByteArray(data))


def icon_names() -> list[str]:
    """Every icon the package ships (for tests and the about box)."""
    return sorted(entry.name.removesuffix(".svg") for entry in ICON_DIR.iterdir() if entry.name.endswith(".svg"))


class TintedSvgIconEngine(QIconEngine):
    """Renders a ``currentColor`` SVG in the palette colour for the requested mode.

    Rendering happens when Qt asks for a size, so building icons costs nothing at start-up.
    With ``tint=False`` the SVG keeps its own colours (the app icon).
    """

    def __init__(self, name: str, color: QColor | None = None, *, tint: bool = True) -> None:
        super().__init__()
        self._name = name
        self._fixed = QColor(color) if color is not None else None
        self._tint = tint

    def _color(self, mode: QIcon.Mode) -> QColor:
        if self._fixed is not None:
            return self._fixed
        palette = QGuiApplication.palette()
        if mode == QIcon.Mode.Disabled:
            return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
        if mode == QIcon.Mode.Selected:
            return palette.color(QPalette.ColorRole.HighlightedText)
        return palette.color(QPalette.ColorRole.WindowText)

    def _tint_for(self, mode: QIcon.Mode) -> str:
        return self._color(mode).name() if self._tint else ""

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        _renderer(self._name, self._tint_for(mode)).render(painter, rect)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        tint = self._tint_for(mode)
        key = f"simdesk-icon:{self._name}:{tint}:{size.width()}x{size.height()}@{scale}"
        pixmap = QPixmap()
        if QPixmapCache.find(key, pixmap):
            return pixmap
        pixmap = QPixmap(size * scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        _renderer(self._name, tint).render(painter, QRect(QPoint(0, 0), size * scale))
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        QPixmapCache.insert(key, pixmap)
        return pixmap

    def clone(self) -> QIconEngine:
        return TintedSvgIconEngine(self._name, self._fixed, tint=self._tint)

    def key(self) -> str:
        return "simdesk-tinted-svg"

    def iconName(self) -> str:
        return self._name


def icon(name: str, color: QColor | str | None = None) -> QIcon:
    """The action icon ``name``, tinted with the palette (or a fixed ``color``)."""
    return QIcon(TintedSvgIconEngine(name, QColor(color) if color is not None else None))


def app_icon() -> QIcon:
    """The application icon, in its own colours, rendered at whatever size is asked for."""
    return QIcon(TintedSvgIconEngine(APP_ID, tint=False))


def color_dot(color: str, side: int = 12) -> QIcon:
    """A filled circle in ``color`` (profile colour tags in lists and combos)."""
    pixmap = QPixmap(side * 2, side * 2)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawEllipse(2, 2, side * 2 - 4, side * 2 - 4)
    painter.end()
    pixmap.setDevicePixelRatio(2.0)
    return QIcon(pixmap)
