#!/usr/bin/env bash
# Start time and memory, measured in one run and printed as a markdown table: medians over
# RUNS runs (default 50) of
#   - our lxc-execute of /bin/true, end to end (release build)
#   - the floor: unshare --pid --fork --mount --uts --ipc /bin/true
#   - LXC's own lxc-execute on an equivalent config, when /usr/bin/lxc-execute exists
# and the memory of a running container's shim and init (VmRSS, Pss from smaps_rollup), next to
# LXC's monitor process. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-50}
cargo build --release --workspace --bins >&2
BIN=$PWD/target/release
WORK=$(mktemp -d /tmp/lxcbench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
NAME=bench-$$

cat > "$WORK/lxc.conf" <<CONF
lxc.uts.name = $NAME
lxc.mount.auto = proc:mixed
lxc.console.path = none
lxc.net.0.type = none
CONF

python3 - "$RUNS" "$BIN" "$WORK" "$NAME" <<'PY'
import os, statistics, subprocess, sys, time
runs, bin_dir, work, name = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
lxc = "/usr/bin/lxc-execute"

def median_ms(argv):
    for _ in range(3):  # warm-up
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)

def mem(pid):
    rss = pss = 0
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    for line in open(f"/proc/{pid}/smaps_rollup"):
        if line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss

ours = [f"{bin_dir}/lxc-execute", "-n", name, "-P", work, "--", "/bin/true"]
floor = ["unshare", "--pid", "--fork", "--mount", "--uts", "--ipc", "/bin/true"]
rows = [("lxc-execute -- /bin/true (ours)", median_ms(ours)),
        ("unshare --pid --fork --mount --uts --ipc /bin/true (floor)", median_ms(floor))]
have_lxc = os.path.exists(lxc)
if have_lxc:
    rows.append((f"LXC {subprocess.run([lxc, '--version'], capture_output=True, text=True).stdout.strip()} lxc-execute -- /bin/true",
                 median_ms([lxc, "-n", name + "-lxc", "-P", work, "-f", f"{work}/lxc.conf", "--", "/bin/true"])))
floor_ms = rows[1][1]
print(f"Start time, median of {runs} runs (one machine, one run):\n")
print("| command | median ms | × floor |")
print("|---|---:|---:|")
for label, ms in rows:
    print(f"| {label} | {ms:.2f} | {ms / floor_ms:.2f} |")

# Memory of a running container.
subprocess.run([f"{bin_dir}/lxc-execute", "-n", name, "-P", work, "-d", "--", "sleep", "30"], check=True)
info = subprocess.run([f"{bin_dir}/lxc-info", "-n", name, "-P", work, "--json"], capture_output=True, text=True, check=True)
import json
info = json.loads(info.stdout)
time.sleep(0.2)
shim, init = mem(info["shim_pid"]), mem(info["pid"])
print("\nMemory while a container runs `sleep 30`:\n")
print("| process | VmRSS kB | Pss kB |")
print("|---|---:|---:|")
print(f"| our shim | {shim[0]} | {shim[1]} |")
print(f"| our init (pid 1 of the container) | {init[0]} | {init[1]} |")
subprocess.run([f"{bin_dir}/lxc-destroy", "-n", name, "-P", work, "-f"], capture_output=True)
# lxc-destroy refuses an uncreated container: stop it through its socket instead.
import socket
s = socket.socket(socket.AF_UNIX)
s.connect(f"/var/run/lxc/{name}/control.sock")
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"stop","params":{"kill":true}}\n')
s.makefile().readline()
s.close()
if have_lxc:
    p = subprocess.Popen([lxc, "-n", name + "-lxc", "-P", work, "-f", f"{work}/lxc.conf", "--", "sleep", "30"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    monitor = None
    for _ in range(50):
        out = subprocess.run(["pgrep", "-f", f"lxc monitor.*{name}-lxc"], capture_output=True, text=True).stdout.split()
        if out:
            monitor = int(out[0])
            break
        time.sleep(0.02)
    time.sleep(0.2)
    # A foreground LXC lxc-execute is its own monitor; a daemonized one forks "[lxc monitor]".
    label = "LXC's monitor process"
    if not monitor:
        monitor, label = p.pid, "LXC's lxc-execute (its monitor)"
    m = mem(monitor)
    print(f"| {label} | {m[0]} | {m[1]} |")
    subprocess.run(["/usr/bin/lxc-stop", "-n", name + "-lxc", "-P", work, "-k"], capture_output=True)
    p.wait()
PY
