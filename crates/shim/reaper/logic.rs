//! What lxc-init does, in `core` alone (the program has no standard library and no libc):
//! the supervision loop, the one message it sends and the parsing of its parameters. The
//! system calls come from the caller as a [`Sys`], so that the shim's unit tests can drive
//! this with a fake and the program with raw system calls.

/// Signal numbers, the same on every Linux architecture the program is built for.
pub const SIGINT: i32 = 2;
pub const SIGQUIT: i32 = 3;
pub const SIGKILL: i32 = 9;
pub const SIGCHLD: i32 = 17;
pub const SIGWINCH: i32 = 28;

/// COMMAND's end, as the shim's `ExitStatus` has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exited by itself with this code.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}

impl Status {
    /// From a raw wait status (`WIFEXITED`/`WIFSIGNALED`); `None` for a stop or continue.
    pub fn from_wait(st: i32) -> Option<Status> {
        let sig = st & 0x7f;
        if sig == 0 {
            Some(Status::Exited((st >> 8) & 0xff))
        } else if sig != 0x7f && st != 0xffff {
            Some(Status::Signaled(sig))
        } else {
            None
        }
    }

    /// The code a shell would report (128 + N for signal N).
    pub fn shell_code(self) -> i32 {
        match self {
            Status::Exited(code) => code,
            Status::Signaled(sig) => 128 + sig,
        }
    }
}

/// What one non-blocking wait found.
pub enum Reaped {
    /// A child ended (pid, raw wait status).
    Child(i32, i32),
    /// Children remain, none has ended.
    NoneYet,
    /// No child is left (or the wait failed otherwise).
    NoChildren,
}

/// The system calls the loop needs.
pub trait Sys {
    /// `wait4(-1, WNOHANG)`, retried on EINTR.
    fn reap(&mut self) -> Reaped;
    /// Waits for any signal (all are blocked); returns its number.
    fn wait_signal(&mut self) -> i32;
    /// `kill(pid, sig)`; errors are nobody's business here.
    fn kill(&mut self, pid: i32, sig: i32);
}

/// Forwards signals to COMMAND (`cmd`) and reaps until COMMAND and everything else has ended;
/// returns COMMAND's status. COMMAND may have ended before the program took over (its SIGCHLD
/// then waits, blocked): it looks before it waits.
pub fn supervise(sys: &mut impl Sys, cmd: i32) -> Status {
    let mut status: Option<Status> = None;
    let mut sig = SIGCHLD;
    loop {
        if sig != SIGCHLD {
            if status.is_none() {
                // What a terminal sends to its foreground group (Ctrl-C, Ctrl-\, a resize)
                // goes to COMMAND's group; everything else to COMMAND alone.
                let target = if matches!(sig, SIGINT | SIGQUIT | SIGWINCH) {
                    -cmd
                } else {
                    cmd
                };
                sys.kill(target, sig);
            }
        } else {
            loop {
                match sys.reap() {
                    Reaped::Child(pid, st) => {
                        if pid == cmd && status.is_none() {
                            if let Some(s) = Status::from_wait(st) {
                                status = Some(s);
                                // From a pid namespace's init, -1 is everything else in it.
                                sys.kill(-1, SIGKILL);
                            }
                        }
                    }
                    Reaped::NoneYet => break,
                    Reaped::NoChildren => {
                        if let Some(s) = status {
                            return s;
                        }
                        break;
                    }
                }
            }
        }
        sig = sys.wait_signal();
    }
}

/// The most a message takes: `{"msg":"exited","status":{"signal":-2147483648}}`.
pub const MESSAGE_MAX: usize = 64;

/// The init channel's `exited` message (the shim's `FromInit::Exited`) for `status`, written
/// into `buf`; returns its length. Made by hand: no allocation, no serializer.
pub fn exited_message(status: Status, buf: &mut [u8; MESSAGE_MAX]) -> usize {
    let (key, n): (&[u8], i32) = match status {
        Status::Exited(code) => (b"code", code),
        Status::Signaled(sig) => (b"signal", sig),
    };
    let mut out = Cursor { buf, len: 0 };
    out.put(b"{\"msg\":\"exited\",\"status\":{\"");
    out.put(key);
    out.put(b"\":");
    out.put_int(n);
    out.put(b"}}");
    out.len
}

struct Cursor<'a> {
    buf: &'a mut [u8; MESSAGE_MAX],
    len: usize,
}

impl Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
    }

    fn put_int(&mut self, n: i32) {
        if n < 0 {
            self.put(b"-");
        }
        let mut digits = [0u8; 10];
        let mut v = n.unsigned_abs();
        let mut i = digits.len();
        while i > 0 {
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                *d = b'0' + (v % 10) as u8;
            }
            v /= 10;
            if v == 0 {
                break;
            }
        }
        if let Some(used) = digits.get(i..) {
            self.put(used);
        }
    }
}

/// A decimal number (no sign, no spaces) that fits an i32.
pub fn parse_number(arg: &[u8]) -> Option<i32> {
    if arg.is_empty() || arg.len() > 10 {
        return None;
    }
    let mut v: i64 = 0;
    for &b in arg {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(b - b'0');
    }
    i32::try_from(v).ok()
}

/// The value of `NAME=` in an environment entry, if the entry is `NAME`'s.
pub fn env_value<'a>(entry: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    entry.strip_prefix(name)?.strip_prefix(b"=")
}
