#!/usr/bin/env bash
# Removes exactly what scripts/install.sh installed: the files listed in
# $PREFIX/share/lxc-rs/installed-files (same PREFIX and DESTDIR as the install), then the
# directories of ours that are left empty. Nothing else is touched (an example config that
# existed before the install was not listed, and stays).
set -euo pipefail
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
manifest=$DESTDIR$PREFIX/share/lxc-rs/installed-files
if [ ! -f "$manifest" ]; then
    echo "uninstall.sh: $manifest not found: nothing installed with PREFIX=$PREFIX" >&2
    exit 1
fi
if [ -d /run/systemd/system ] && [ -z "$DESTDIR" ] && grep -q '/lxc-rs.service$' "$manifest"; then
    systemctl disable lxc-rs.service 2>/dev/null || true
fi
removed=0
while IFS= read -r f; do
    case $f in /*) ;; *) continue ;; esac
    if [ -e "$DESTDIR$f" ] || [ -L "$DESTDIR$f" ]; then
        rm -f -- "$DESTDIR$f"
        removed=$((removed + 1))
    fi
done <"$manifest"
for d in "$PREFIX/libexec/lxc-rs" "$PREFIX/share/lxc-rs"; do
    rmdir "$DESTDIR$d" 2>/dev/null || true
done
echo "removed $removed files installed under $PREFIX"
