#!/usr/bin/env bash
# Installs a CRIU that works on this kernel, for lxc-checkpoint and its tests.
#
# Debian 12's criu (3.17) fails `criu check` on recent kernels (the vDSO's layout: "Unexpected rt
# vDSO area bounds"), and Debian 13's binary package needs a newer glibc. So: if no criu on PATH
# passes `criu check`, this fetches the criu source package of Debian 13 (trixie) through apt with
# a private apt configuration (the host's sources are not touched), installs the build
# dependencies from the host's own release, builds the criu binary and installs it as
# /usr/local/sbin/criu. Idempotent: a criu that already passes `criu check` is kept.
#
# Usage: scripts/install-criu.sh [--force]   (--force: build even if a working criu is present)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
VERSION=4.1.1
DEBIAN_VERSION=4.1.1-1   # trixie's source package
PREFIX=/usr/local/sbin
force=0
[ "${1:-}" = --force ] && force=1

works() { command -v criu >/dev/null && criu check >/dev/null 2>&1; }
if [ $force = 0 ] && works; then
    echo "criu: $(criu --version | head -1) passes 'criu check': kept"
    exit 0
fi
# A build of ours left from an earlier run (PATH may lack /usr/local/sbin).
if [ $force = 0 ] && [ -x $PREFIX/criu ] && $PREFIX/criu check >/dev/null 2>&1; then
    echo "criu: $PREFIX/criu passes 'criu check': kept"
    exit 0
fi

deps=(build-essential pkg-config python3 libbsd-dev libcap-dev libgnutls28-dev libnet1-dev
      libnftables-dev libnl-3-dev libprotobuf-c-dev libprotobuf-dev protobuf-c-compiler
      protobuf-compiler uuid-dev xz-utils nftables)
missing=()
for p in "${deps[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

work=$(mktemp -d /tmp/criu-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
# A private apt root that knows only trixie's sources (keys: the host's Debian archive keyring).
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/src"
cat >"$work/apt/sources.list" <<SRC
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
SRC
aptopts=(-o "Dir::Etc::sourcelist=$work/apt/sources.list" -o "Dir::Etc::sourceparts=-"
         -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
         -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root" -o "APT::Get::List-Cleanup=0")
apt-get "${aptopts[@]}" update -qq
# Only the upstream tarball is needed (the build is upstream's own Makefile); apt names its
# address and checksum, apt's helper fetches it and checks it.
line=$(apt-get "${aptopts[@]}" source --print-uris "criu=$DEBIAN_VERSION" | grep "criu_$VERSION.orig.tar")
uri=$(echo "$line" | awk '{print $1}' | tr -d "'")
file=$(echo "$line" | awk '{print $2}')
sum=$(echo "$line" | awk '{print $4}')
orig="$work/src/$file"
/usr/lib/apt/apt-helper download-file "$uri" "$orig" "$sum" >/dev/null
tar -xf "$orig" -C "$work/src"
cd "$work/src/criu-$VERSION"
make -j"$(nproc)" criu >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
install -D -m 0755 criu/criu "$PREFIX/criu"
"$PREFIX/criu" check
echo "criu: installed $("$PREFIX/criu" --version | head -1) as $PREFIX/criu"
