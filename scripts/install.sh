#!/usr/bin/env bash
# Builds the release executables and installs them to $PREFIX/bin (default /usr/local/bin),
# and the example configs to /etc/lxc.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
bin=$(scripts/build-release.sh)
install -d "$PREFIX/bin"
installed=()
for exe in "$bin"/lxc-*; do
    case $exe in *.d) continue ;; esac
    install -m 0755 "$exe" "$PREFIX/bin/"
    installed+=("$(basename "$exe")")
done
echo "installed to $PREFIX/bin: ${installed[*]}"
# The example configs the spec's era shipped; an existing file of the same name is kept.
install -d /etc/lxc
for conf in config/*; do
    [ -e "/etc/lxc/$(basename "$conf")" ] || install -m 0644 "$conf" /etc/lxc/
done
echo "example configs in /etc/lxc: $(cd config && ls | tr '\n' ' ')"
