#!/usr/bin/env bash
# Install (or remove) the simdesk bundle from this unpacked tarball for the current user.
#
#   ./install.sh                  install into ~/.local
#   ./install.sh --prefix DIR     install into DIR instead (DIR/bin, DIR/lib, DIR/share)
#   ./install.sh --uninstall      remove what install.sh put there (your settings, run history
#                                 and keyring entries are left alone)
#
# What goes where (PREFIX defaults to ~/.local):
#   PREFIX/lib/simdesk/                             the bundle (simdesk + _internal/)
#   PREFIX/bin/simdesk                              a symlink to PREFIX/lib/simdesk/simdesk
#   PREFIX/share/applications/io.github.simdesk.SimDesk.desktop   (Exec points at PREFIX/bin)
#   PREFIX/share/metainfo/io.github.simdesk.SimDesk.metainfo.xml
#   PREFIX/share/icons/hicolor/{16x16,...,256x256,scalable}/apps/io.github.simdesk.SimDesk.*
# No root, no system directories, nothing outside PREFIX.
set -euo pipefail

APP_ID=io.github.simdesk.SimDesk
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PREFIX="${HOME:?HOME is not set}/.local"
ACTION=install

say() { printf 'install.sh: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

while [ "$#" -gt 0 ]; do
    case "$1" in
    --prefix)
        [ "$#" -ge 2 ] || die "--prefix needs a directory"
        PREFIX="$2"
        shift 2
        ;;
    --prefix=*)
        PREFIX="${1#--prefix=}"
        shift
        ;;
    --uninstall) ACTION=uninstall && shift ;;
    -h | --help)
        sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument: $1 (try --help)" ;;
    esac
done
mkdir -p "$PREFIX"
PREFIX="$(cd "$PREFIX" && pwd)"
case "$PREFIX" in *[\"\'\\\$\`%]*) die "the prefix may not contain quotes, backslashes, \$, \` or %: $PREFIX" ;; esac

LIBDIR="$PREFIX/lib/simdesk"
BIN="$PREFIX/bin/simdesk"
APPS="$PREFIX/share/applications"
METAINFO="$PREFIX/share/metainfo"
ICONS="$PREFIX/share/icons/hicolor"

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$APPS" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$ICONS/index.theme" ]; then
        gtk-update-icon-cache -q -t -f "$ICONS" 2>/dev/null || true
    fi
}

uninstall() {
    if [ -L "$BIN" ] && [ "$(readlink "$BIN")" = "$LIBDIR/simdesk" ]; then rm -f "$BIN"; fi
    rm -rf "$LIBDIR"
    rm -f "$APPS/$APP_ID.desktop" "$METAINFO/$APP_ID.metainfo.xml"
    rm -f "$ICONS"/*/apps/"$APP_ID".png "$ICONS"/scalable/apps/"$APP_ID".svg
    refresh_caches
    say "removed simdesk from $PREFIX"
}

install() {
    [ -x "$HERE/simdesk/simdesk" ] || die "no bundle at $HERE/simdesk/simdesk (run this from the unpacked tarball)"
    if [ -e "$BIN" ] && ! [ -L "$BIN" ]; then
        die "$BIN exists and is not our symlink (a pip/pipx install?); remove it first"
    fi

    # Copy next to the old bundle, then swap, so a failed copy never leaves a half bundle.
    mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$APPS" "$METAINFO"
    rm -rf "$LIBDIR.new" "$LIBDIR.old"
    cp -a "$HERE/simdesk" "$LIBDIR.new"
    if [ -e "$LIBDIR" ]; then mv "$LIBDIR" "$LIBDIR.old"; fi
    mv "$LIBDIR.new" "$LIBDIR"
    rm -rf "$LIBDIR.old"
    ln -sfn "$LIBDIR/simdesk" "$BIN"

    # Menus run Exec without the user's shell PATH, so point it at the absolute path (quoted when
    # it has spaces; characters that would need desktop-entry escaping are refused above).
    local exec_path="$BIN" line
    case "$BIN" in *[[:space:]]*) exec_path="\"$BIN\"" ;; esac
    while IFS= read -r line; do
        case "$line" in
        Exec=simdesk | "Exec=simdesk "*) printf 'Exec=%s%s\n' "$exec_path" "${line#Exec=simdesk}" ;;
        TryExec=simdesk) printf 'TryExec=%s\n' "$BIN" ;;
        *) printf '%s\n' "$line" ;;
        esac
    done <"$HERE/share/applications/$APP_ID.desktop" >"$APPS/$APP_ID.desktop"
    cp "$HERE/share/metainfo/$APP_ID.metainfo.xml" "$METAINFO/"
    (cd "$HERE/share/icons/hicolor" && find . -type f -name "$APP_ID.*") | while read -r icon; do
        mkdir -p "$ICONS/$(dirname "$icon")"
        cp "$HERE/share/icons/hicolor/$icon" "$ICONS/$icon"
    done
    refresh_caches

    say "installed simdesk into $PREFIX"
    case ":${PATH:-}:" in
    *":$PREFIX/bin:"*) ;;
    *) say "note: $PREFIX/bin is not on your PATH; the menu entry works anyway, or run $BIN" ;;
    esac
}

"$ACTION"
