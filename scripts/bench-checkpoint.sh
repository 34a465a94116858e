#!/usr/bin/env bash
# Checkpoint and restore times, side by side in one run (run by scripts/bench.sh, or alone):
#   ours:  lxc-checkpoint -s, then lxc-checkpoint -r, of a busybox system container with its
#          console (pid 1's stdio; a new pty at each restore)
#   floor: criu dump / criu restore -d of the same container's tree by hand, with the options
#          lxc-checkpoint uses (what CRIU alone costs; the console handed over the same way)
#   LXC 5: its lxc-checkpoint -s / -r of an equivalent container (needs CRIU's network lock on
#          nftables, given through CRIU_CONFIG_FILE)
# Medians over CK_RUNS rounds (default 5), each round one dump and one restore of each of the
# three in turn, and the spread of ours / floor over the rounds. Needs root and a working criu
# (scripts/install-criu.sh). Leaves nothing behind (a temporary lxcpath).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${CK_RUNS:-5}
BIN=${BIN:-$(scripts/build-release.sh)}
exec python3 - "$RUNS" "$BIN" "$PWD" <<'PY'
import glob, os, shutil, stat, statistics, subprocess, sys, tempfile, threading, time

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
name, fname = f"ckbench{os.getpid()}", f"ckfloor{os.getpid()}"
for p in (f"{OURS}/{name}", f"{OURS}/{fname}", f"{LXC}/{name}"):
    os.makedirs(p)
for n in (name, fname):
    open(f"{OURS}/{n}/config", "w").write(f"lxc.rootfs.path = {ROOT}\nlxc.signal.halt = SIGUSR1\n")
open(f"{LXC}/{name}/config", "w").write(
    f"lxc.rootfs.path = dir:{ROOT}\nlxc.signal.halt = SIGUSR1\nlxc.net.0.type = none\n"
    "lxc.tty.max = 0\nlxc.console.path = none\nlxc.mount.auto = proc:mixed sys:mixed\n")
# LXC 5 with CRIU 4.1.1 here: network locking through nftables (no iptables), and its restore
# only in CRIU's old mount-namespace mode.
dump_conf, restore_conf = f"{WORK}/criu-dump.conf", f"{WORK}/criu-restore.conf"
open(dump_conf, "w").write("network-lock nftables\n")
open(restore_conf, "w").write("network-lock nftables\nmntns-compat-mode\n")

def run(argv, env=None, pass_fds=()):
    # stderr to a file, not a pipe: a daemon the command leaves (LXC's restored container)
    # would hold a pipe open. A blocking wait (waitpid), with a timer for the deadline: the
    # timeout of subprocess.run polls with sleeps that grow to 50 ms, which rounds every time
    # up to its next poll (a 70 ms command measured 114).
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=err, env=env, pass_fds=pass_fds)
        killer = threading.Timer(60, p.kill)
        killer.start()
        try:
            code = p.wait()
        finally:
            killer.cancel()
        if code:
            err.seek(0)
            raise RuntimeError(" ".join(argv[:3]) + ": " + err.read().decode().strip()[-300:])

def timed(argv, env=None, pass_fds=()):
    t = time.perf_counter(); run(argv, env, pass_fds); return (time.perf_counter() - t) * 1000

ours = lambda cmd, *a: [f"{BIN}/lxc-{cmd}", "-n", name, "-P", OURS, *a]
floor = lambda cmd, *a: [f"{BIN}/lxc-{cmd}", "-n", fname, "-P", OURS, *a]
theirs = lambda cmd, *a: [f"/usr/bin/lxc-{cmd}", "-n", name, "-P", LXC, *a]

def wait_service(ps_cmd):
    end = time.time() + 10
    while time.time() < end:
        out = subprocess.run(ps_cmd, capture_output=True).stdout.decode()
        if "service" in out: return
        time.sleep(0.05)
    raise RuntimeError("the container's service never ran")

# The three take turns within each round (ours, the floor, LXC's), so that a change of the
# machine's load (other builds) or of the kernel's grace periods, which CRIU waits for many
# times, falls on all three alike.
def ours_round(i, dumps, restores):
    d = f"{WORK}/img-ours-{i}"
    time.sleep(0.3)
    dumps.append(timed(ours("checkpoint", "-D", d, "-s")))
    time.sleep(0.2)
    restores.append(timed(ours("checkpoint", "-r", "-D", d)))

# The floor's console masters: kept open while the restored trees run.
MASTERS = []

def floor_round(i, pid, dumps, restores):
    # The same tree by hand: started by our lxc-start, dumped and restored by criu alone.
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
        key = f"file[{int(mnt):x}:{st.st_ino:x}]"
        ext = ["--external", key]
    common = ["-v4", "--manage-cgroups=full", "--tcp-established", "--file-locks", "--network-lock", "nftables"]
    dumps.append(timed([CRIU, "dump", "-t", pid, "-D", d, "-o", "dump.log", *common, *fr, *ext]))
    # Our shim is left waiting for an init that CRIU killed: it ends by itself.
    end = time.time() + 5
    while os.path.exists(f"/proc/{pid}") and time.time() < end: time.sleep(0.01)
    time.sleep(0.2)
    t = time.perf_counter()
    if key.startswith("tty["):
        # A new pty as the console, made within the timed part as lxc-checkpoint -r makes it.
        master, null = os.openpty()
        MASTERS.append(master)
        more = ["--external", f"mnt[console]:{os.ttyname(null)}"]
    else:
        null, more = os.open("/dev/null", os.O_RDWR), []
    os.set_inheritable(null, True)
    sys.stderr.write("."); sys.stderr.flush()
    run([CRIU, "restore", "-D", d, "-o", "restore.log", *common, "--root", ROOT,
         "--restore-detached", "--restore-sibling", "--pidfile", f"{d}/pid",
         "--inherit-fd", f"fd[{null}]:{key}", *more], pass_fds=(null,))
    restores.append((time.perf_counter() - t) * 1000)
    os.close(null)
    return open(f"{d}/pid").read().strip()

def lxc_round(i, dumps, restores):
    # LXC runs `criu` from PATH: the working one first.
    path = os.path.dirname(CRIU) + ":" + os.environ.get("PATH", "")
    denv = dict(os.environ, CRIU_CONFIG_FILE=dump_conf, PATH=path)
    renv = dict(os.environ, CRIU_CONFIG_FILE=restore_conf, PATH=path)
    d = f"{WORK}/img-lxc-{i}"
    time.sleep(0.3)
    dumps.append(timed(theirs("checkpoint", "-D", d, "-s"), denv))
    time.sleep(0.2)
    restores.append(timed(theirs("checkpoint", "-r", "-D", d), renv))

def bench():
    o, f, l = ([], []), ([], []), ([], [])
    lerr = "" if os.path.exists("/usr/bin/lxc-checkpoint") else "no /usr/bin/lxc-checkpoint"
    run(ours("start"))
    run(floor("start"))
    pid = subprocess.run(floor("info", "-pH"), capture_output=True).stdout.decode().strip()
    if not lerr:
        run(theirs("start", "-d"))
    try:
        for i in range(RUNS):
            ours_round(i, *o)
            pid = floor_round(i, pid, *f)
            if not lerr:
                try:
                    lxc_round(i, *l)
                except RuntimeError as e:
                    lerr = str(e).splitlines()[-1][:120]
    finally:
        # The floor's restored init is our child (a sibling of CRIU), its parent-death signal ours.
        try:
            os.kill(int(pid), 9); os.waitpid(int(pid), 0)
        except (ProcessLookupError, ChildProcessError, ValueError):
            pass
    med = lambda v: (statistics.median(v[0]), statistics.median(v[1]), v)
    return med(o), med(f), (None if lerr else med(l)), lerr

try:
    o, f, l, lerr = bench()
    fmt = lambda v: f"{v:.1f}"
    print(f"\n### Checkpoint and restore (busybox system container, median of {RUNS}, ms)\n")
    print("| | ours | criu by hand (floor) | ours / floor | LXC 5 |")
    print("|---|---|---|---|---|")
    for i, what in enumerate(["checkpoint -s (dump, stop)", "restore"]):
        lx = fmt(l[i]) if l else f"n/a ({lerr})"
        print(f"| {what} | {fmt(o[i])} | {fmt(f[i])} | {o[i] / f[i]:.2f}x | {lx} |")
    # The noise: ours / floor within each round (the two ran one after the other).
    for i, what in enumerate(["checkpoint -s", "restore"]):
        r = sorted(a / b for a, b in zip(o[2][i], f[2][i]))
        print(f"\n{what}, ours / floor per round: median {statistics.median(r):.2f}x, "
              f"from {r[0]:.2f}x to {r[-1]:.2f}x", end="")
    print()
finally:
    for cmd in (ours("stop", "-k"), floor("stop", "-k"), theirs("stop", "-k")):
        subprocess.run(cmd, capture_output=True)
    shutil.rmtree(WORK, ignore_errors=True)
    # criu restore --manage-cgroups=full (the floor) makes the container's cgroups again, which
    # no shim of ours then removes: every group of this bench's container goes, deepest first.
    for top in glob.glob("/sys/fs/cgroup/*/"):
        for here, dirs, _ in os.walk(top, topdown=False):
            if os.path.basename(here).startswith((f"{name}@", f"{fname}@")):
                for sub, _, _ in sorted(os.walk(here), key=lambda w: -len(w[0])):
                    try: os.rmdir(sub)
                    except OSError: pass
    for root in ("/var/run/lxc", "/var/run/lxc/lock"):
        shutil.rmtree(root + WORK, ignore_errors=True)
PY
