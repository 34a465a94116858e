#!/usr/bin/env bash
# scripts/mkrootfs.sh DIR: a busybox root filesystem for system containers (lxc-start), from
# Debian's busybox-static. /sbin/init is busybox init; its inittab runs /etc/init.d/rcS once
# and keeps /etc/init.d/service (a shell script) running; SIGUSR1 halts it, SIGUSR2 powers it
# off, SIGTERM reboots, and so does SIGINT (ctrl-alt-del, LXC's lxc.signal.reboot) (set
# lxc.signal.halt = SIGUSR1 for lxc-stop).
set -euo pipefail
dir=${1:?usage: scripts/mkrootfs.sh DIR}
busybox=${BUSYBOX:-/bin/busybox}
if [ ! -x "$busybox" ]; then
    echo "mkrootfs.sh: $busybox is missing: apt-get install busybox-static" >&2
    exit 1
fi
if ! "$busybox" --list >/dev/null 2>&1 || LC_ALL=C file -L "$busybox" 2>/dev/null | grep -q 'dynamically linked'; then
    echo "mkrootfs.sh: $busybox is not a static busybox: apt-get install busybox-static" >&2
    exit 1
fi
mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin etc/init.d proc sys dev tmp root run var/log usr/bin usr/sbin
chmod 1777 tmp
cp "$busybox" bin/busybox
for applet in $(bin/busybox --list); do
    [ -e "bin/$applet" ] || ln -s busybox "bin/$applet"
done
ln -sf ../bin/busybox sbin/init
cat > etc/inittab <<'INITTAB'
::sysinit:/etc/init.d/rcS
::respawn:/etc/init.d/service
::ctrlaltdel:/bin/reboot
::shutdown:/bin/sh -c 'echo "$(date +%s) halting" >> /var/log/boot.log'
INITTAB
cat > etc/init.d/rcS <<'RCS'
#!/bin/sh
echo "$(date +%s) booted as $(hostname), pid $$" >> /var/log/boot.log
RCS
cat > etc/init.d/service <<'SERVICE'
#!/bin/sh
# The container's one service: a heartbeat every second.
while :; do
    date +%s > /run/heartbeat
    sleep 1
done
SERVICE
chmod 0755 etc/init.d/rcS etc/init.d/service
echo 'root:x:0:0:root:/root:/bin/sh' > etc/passwd
echo 'root:x:0:' > etc/group
echo "mkrootfs.sh: busybox root filesystem in $dir"
