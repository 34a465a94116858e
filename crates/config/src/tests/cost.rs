//! What a parse costs (it is on every container start): printed, not asserted, as the
//! machine's load decides the numbers. Meaningful in a release build:
//! `cargo test --release -p lxc-config parse_cost -- --nocapture`.

use std::hint::black_box;
use std::time::Instant;

use super::*;

/// A config of 100 lines as a distribution's template makes them: comments, the keys we
/// build, two interfaces in each spelling, limits, cgroups, capabilities, hooks.
const TYPICAL: &str = "\
# Template used to create this container: /usr/share/lxc/templates/lxc-download
# Parameters passed to the template: --dist debian --release bookworm --arch amd64

# Distribution configuration
lxc.arch = linux64
lxc.uts.name = web1
lxc.rootfs.path = dir:/var/lib/lxc/web1/rootfs
lxc.rootfs.options = ro

# Mounts
lxc.mount.auto = proc:mixed sys:ro cgroup:mixed
lxc.mount.entry = /srv/data srv/data none bind,create=dir 0 0
lxc.mount.entry = /srv/logs var/log/app none bind,create=dir,optional 0 0
lxc.mount.entry = tmpfs tmp tmpfs size=64m,mode=1777,nosuid,nodev 0 0
lxc.mount.entry = /dev/fuse dev/fuse none bind,create=file,optional 0 0
lxc.autodev = 1
lxc.autodev.tmpfs.size = 500000

# Signals and console
lxc.signal.halt = SIGPWR
lxc.signal.stop = SIGKILL
lxc.signal.reboot = SIGINT
lxc.console.path = none
lxc.tty.max = 4
lxc.pty.max = 1024

# Network: a veth on the bridge, a macvlan
lxc.net.0.type = veth
lxc.net.0.link = lxcbr0
lxc.net.0.flags = up
lxc.net.0.hwaddr = 00:16:3e:12:34:56
lxc.net.0.name = eth0
lxc.net.0.mtu = 1500
lxc.net.0.ipv4.address = 10.0.3.10/24
lxc.net.0.ipv4.gateway = 10.0.3.1
lxc.net.0.ipv6.address = fd00::10/64
lxc.net.0.ipv6.gateway = fd00::1
lxc.net.0.veth.pair = vethweb1
lxc.net.1.type = macvlan
lxc.net.1.macvlan.mode = bridge
lxc.net.1.link = eth1
lxc.net.1.flags = up
lxc.net.1.name = eth1
lxc.net.1.ipv4.address = 198.51.100.20/24

# Older spellings still found in configs
lxc.network.type = veth
lxc.network.link = br1
lxc.network.flags = up
lxc.network.ipv4 = 192.0.2.20/24
lxc.haltsignal = SIGPWR
lxc.utsname = web1

# Limits
lxc.prlimit.nofile = 1024:4096
lxc.prlimit.nproc = 512
lxc.limit.core = 0
lxc.cgroup2.memory.max = 512M
lxc.cgroup2.memory.high = 480M
lxc.cgroup2.pids.max = 256
lxc.cgroup2.cpu.max = 50000 100000
lxc.cgroup.memory.limit_in_bytes = 512M
lxc.cgroup.cpu.shares = 512
lxc.cgroup.devices.allow = c 1:3 rwm
lxc.cgroup.devices.allow = c 1:5 rwm
lxc.cgroup.devices.allow = c 5:0 rwm
lxc.sysctl.net.ipv4.ip_forward = 1
lxc.proc.oom_score_adj = 10

# Security
lxc.idmap = u 0 100000 65536
lxc.idmap = g 0 100000 65536
lxc.cap.drop = sys_module mac_admin mac_override sys_time
lxc.cap.drop = sys_rawio
lxc.apparmor.profile = generated
lxc.apparmor.allow_nesting = 0
lxc.seccomp.profile = /usr/share/lxc/config/common.seccomp
lxc.no_new_privs = 1
lxc.namespace.keep = user net

# Start-up
lxc.start.auto = 1
lxc.start.delay = 5
lxc.start.order = 10
lxc.group = onboot
lxc.init.cmd = /sbin/init
lxc.init.cwd = /
lxc.environment = TERM=xterm
lxc.environment = LANG=C.UTF-8
lxc.hook.pre-start = /usr/share/lxc/hooks/pre-start
lxc.hook.post-stop = /usr/share/lxc/hooks/post-stop
lxc.log.level = WARN
lxc.log.file = /var/log/lxc/web1.log
lxc.ephemeral = 0
lxc.monitor.unshare = 0
lxc.sched.core = 0
lxc.keyring.session = 1
lxc.seccomp.allow_nesting = 0

# end
";

#[test]
fn parse_cost() {
    assert_eq!(TYPICAL.lines().count(), 100);
    // Unoptimized, one parse is slow enough for 100 to say what is needed.
    let runs: u32 = if cfg!(debug_assertions) { 100 } else { 10_000 };
    let start = Instant::now();
    for _ in 0..runs {
        black_box(parse_str(black_box(TYPICAL), "typical.conf").unwrap());
    }
    let parse = start.elapsed() / runs;
    // Every key of `MODERN` is built, so the check goes through all of them.
    let modern = parse_str(MODERN, "modern.conf").unwrap();
    assert!(modern.check_supported().is_ok());
    let start = Instant::now();
    for _ in 0..runs {
        black_box(black_box(&modern).check_supported().is_ok());
    }
    let check = start.elapsed() / runs;
    // Each of them makes the key table once.
    let start = Instant::now();
    for _ in 0..runs {
        black_box(crate::table::Table::new());
    }
    let table = start.elapsed() / runs;
    println!(
        "parse_str of a 100-line config: {parse:?}; check_supported of MODERN's {} entries: \
         {check:?}; making the key table: {table:?} (means of {runs})",
        modern.entries.len()
    );
}
