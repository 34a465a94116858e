#!/usr/bin/env bash
# Builds the release executables and installs them to $PREFIX/bin (default /usr/local/bin).
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
