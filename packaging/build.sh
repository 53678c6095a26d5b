#!/usr/bin/env bash
# Build the simdesk desktop bundle (PyInstaller, one folder) and, on Linux, its tarball.
#
#   packaging/build.sh [--out DIR] [--clean]
#
#   --out DIR   where the bundle and the tarball go (default: dist/); work files (PyInstaller's
#               cache, rendered icons, the tarball's staging folder) go to DIR/build/ (default: build/)
#   --clean     drop PyInstaller's cache first (slower; use after changing hooks or the Python)
#
# Environment: PYTHON=/path/to/python (default .venv/bin/python, which needs the package extra:
# .venv/bin/pip install -e '.[package]').
#
# Produces (Linux, x86_64 here):
#   dist/simdesk/simdesk                             the app; run it in place
#   dist/simdesk-<version>-linux-<arch>.tar.gz       bundle + .desktop + metainfo + icons + install.sh
# On Windows and macOS run the same PyInstaller spec by hand: packaging/windows/README.md and
# packaging/macos/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKAGING="$ROOT/packaging"
APP_ID=io.github.simdesk.SimDesk
OUT="$ROOT/dist"
WORK="$ROOT/build"
CLEAN=()

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

while [ "$#" -gt 0 ]; do
    case "$1" in
    --out)
        [ "$#" -ge 2 ] || die "--out needs a directory"
        mkdir -p "$2"
        OUT="$(cd "$2" && pwd)"
        WORK="$OUT/build"
        shift 2
        ;;
    --clean) CLEAN=(--clean) && shift ;;
    -h | --help)
        sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument: $1 (try --help)" ;;
    esac
done

PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3 || true)"
[ -n "$PY" ] || die "no Python: set PYTHON=/path/to/python3.12+"
"$PY" -c 'import PyInstaller' 2>/dev/null ||
    die "PyInstaller is not installed for $PY; run: $PY -m pip install -e '$ROOT[package]'"
# PyInstaller needs libpython as a shared library (pyenv builds it static by default).
"$PY" - <<'EOF' || die "$PY has no shared libpython; rebuild it, e.g. PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 3.12"
import sys, sysconfig
sys.exit(0 if sys.platform != "linux" or sysconfig.get_config_var("Py_ENABLE_SHARED") else 1)
EOF

VERSION="$("$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import simdesk; print(simdesk.__version__)' "$ROOT")"
ARCH="$(uname -m)"
NAME="simdesk-$VERSION-linux-$ARCH"
SVG="$ROOT/simdesk/resources/icons/$APP_ID.svg"
DESKTOP="$ROOT/resources/$APP_ID.desktop"  # the app shell's desktop entry
METAINFO="$PACKAGING/linux/$APP_ID.metainfo.xml"
[ -f "$SVG" ] || die "no icon at $SVG"

start=$SECONDS
mkdir -p "$OUT" "$WORK"
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"

say "rendering icons from ${SVG#"$ROOT"/}"
rm -rf "$WORK/icons"
"$PY" "$PACKAGING/render_icons.py" "$SVG" "$WORK/icons"

say "running PyInstaller (packaging/simdesk.spec) into $OUT/simdesk"
SIMDESK_ICON_DIR="$WORK/icons" "$PY" -m PyInstaller --noconfirm --log-level WARN "${CLEAN[@]}" \
    --distpath "$OUT" --workpath "$WORK/pyinstaller" "$PACKAGING/simdesk.spec"
BUNDLE="$OUT/simdesk"
pyinstaller_done=$SECONDS

# The cheapest proof that the bundle starts and that keyring's entry points made it in.
"$BUNDLE/simdesk" --print-keyring-backend >/dev/null || die "the bundle does not start: $BUNDLE/simdesk"

if [ "$(uname -s)" != Linux ]; then
    say "bundle ready: $BUNDLE (no tarball off Linux)"
    exit 0
fi

if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$DESKTOP"
else
    say "warning: desktop-file-validate not found (apt-get install desktop-file-utils); not validated"
fi
if command -v appstreamcli >/dev/null 2>&1; then
    appstreamcli validate --no-net --explain "$METAINFO" >/dev/null ||
        die "appstreamcli rejects $METAINFO (run: appstreamcli validate --no-net $METAINFO)"
else
    say "warning: appstreamcli not found (apt-get install appstream); metainfo not validated"
fi

say "staging $NAME"
STAGE="$WORK/stage/$NAME"
rm -rf "$WORK/stage"
mkdir -p "$STAGE/share/applications" "$STAGE/share/metainfo" "$STAGE/share/icons"
cp -al "$BUNDLE" "$STAGE/simdesk" 2>/dev/null || cp -a "$BUNDLE" "$STAGE/simdesk"
cp "$DESKTOP" "$STAGE/share/applications/"
cp "$METAINFO" "$STAGE/share/metainfo/"
cp -r "$WORK/icons/hicolor" "$STAGE/share/icons/"
install -m 755 "$PACKAGING/linux/install.sh" "$STAGE/install.sh"

TARBALL="$OUT/$NAME.tar.gz"
tar -C "$WORK/stage" --sort=name --owner=0 --group=0 --numeric-owner -cf - "$NAME" | gzip -6 >"$TARBALL.part"
mv "$TARBALL.part" "$TARBALL"

say "done in $((SECONDS - start)) s (PyInstaller $((pyinstaller_done - start)) s)"
say "bundle:  $BUNDLE ($(du -sh "$BUNDLE" | cut -f1) on disk)"
say "tarball: $TARBALL ($(du -h "$TARBALL" | cut -f1)); install with: tar xzf $NAME.tar.gz && $NAME/install.sh"
