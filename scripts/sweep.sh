#!/usr/bin/env bash
# Removes what interrupted test runs left: shims of containers named lxct-* (killed by the pid
# their run directory records, only if that pid is such a shim), their run directories and
# cgroups, and their temporary lxcpaths.
set -euo pipefail
for rd in /var/run/lxc/lxct-*/; do
    [ -d "$rd" ] || continue
    name=$(basename "$rd")
    pid=$(sed -n 's/.*"shim_pid":\([0-9]*\).*/\1/p' "$rd/state.json" 2>/dev/null || true)
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = lxc-shim ] \
        && ls -l "/proc/$pid/fd" 2>/dev/null | grep -q "/run/lxc/$name/"; then
        kill -9 "$pid" || true
    fi
done
sleep 0.2
for rd in /var/run/lxc/lxct-*/; do
    [ -d "$rd" ] || continue
    name=$(basename "$rd")
    # A look at the state removes a dead shim's run directory and cgroups.
    "$(dirname "$0")/../target/debug/lxc-state" -n "$name" >/dev/null 2>&1 || true
done
find /sys/fs/cgroup -depth -type d -path '*/lxc/lxct-*' -exec rmdir {} \; 2>/dev/null || true
for d in "${TMPDIR:-/tmp}"/lxct-*.lxcpath; do
    [ -e "$d/.lxct-marker" ] && rm -rf "$d"
done
exit 0
