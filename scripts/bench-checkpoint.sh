#!/usr/bin/env bash
# Checkpoint and restore times, side by side in one run (run by scripts/bench.sh, or alone):
#   ours:  lxc-checkpoint -s, then lxc-checkpoint -r, of a busybox system container with its
#          console (pid 1's stdio; a new pty at each restore)
#   floor: criu dump / criu restore -d of the same container's tree by hand, with the options
#          lxc-checkpoint uses (what CRIU alone costs; the console handed over the same way)
#   LXC 5: its lxc-checkpoint -s / -r of an equivalent container (needs CRIU's network lock on
#          nftables, given through CRIU_CONFIG_FILE)
# Medians over CK_RUNS runs (default 5). Needs root and a working criu (scripts/install-criu.sh).
# Leaves nothing behind (a temporary lxcpath).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${CK_RUNS:-5}
BIN=${BIN:-$(scripts/build-release.sh)}
exec python3 - "$RUNS" "$BIN" "$PWD" <<'PY'
import glob, os, shutil, stat, statistics, subprocess, sys, tempfile, time

RUNS, BIN, TOP = int(sys.argv[1]), sys.argv[2], sys.argv[3]
CRIU = next((p for p in ("/usr/local/sbin/criu", "/usr/sbin/criu") if os.path.exists(p)), None)
if not CRIU:
    raise SystemExit("bench-checkpoint: no criu (scripts/install-criu.sh)")
WORK = tempfile.mkdtemp(prefix="lxcckbench.")
os.makedirs(f"{WORK}/sysconf")
os.environ["LXC_SYSCONF_DIR"] = f"{WORK}/sysconf"
ROOT = f"{WORK}/rootfs"
subprocess.run(["bash", f"{TOP}/scripts/mkrootfs.sh", ROOT], check=True, stdout=subprocess.DEVNULL)
OURS, LXC = f"{WORK}/ours", f"{WORK}/lxc"
name = f"ckbench{os.getpid()}"
for p in (OURS, LXC):
    os.makedirs(f"{p}/{name}")
open(f"{OURS}/{name}/config", "w").write(f"lxc.rootfs.path = {ROOT}\nlxc.signal.halt = SIGUSR1\n")
open(f"{LXC}/{name}/config", "w").write(
    f"lxc.rootfs.path = dir:{ROOT}\nlxc.signal.halt = SIGUSR1\nlxc.net.0.type = none\n"
    "lxc.tty.max = 0\nlxc.console.path = none\nlxc.mount.auto = proc:mixed sys:mixed\n")
# LXC 5 with CRIU 4.1.1 here: network locking through nftables (no iptables), and its restore
# only in CRIU's old mount-namespace mode.
dump_conf, restore_conf = f"{WORK}/criu-dump.conf", f"{WORK}/criu-restore.conf"
open(dump_conf, "w").write("network-lock nftables\n")
open(restore_conf, "w").write("network-lock nftables\nmntns-compat-mode\n")

def run(argv, env=None):
    # stderr to a file, not a pipe: a daemon the command leaves (LXC's restored container)
    # would hold a pipe open.
    with tempfile.TemporaryFile() as err:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=err, env=env, timeout=60)
        if r.returncode:
            err.seek(0)
            raise RuntimeError(" ".join(argv[:3]) + ": " + err.read().decode().strip()[-300:])

def timed(argv, env=None):
    t = time.perf_counter(); run(argv, env); return (time.perf_counter() - t) * 1000

ours = lambda cmd, *a: [f"{BIN}/lxc-{cmd}", "-n", name, "-P", OURS, *a]
theirs = lambda cmd, *a: [f"/usr/bin/lxc-{cmd}", "-n", name, "-P", LXC, *a]

def wait_service(ps_cmd):
    end = time.time() + 10
    while time.time() < end:
        out = subprocess.run(ps_cmd, capture_output=True).stdout.decode()
        if "service" in out: return
        time.sleep(0.05)
    raise RuntimeError("the container's service never ran")

def bench_ours():
    dumps, restores = [], []
    run(ours("start"))
    for i in range(RUNS):
        d = f"{WORK}/img-ours-{i}"
        time.sleep(0.3)
        dumps.append(timed(ours("checkpoint", "-D", d, "-s")))
        time.sleep(0.2)
        restores.append(timed(ours("checkpoint", "-r", "-D", d)))
    run(ours("stop", "-k"))
    return statistics.median(dumps), statistics.median(restores)

def bench_floor():
    # The same tree by hand: started by our lxc-start, dumped and restored by criu alone.
    dumps, restores, masters = [], [], []
    run(ours("start"))
    pid = subprocess.run(ours("info", "-pH"), capture_output=True).stdout.decode().strip()
    for i in range(RUNS):
        d = f"{WORK}/img-floor-{i}"; os.makedirs(d)
        time.sleep(0.3)
        cg = [l for l in open(f"/proc/{pid}/cgroup") if ":freezer:" in l]
        fr = ["--freeze-cgroup", "/sys/fs/cgroup/freezer" + cg[0].split(":", 2)[2].strip()] if cg else []
        st = os.stat(f"/proc/{pid}/fd/0")
        if stat.S_ISCHR(st.st_mode) and 136 <= os.major(st.st_rdev) < 144:
            # The console (pid 1's stdio): its master is the shim's. As lxc-checkpoint does: an
            # external tty, and its bind onto /dev/console an external mount.
            key = f"tty[{st.st_rdev:x}:{st.st_dev:x}]"
            ext = ["--external", key, "--external", "mnt[/dev/console]:console"]
        else:
            mnt = [l for l in open(f"/proc/{pid}/fdinfo/0") if l.startswith("mnt_id")][0].split()[1]
            key = f"file[{int(mnt):x}:{os.stat(f'/proc/{pid}/fd/0').st_ino:x}]"
            ext = ["--external", key]
        common = ["-v4", "--manage-cgroups=full", "--tcp-established", "--file-locks", "--network-lock", "nftables"]
        dumps.append(timed([CRIU, "dump", "-t", pid, "-D", d, "-o", "dump.log", *common, *fr, *ext]))
        # Our shim is left waiting for an init that CRIU killed: it ends by itself.
        end = time.time() + 5
        while os.path.exists(f"/proc/{pid}") and time.time() < end: time.sleep(0.01)
        time.sleep(0.2)
        t = time.perf_counter()
        if key.startswith("tty["):
            master, null = os.openpty()
            masters.append(master)
            more = ["--external", f"mnt[console]:{os.ttyname(null)}"]
        else:
            null, more = os.open("/dev/null", os.O_RDWR), []
        os.set_inheritable(null, True)
        sys.stderr.write("."); sys.stderr.flush()
        r = subprocess.run([CRIU, "restore", "-D", d, "-o", "restore.log", *common, "--root", ROOT,
                            "--restore-detached", "--restore-sibling", "--pidfile", f"{d}/pid",
                            "--inherit-fd", f"fd[{null}]:{key}", *more], pass_fds=(null,),
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=60)
        restores.append((time.perf_counter() - t) * 1000)
        os.close(null)
        if r.returncode: raise RuntimeError("criu restore: " + r.stderr.decode()[-300:])
        pid = open(f"{d}/pid").read().strip()
    # The restored init is our child (a sibling of CRIU), its parent-death signal ours.
    os.kill(int(pid), 9)
    try: os.waitpid(int(pid), 0)
    except ChildProcessError: pass
    for m in masters: os.close(m)
    return statistics.median(dumps), statistics.median(restores)

def bench_lxc():
    # LXC runs `criu` from PATH: the working one first.
    path = os.path.dirname(CRIU) + ":" + os.environ.get("PATH", "")
    denv = dict(os.environ, CRIU_CONFIG_FILE=dump_conf, PATH=path)
    renv = dict(os.environ, CRIU_CONFIG_FILE=restore_conf, PATH=path)
    dumps, restores = [], []
    run(theirs("start", "-d"))
    try:
        for i in range(RUNS):
            d = f"{WORK}/img-lxc-{i}"
            time.sleep(0.3)
            dumps.append(timed(theirs("checkpoint", "-D", d, "-s"), denv))
            time.sleep(0.2)
            restores.append(timed(theirs("checkpoint", "-r", "-D", d), renv))
    finally:
        subprocess.run(theirs("stop", "-k"), capture_output=True)
    return statistics.median(dumps), statistics.median(restores)

try:
    o = bench_ours()
    f = bench_floor()
    try:
        l = bench_lxc() if os.path.exists("/usr/bin/lxc-checkpoint") else None
        lerr = ""
    except RuntimeError as e:
        l, lerr = None, str(e).splitlines()[-1][:120]
    fmt = lambda v: f"{v:.1f}"
    print(f"\n### Checkpoint and restore (busybox system container, median of {RUNS}, ms)\n")
    print("| | ours | criu by hand (floor) | ours / floor | LXC 5 |")
    print("|---|---|---|---|---|")
    for i, what in enumerate(["checkpoint -s (dump, stop)", "restore"]):
        lx = fmt(l[i]) if l else f"n/a ({lerr})"
        print(f"| {what} | {fmt(o[i])} | {fmt(f[i])} | {o[i] / f[i]:.2f}x | {lx} |")
finally:
    for cmd in (ours("stop", "-k"), theirs("stop", "-k")):
        subprocess.run(cmd, capture_output=True)
    shutil.rmtree(WORK, ignore_errors=True)
    # criu restore --manage-cgroups=full (the floor) makes the container's cgroups again, which
    # no shim of ours then removes: every group of this bench's container goes, deepest first.
    for top in glob.glob("/sys/fs/cgroup/*/"):
        for here, dirs, _ in os.walk(top, topdown=False):
            if os.path.basename(here).startswith(f"{name}@"):
                for sub, _, _ in sorted(os.walk(here), key=lambda w: -len(w[0])):
                    try: os.rmdir(sub)
                    except OSError: pass
    for root in ("/var/run/lxc", "/var/run/lxc/lock"):
        shutil.rmtree(root + WORK, ignore_errors=True)
PY
