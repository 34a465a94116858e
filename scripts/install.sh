#!/usr/bin/env bash
# Builds the release executables and installs them, with their man pages, bash completion,
# the systemd unit of lxc-autostart and the example configs. Every file it writes is listed in
# $PREFIX/share/lxc-rs/installed-files, which scripts/uninstall.sh reads to remove exactly those.
#   PREFIX      (default /usr/local): commands in PREFIX/bin, lxc-netsetup (internal, out of
#               PATH) in PREFIX/libexec/lxc-rs, man pages in PREFIX/share/man, completion in
#               PREFIX/share/bash-completion/completions, the unit in PREFIX/lib/systemd/system
#   SYSCONFDIR  (default /etc): the example configs go to SYSCONFDIR/lxc (an existing file of
#               the same name is kept, and not listed)
#   DESTDIR     (default empty): a staging root every path above is put under
#   BIN_DIR     executables already built (default: scripts/build-release.sh builds them)
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
SYSCONFDIR=${SYSCONFDIR:-/etc}
DESTDIR=${DESTDIR:-}
bin=${BIN_DIR:-$(scripts/build-release.sh)}
manifest_dir=$PREFIX/share/lxc-rs
manifest=$DESTDIR$manifest_dir/installed-files
listed=()
put() { # MODE SOURCE DIR [NAME]: install one file and list it
    local dest=$3/${4:-$(basename "$2")}
    install -d "$DESTDIR$3"
    install -m "$1" "$2" "$DESTDIR$dest"
    listed+=("$dest")
}
commands=()
for exe in "$bin"/lxc-*; do
    case $exe in *.d | */lxc-netsetup) continue ;; esac
    put 0755 "$exe" "$PREFIX/bin"
    commands+=("$(basename "$exe")")
done
# Internal: the shim runs it (it looks beside itself, then in ../libexec/lxc-rs).
put 0755 "$bin/lxc-netsetup" "$PREFIX/libexec/lxc-rs"
echo "installed to $PREFIX/bin: ${commands[*]}; lxc-netsetup to $PREFIX/libexec/lxc-rs"
# Man pages and completion, generated from the commands' own option tables and the README.
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
"$bin/gen-docs" man "$gen/man"
"$bin/gen-docs" completion "$gen/lxc-rs"
for page in "$gen"/man/man1/*.1; do put 0644 "$page" "$PREFIX/share/man/man1"; done
put 0644 "$gen/man/man5/lxc.container.conf.5" "$PREFIX/share/man/man5"
completions=$PREFIX/share/bash-completion/completions
put 0644 "$gen/lxc-rs" "$completions"
# bash-completion loads a command's completion by its name: one link per command.
for c in "${commands[@]}"; do
    ln -sfn lxc-rs "$DESTDIR$completions/$c"
    listed+=("$completions/$c")
done
echo "man pages in $PREFIX/share/man (before LXC 5's in man's search path), completion in $completions"
# The unit that runs lxc-autostart at boot and shutdown.
sed "s|@BINDIR@|$PREFIX/bin|g" scripts/lxc-rs.service >"$gen/lxc-rs.service"
put 0644 "$gen/lxc-rs.service" "$PREFIX/lib/systemd/system"
echo "systemd unit: $PREFIX/lib/systemd/system/lxc-rs.service (systemctl enable lxc-rs)"
# The example configs the spec's era shipped; an existing file of the same name is kept.
install -d "$DESTDIR$SYSCONFDIR/lxc"
for conf in config/*; do
    [ -e "$DESTDIR$SYSCONFDIR/lxc/$(basename "$conf")" ] || put 0644 "$conf" "$SYSCONFDIR/lxc"
done
echo "example configs in $SYSCONFDIR/lxc: $(cd config && ls | tr '\n' ' ')"
install -d "$DESTDIR$manifest_dir"
listed+=("$manifest_dir/installed-files")
printf '%s\n' "${listed[@]}" >"$manifest"
# LXC 5 beside us: same lxcpath, same names, two kinds of supervisor.
if [ -x /usr/bin/lxc-start ] && [ -x /usr/bin/lxc-config ]; then
    theirs=$(/usr/bin/lxc-config lxc.lxcpath 2>/dev/null || true)
    ours=$(LXC_SYSCONF_DIR="$DESTDIR$SYSCONFDIR/lxc" "$bin/lxc-config" lxc.lxcpath 2>/dev/null || true)
    if [ -n "$theirs" ] && [ "$theirs" = "$ours" ]; then
        echo "warning: LXC 5 is installed (/usr/bin/lxc-start) and uses the same lxcpath ($ours):" \
            "both see the same stored containers; a container one of them runs is left alone by the" \
            "other's commands; $PREFIX/bin comes first in PATH, /usr/bin/lxc-* still run LXC's" >&2
    fi
fi
