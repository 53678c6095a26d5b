"""Architecture guards: the import-linter contracts in pyproject.toml hold, and the Qt-free
layers really are Qt-free at run time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
QT_FREE_PACKAGES = ("simdesk.api", "simdesk.core", "simdesk.sandbox", "simdesk.testing")
QT_MODULES = ("PySide6", "shiboken6", "qasync")


def _lint_imports_command() -> list[str]:
    script = Path(sys.executable).parent / "lint-imports"
    if script.exists():
        return [str(script), "--no-cache", "--no-logo"]
    # Same environment, through import-linter's Python API.
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    return [sys.executable, "-c", code]


def test_import_linter_contracts_pass() -> None:
    result = subprocess.run(
        _lint_imports_command(),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"lint-imports failed:\n{output}"
    assert " 0 broken" in output, output


_PROBE = """
import importlib, json, pkgutil, sys
loaded = []
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    loaded.append(name)
    for info in pkgutil.walk_packages(package.__path__, prefix=name + "."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue
        importlib.import_module(info.name)
        loaded.append(info.name)
print(json.dumps({"loaded": loaded, "modules": sorted(sys.modules)}))
"""


def test_qt_free_layers_do_not_load_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *QT_FREE_PACKAGES],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"importing {QT_FREE_PACKAGES} failed:\n{result.stderr}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(QT_FREE_PACKAGES) <= set(report["loaded"])
    qt_loaded = [m for m in report["modules"] if m.split(".", 1)[0] in QT_MODULES]
    assert qt_loaded == [], f"importing {', '.join(report['loaded'])} pulled in Qt modules: {qt_loaded}"
