#!/usr/bin/env bash
# Builds the release executables and installs them to $PREFIX/bin (default /usr/local/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
cargo build --release --workspace --bins
install -d "$PREFIX/bin"
for exe in target/release/lxc-*; do
    case $exe in *.d) continue ;; esac
    install -m 0755 "$exe" "$PREFIX/bin/"
done
echo "installed: $(cd target/release && ls lxc-* | grep -v '\.d$' | tr '\n' ' ')to $PREFIX/bin"
