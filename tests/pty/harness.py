#!/usr/bin/env python3
"""Interactive scenarios of issue 12 through a real pseudo-terminal (tests/tests/terminals.rs
runs them): python3 harness.py SCENARIO BIN_DIR NAME LXCPATH [ROOTFS]. Each scenario exits 0
when it passed, or prints what it expected and what it got and exits 1. The Rust side owns the
container's name and lxcpath and removes everything they left."""
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time

SCENARIO, BIN, NAME, LXCPATH = sys.argv[1:5]
ROOTFS = sys.argv[5] if len(sys.argv) > 5 else None


def cmd(tool, *args):
    return [os.path.join(BIN, "lxc-" + tool), "-n", NAME, "-P", LXCPATH, *args]


class Term:
    """A command on a pty of ours: we hold the master and a copy of its slave (to look at the
    terminal's mode after the command is gone)."""

    def __init__(self, argv, rows=24, cols=80):
        self.master, self.slave = os.openpty()
        self.resize(rows, cols)
        self.proc = subprocess.Popen(
            argv, stdin=self.slave, stdout=self.slave, stderr=self.slave,
            start_new_session=True, preexec_fn=self._ctty)
        self.buf = b""

    def _ctty(self):
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    def resize(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def send(self, data):
        os.write(self.master, data)

    def expect(self, pattern, timeout=15):
        """Reads until `pattern` (bytes) shows up after what the last expect matched."""
        end = time.time() + timeout
        while time.time() < end:
            at = self.buf.find(pattern)
            if at >= 0:
                got = self.buf[: at + len(pattern)]
                self.buf = self.buf[at + len(pattern):]
                return got
            r, _, _ = select.select([self.master], [], [], 0.1)
            if not r:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            if not data:
                break
            self.buf += data
        if pattern in self.buf:
            return self.expect(pattern, 0)
        fail(f"expected {pattern!r} on the terminal, got {self.buf[-600:]!r}")

    def wait(self, timeout=20):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail(f"{self.proc.args[0]} did not end")

    def mode(self):
        return termios.tcgetattr(self.slave)


def fail(why):
    print(f"{SCENARIO}: {why}", flush=True)
    sys.exit(1)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, timeout=30, **kw)


def cooked(mode):
    lflag = mode[3]
    return bool(lflag & termios.ECHO) and bool(lflag & termios.ICANON)


def shell_prompt(t):
    t.expect(b"# ")
    t.send(b"PS1='RE''ADY> '\r")
    t.expect(b"READY> ")


def execute_job_control():
    t = Term(cmd("execute", "--", "/bin/bash", "--norc", "--noprofile", "-i"), 24, 80)
    before = t.mode()
    shell_prompt(t)
    # Its own terminal from the container's devpts, with job control.
    t.send(b"tty; stty size; case $- in *m*) echo job''control;; esac\r")
    t.expect(b"24 80")
    t.expect(b"jobcontrol")
    t.send(b"sleep 100\r")
    time.sleep(0.5)
    t.send(b"\x1a")  # Ctrl-Z suspends the job inside, not lxc-execute
    t.expect(b"Stopped")
    if t.proc.poll() is not None:
        fail("lxc-execute ended on Ctrl-Z")
    t.send(b"jobs -s | wc -l; fg\r")
    t.expect(b"sleep 100")
    time.sleep(0.3)
    t.send(b"\x03")  # Ctrl-C reaches the foreground job
    t.expect(b"READY> ")
    t.send(b"sleep 50 & echo bg-$((40+2))\r")
    t.expect(b"bg-42")
    t.resize(40, 100)
    os.kill(t.proc.pid, signal.SIGWINCH)
    time.sleep(0.5)
    t.send(b"stty size\r")
    t.expect(b"40 100")
    t.send(b"exit 7\r")
    code = t.wait()
    if code != 7:
        fail(f"lxc-execute exited {code}, not 7")
    if t.mode() != before:
        fail("the terminal's mode was not restored")


def execute_kill9():
    t = Term(cmd("execute", "--", "/bin/bash", "--norc", "--noprofile", "-i"))
    before = t.mode()
    shell_prompt(t)
    if cooked(t.mode()):
        fail("the terminal is not in raw mode while attached")
    t.proc.kill()
    t.wait()
    end = time.time() + 5
    while time.time() < end and t.mode() != before:
        time.sleep(0.05)
    if t.mode() != before:
        fail("the terminal was not restored after kill -9 of lxc-execute")
    # The container's terminal lives on in the shim: take it back.
    c = Term(cmd("console"))
    c.expect(b"Connected to tty 0")
    c.send(b"echo back-$((1+1))\r")
    c.expect(b"back-2")
    c.send(b"exit 0\r")
    c.wait()


def console():
    if ROOTFS is None:
        fail("needs a rootfs")
    conf = os.path.join(LXCPATH, "console.conf")
    log = os.path.join(LXCPATH, "console.log")
    with open(os.path.join(ROOTFS, "etc/inittab"), "w") as f:
        f.write("::sysinit:/bin/sh -c 'echo booted-console'\n"
                "::respawn:-/bin/sh\n"
                "tty1::respawn:/bin/sh -c 'echo on-tty1; exec /bin/sh'\n")
    with open(conf, "w") as f:
        f.write(f"lxc.rootfs.path = {ROOTFS}\nlxc.tty.max = 1\nlxc.console.logfile = {log}\n")
    r = run(cmd("start", "-f", conf))
    if r.returncode != 0:
        fail(f"lxc-start: {r.stderr!r}")
    a = Term(cmd("console"))
    a.expect(b"booted-console")  # printed before anyone was attached: the ring
    a.send(b"\r")
    a.expect(b"# ")
    a.send(b"tty; echo one-$((1+1))\r")
    a.expect(b"one-2")
    # A second client sees the same output.
    b = Term(cmd("console", "-e", "^b"))
    b.expect(b"Connected")
    a.send(b"echo both-$((2+1))\r")
    a.expect(b"both-3")
    b.expect(b"both-3")
    b.send(b"\x02q")
    if b.wait() != 0:
        fail("lxc-console -e ^b did not detach with Ctrl-b q")
    # Ctrl-a Ctrl-a sends one Ctrl-a.
    a.send(b"cat -v\r")
    time.sleep(0.3)
    a.send(b"x\x01\x01y\r")
    a.expect(b"x^Ay")
    a.send(b"\x04")
    a.send(b"\x01q")
    if a.wait() != 0:
        fail("lxc-console did not detach with Ctrl-a q")
    # Output while nobody is attached is kept and shown on re-attach.
    r = run(cmd("attach", "--", "sh", "-c", "echo while-away-$((3+4)) > /dev/console"),
            stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        fail(f"lxc-attach: {r.returncode} {r.stderr!r}")
    c = Term(cmd("console"))
    c.expect(b"while-away-7")
    c.send(b"\x01q")
    c.wait()
    # tty1 has its own shell.
    d = Term(cmd("console", "-t", "1"))
    d.expect(b"on-tty1")
    d.send(b"\x01q")
    d.wait()
    with open(log, "rb") as f:
        if b"both-3" not in f.read():
            fail("the console log lacks the console's output")


def start_foreground():
    if ROOTFS is None:
        fail("needs a rootfs")
    with open(os.path.join(ROOTFS, "etc/inittab"), "w") as f:
        f.write("::respawn:-/bin/sh\n::ctrlaltdel:/bin/reboot\n")
    conf = os.path.join(LXCPATH, "fg.conf")
    with open(conf, "w") as f:
        f.write(f"lxc.rootfs.path = {ROOTFS}\n")
    t = Term(cmd("start", "-F", "-f", conf))
    t.send(b"\r")
    t.expect(b"# ")
    # A reboot ends the console; lxc-start -F is on the new one once it runs again.
    r = run(cmd("stop", "-r", "-t", "20"))
    if r.returncode != 0:
        fail(f"lxc-stop -r: {r.returncode} {r.stderr!r}")
    time.sleep(0.5)
    t.send(b"\r")
    t.expect(b"# ")
    t.send(b"echo fg-$((5+5)); poweroff -f\r")
    t.expect(b"fg-10")
    code = t.wait()
    if not cooked(t.mode()):
        fail("the terminal was not restored")
    if code not in (0,):
        fail(f"lxc-start -F exited {code}")


def attach():
    r = run(cmd("execute", "-d", "--", "sleep", "1000"))
    if r.returncode != 0:
        fail(f"lxc-execute -d: {r.stderr!r}")
    t = Term(cmd("attach", "--", "/bin/bash", "--norc", "--noprofile", "-i"), 30, 90)
    before = t.mode()
    shell_prompt(t)
    t.send(b"tty; stty size; echo pid-$$\r")
    t.expect(b"30 90")
    t.send(b"sleep 77 &\r")
    t.expect(b"READY> ")
    # The job's fork execs sleep a moment after the prompt comes back.
    end = time.time() + 10
    ps = run(cmd("ps")).stdout
    while b"sleep 77" not in ps and time.time() < end:
        time.sleep(0.05)
        ps = run(cmd("ps")).stdout
    if b"sleep 77" not in ps or b"bash" not in ps:
        fail(f"lxc-ps does not list the attached processes: {ps!r}")
    t.send(b"kill %1; exit 4\r")
    code = t.wait()
    if code != 4:
        fail(f"lxc-attach exited {code}, not 4")
    if t.mode() != before:
        fail("the terminal was not restored")
    # kill -9 of lxc-attach: the terminal is restored by the shim.
    t = Term(cmd("attach"))
    before = t.mode()
    time.sleep(1)
    t.proc.kill()
    t.wait()
    end = time.time() + 5
    while time.time() < end and t.mode() != before:
        time.sleep(0.05)
    if t.mode() != before:
        fail("the terminal was not restored after kill -9 of lxc-attach")


def wait_state(want, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if run(cmd("state")).stdout.strip() == want.encode():
            return
        time.sleep(0.05)
    fail(f"not {want} after {timeout}s")


def checkpoint_console():
    """A system container's console and tty1 come back from a checkpoint: lxc-console attaches
    to both, the console's shell kept its variables and reads what is typed, the ring and the
    console log go on."""
    if ROOTFS is None:
        fail("needs a rootfs")
    images = os.path.join(LXCPATH, "images")
    log = os.path.join(LXCPATH, "console.log")
    with open(os.path.join(ROOTFS, "etc/inittab"), "w") as f:
        # tty1's shell without job control: CRIU restores /dev/tty (which such a shell keeps
        # open) for one terminal only.
        f.write("::sysinit:/bin/sh -c 'echo booted-console'\n"
                "::respawn:-/bin/sh\n"
                "tty1::respawn:/bin/sh -c 'echo on-tty1; exec /bin/sh +m'\n")
    os.makedirs(os.path.join(LXCPATH, NAME), exist_ok=True)
    with open(os.path.join(LXCPATH, NAME, "config"), "w") as f:
        f.write(f"lxc.rootfs.path = {ROOTFS}\nlxc.tty.max = 1\nlxc.console.logfile = {log}\n"
                "lxc.signal.halt = SIGUSR1\n")
    r = run(cmd("start"))
    if r.returncode != 0:
        fail(f"lxc-start: {r.stderr!r}")
    a = Term(cmd("console"))
    a.expect(b"booted-console")
    a.send(b"\r")
    a.expect(b"# ")
    a.send(b"X=kept-$((20+1)); echo set-$X\r")
    a.expect(b"set-kept-21")
    a.send(b"\x01q")
    if a.wait() != 0:
        fail("lxc-console did not detach")
    r = run(cmd("checkpoint", "-s", "-D", images))
    if r.returncode != 0:
        fail(f"lxc-checkpoint -s: {r.stderr!r}")
    wait_state("STOPPED")
    r = run(cmd("checkpoint", "-r", "-D", images))
    if r.returncode != 0:
        fail(f"lxc-checkpoint -r: {r.stderr!r}")
    wait_state("RUNNING")
    # The same shell, on a new terminal: it reads a line typed now and knows $X.
    c = Term(cmd("console"), 30, 100)
    c.expect(b"Connected to tty 0")
    c.send(b"echo $X-restored; stty size\r")
    c.expect(b"kept-21-restored")
    c.expect(b"30 100")
    c.send(b"\x01q")
    c.wait()
    # Output while nobody is attached goes into the ring, shown on the next attach.
    r = run(cmd("attach", "--", "sh", "-c", "echo while-away-$((3+4)) > /dev/console"),
            stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        fail(f"lxc-attach: {r.returncode} {r.stderr!r}")
    c = Term(cmd("console"))
    c.expect(b"while-away-7")
    c.send(b"\x01q")
    c.wait()
    d = Term(cmd("console", "-t", "1"))
    d.expect(b"Connected to tty 1")
    d.send(b"echo t1-$((1+2))\r")
    d.expect(b"t1-3")
    d.send(b"\x01q")
    d.wait()
    with open(log, "rb") as f:
        if b"kept-21-restored" not in f.read():
            fail("the console log lacks the restored console's output")
    # lxc-attach at a terminal gets a pty of the restored container's own devpts.
    e = Term(cmd("attach", "--", "/bin/sh"))
    e.expect(b"# ")
    e.send(b"tty; exit 3\r")
    e.expect(b"/dev/pts/")
    if e.wait() != 3:
        fail("lxc-attach at a terminal after the restore did not exit 3")
    # A restored container checkpoints again (its terminals are now the host's ptys).
    r = run(cmd("checkpoint", "-D", images + "2"))
    if r.returncode != 0:
        fail(f"second lxc-checkpoint: {r.stderr!r}")
    wait_state("RUNNING")


def checkpoint_execute():
    """lxc-execute's COMMAND at a terminal, checkpointed with -s and restored with -F at
    another terminal, which it then follows: its pty's size, input, output and exit status."""
    if ROOTFS is None:
        fail("needs a rootfs")
    images = os.path.join(LXCPATH, "images")
    os.makedirs(os.path.join(LXCPATH, NAME), exist_ok=True)
    with open(os.path.join(LXCPATH, NAME, "config"), "w") as f:
        f.write(f"lxc.rootfs.path = {ROOTFS}\n")
    t = Term(cmd("execute", "--", "/bin/sh", "-i"), 24, 80)
    before = t.mode()
    shell_prompt(t)
    t.send(b"Y=exe-$((6*7)); sleep 100 &\r")
    t.expect(b"READY> ")
    r = run(cmd("checkpoint", "-s", "-D", images))
    if r.returncode != 0:
        fail(f"lxc-checkpoint -s: {r.stderr!r}")
    t.wait()
    end = time.time() + 5
    while time.time() < end and t.mode() != before:
        time.sleep(0.05)
    if t.mode() != before:
        fail("the terminal was not restored after the checkpoint stopped lxc-execute")
    wait_state("STOPPED")
    r = Term(cmd("checkpoint", "-r", "-F", "-D", images), 33, 99)
    r.send(b"echo $Y; jobs | wc -l; stty size\r")
    r.expect(b"exe-42")
    r.expect(b"33 99")
    if cooked(r.mode()):
        fail("lxc-checkpoint -r -F did not put its terminal in raw mode")
    r.send(b"kill %1; exit 5\r")
    code = r.wait()
    if code != 5:
        fail(f"lxc-checkpoint -r -F exited {code}, not COMMAND's 5")
    if not cooked(r.mode()):
        fail("the terminal was not restored")


SCENARIOS = {
    "execute_job_control": execute_job_control,
    "execute_kill9": execute_kill9,
    "console": console,
    "start_foreground": start_foreground,
    "attach": attach,
    "checkpoint_console": checkpoint_console,
    "checkpoint_execute": checkpoint_execute,
}

SCENARIOS[SCENARIO]()
print(f"{SCENARIO}: ok")
