#!/usr/bin/env bash
# The whole test suite, as CI runs it (as root): formatting, lints, unit tests and the root
# integration tests, which drive the freshly built lxc-* executables in target/debug.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
    echo "scripts/test.sh: the integration tests need root (real namespaces and cgroups)" >&2
    exit 1
fi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps --workspace --quiet
python3 scripts/import-cycles.py
cargo build --workspace --bins
cargo test --workspace
