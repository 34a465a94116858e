#!/usr/bin/env bash
# Builds the release executables statically linked (static-pie glibc: an exec costs about a
# third less without the dynamic loader, and each container's shim and init carry no loader
# relocations) and prints the directory they are in.
set -euo pipefail
cd "$(dirname "$0")/.."
host=$(rustc -vV | sed -n 's/^host: //p')
# With an explicit --target the flags apply to our executables only, not to proc-macros.
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
    cargo build --release --target "$host" --workspace --bins >&2
echo "$PWD/target/$host/release"
