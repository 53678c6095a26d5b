"""The workflows browser's tree: favourites, folders and workflows, with deployment badges.

:class:`WorkflowTreeModel` is rebuilt from a :class:`~simdesk.core.catalogue_cache.CatalogueSnapshot`
(catalogues are hundreds of rows, not millions); :class:`WorkflowFilterProxy` does the search
(name and description) and the sort (name, position, last run), keeping favourites first and
folders before workflows. Views read the roles below; the delegate draws the badges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QIcon, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QStyle

from simdesk.core.catalogue import Folder, WorkflowStatus, WorkflowSummary
from simdesk.core.catalogue_cache import CatalogueSnapshot

KindRole = Qt.ItemDataRole.UserRole + 1
WorkflowRole = Qt.ItemDataRole.UserRole + 2
StatusRole = Qt.ItemDataRole.UserRole + 3
DetailRole = Qt.ItemDataRole.UserRole + 4  # the second line: runs and last run
SearchRole = Qt.ItemDataRole.UserRole + 5
PositionRole = Qt.ItemDataRole.UserRole + 6
LastRunRole = Qt.ItemDataRole.UserRole + 7
FavouriteRole = Qt.ItemDataRole.UserRole + 8

GROUP, FOLDER, WORKFLOW = "group", "folder", "workflow"
FAVOURITES_TITLE = "★ Favourites"
KNOWN_TITLE = "Added by id"
_Index = QModelIndex | QPersistentModelIndex


class Badge(StrEnum):
    """A workflow's deployment state as the tree shows it."""

    DEPLOYED = "Deployed"
    REDEPLOY = "Needs redeploy"
    UNDEPLOYED = "Not deployed"
    UNKNOWN = "Unknown"


class SortKey(StrEnum):
    """How workflows are ordered inside a folder."""

    NAME = "name"
    POSITION = "position"
    LAST_RUN = "last_run"


def badge_of(summary: WorkflowSummary | None, status: WorkflowStatus | None) -> Badge:
    """The badge: the status call (if made) knows about redeploys; the list item only deployed-or-not."""
    if status is not None:
        if not status.is_deployed:
            return Badge.UNDEPLOYED
        return Badge.REDEPLOY if status.needs_redeployment else Badge.DEPLOYED
    if summary is None:
        return Badge.UNKNOWN
    return Badge.DEPLOYED if summary.is_deployed else Badge.UNDEPLOYED


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """``"3 h ago"``-style text; ``"never"`` for ``None``."""
    if when is None:
        return "never"
    now = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = max(0.0, (now - when).total_seconds())
    for size, unit in ((86400 * 365, "y"), (86400 * 30, "mo"), (86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def detail_line(summary: WorkflowSummary, now: datetime | None = None) -> str:
    """The muted second line: successful runs and the last one."""
    if not summary.run_count and summary.last_run_at is None:
        return "no successful runs yet"
    runs = f"{summary.run_count} run{'s' if summary.run_count != 1 else ''}"
    if summary.last_run_at is None:
        return runs
    return f"{runs} · last {ago(summary.last_run_at, now)}"


def _folder_item(folder: Folder) -> QStandardItem:
    item = QStandardItem((folder.name or folder.path) + (" (locked)" if folder.locked else ""))
    item.setEditable(False)
    item.setData(FOLDER, KindRole)
    item.setData(folder.name.casefold(), SearchRole)
    item.setData(folder.path + (" (locked)" if folder.locked else ""), Qt.ItemDataRole.ToolTipRole)
    item.setData(_folder_icon(), Qt.ItemDataRole.DecorationRole)
    return item


def _folder_icon() -> QIcon:
    app = QApplication.instance()
    style = app.style() if isinstance(app, QApplication) else None
    return style.standardIcon(QStyle.StandardPixmap.SP_DirIcon) if style is not None else QIcon()


def _workflow_item(
    summary: WorkflowSummary, status: WorkflowStatus | None, position: int, favourite: bool
) -> QStandardItem:
    item = QStandardItem(summary.name or summary.id)
    item.setEditable(False)
    item.setData(WORKFLOW, KindRole)
    item.setData(summary, WorkflowRole)
    item.setData(badge_of(summary, status).value, StatusRole)
    item.setData(detail_line(summary), DetailRole)
    item.setData(f"{summary.name}\n{summary.description or ''}".casefold(), SearchRole)
    item.setData(position, PositionRole)
    item.setData(summary.last_run_at.timestamp() if summary.last_run_at else None, LastRunRole)
    item.setData(favourite, FavouriteRole)
    tip = summary.name + (f"\n{summary.description}" if summary.description else "") + f"\n{summary.id}"
    item.setData(tip, Qt.ItemDataRole.ToolTipRole)
    return item


def _group_item(title: str) -> QStandardItem:
    item = QStandardItem(title)
    item.setEditable(False)
    item.setData(GROUP, KindRole)
    item.setData("", SearchRole)
    return item


class WorkflowTreeModel(QStandardItemModel):
    """Favourites, then folders and workflows of one workspace (or the ids added by hand)."""

    def load(
        self,
        snapshot: CatalogueSnapshot,
        workspace_id: str | None,
        favourites: Sequence[str] = (),
    ) -> None:
        """Rebuild from ``snapshot``."""
        self.clear()
        root = self.invisibleRootItem()
        contents = snapshot.contents.get(workspace_id or "") if workspace_id else None
        statuses: Mapping[str, WorkflowStatus] = contents.statuses if contents else {}
        workflows = list(contents.workflows) if contents else []
        by_id = {w.id: w for w in workflows}
        fav = set(favourites)
        pinned = [by_id[i] for i in favourites if i in by_id]
        pinned += [_known_summary(k.workflow_id, k.name, k.status) for k in snapshot.known if k.workflow_id in fav]
        if pinned:
            group = _group_item(FAVOURITES_TITLE)
            for position, wf in enumerate(pinned):
                group.appendRow(_workflow_item(wf, statuses.get(wf.id), position, True))
            root.appendRow(group)
        if snapshot.known:
            group = _group_item(KNOWN_TITLE)
            for position, known in enumerate(snapshot.known):
                summary = _known_summary(known.workflow_id, known.name, known.status)
                group.appendRow(_workflow_item(summary, known.status, position, known.workflow_id in fav))
            root.appendRow(group)
        folders = self._folders(contents.folders if contents else ())
        for position, wf in enumerate(workflows):
            parent = folders.get(wf.folder_path.rstrip("/") or "/", root)
            parent.appendRow(_workflow_item(wf, statuses.get(wf.id), position, wf.id in fav))

    def _folders(self, folders: Iterable[Folder]) -> dict[str, QStandardItem]:
        """Folder items by path, nested under their parents (missing parents are made up)."""
        items: dict[str, QStandardItem] = {}
        root = self.invisibleRootItem()

        def ensure(path: str, folder: Folder | None) -> QStandardItem:
            path = path.rstrip("/") or "/"
            if path == "/":
                return root
            if path in items:
                return items[path]
            parent_path, _, name = path.rpartition("/")
            parent = ensure(parent_path or "/", None)
            item = _folder_item(folder or Folder(name, path, parent_path or "/"))
            parent.appendRow(item)
            items[path] = item
            return item

        for folder in sorted(folders, key=lambda f: f.path.count("/")):
            ensure(folder.path, folder)
        return items

    def workflow_indexes(self) -> list[QModelIndex]:
        """Every workflow row (for tests and "select by id")."""
        found: list[QModelIndex] = []

        def walk(parent: QModelIndex) -> None:
            for row in range(self.rowCount(parent)):
                index = self.index(row, 0, parent)
                if index.data(KindRole) == WORKFLOW:
                    found.append(index)
                walk(index)

        walk(QModelIndex())
        return found


def _known_summary(workflow_id: str, name: str, status: WorkflowStatus | None) -> WorkflowSummary:
    return WorkflowSummary(
        workflow_id,
        name,
        "",
        is_deployed=bool(status and status.is_deployed),
        deployed_at=status.deployed_at if status else None,
    )


class WorkflowFilterProxy(QSortFilterProxyModel):
    """Search by name and description; sort by name, position or last run. Groups stay first,
    folders before workflows, and a folder shows while any workflow inside it matches."""

    def __init__(self) -> None:
        super().__init__()
        self.setRecursiveFilteringEnabled(True)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._terms: list[str] = []
        self._sort = SortKey.POSITION

    def set_search(self, text: str) -> None:
        """Show workflows whose name or description contains every word of ``text``."""
        self.beginFilterChange()
        self._terms = [t for t in text.casefold().split() if t]
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_sort(self, key: SortKey) -> None:
        """Order workflows by ``key``."""
        self._sort = SortKey(key)
        self.invalidate()
        self.sort(0, Qt.SortOrder.AscendingOrder)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if not self._terms:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        if index.data(KindRole) != WORKFLOW:
            return False  # shown only through a matching child (recursive filtering)
        haystack = str(index.data(SearchRole) or "")
        return all(term in haystack for term in self._terms)

    def lessThan(self, left: _Index, right: _Index) -> bool:
        order = {GROUP: 0, FOLDER: 1, WORKFLOW: 2}
        lk, rk = order.get(left.data(KindRole), 3), order.get(right.data(KindRole), 3)
        if lk != rk:
            return lk < rk
        if lk == 0:
            return str(left.data()) == FAVOURITES_TITLE and str(right.data()) != FAVOURITES_TITLE
        if lk == 1 or self._sort is SortKey.NAME:
            return str(left.data()).casefold() < str(right.data()).casefold()
        if self._sort is SortKey.LAST_RUN:
            a, b = left.data(LastRunRole), right.data(LastRunRole)
            if a is None or b is None:
                return a is not None and b is None  # never-run workflows last
            return bool(a > b)  # newest first
        return int(left.data(PositionRole) or 0) < int(right.data(PositionRole) or 0)
