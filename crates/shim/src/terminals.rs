//! The terminals the shim holds (issue 12): every pty master of the container (its console or
//! COMMAND's terminal as tty 0, `lxc.tty.max` ttys 1..N, one per `lxc-attach` at a terminal).
//! The shim reads each master whenever output comes, so that a writer inside never blocks on
//! a terminal nobody looks at; the output goes to every attached viewer, to the console log
//! (`lxc.console.logfile`, at most `lxc.console.size`, rotated once with
//! `lxc.console.rotate`), and while nobody is attached into a ring of at most
//! `lxc.console.buffer.size` that the next viewer gets first. The ring is allocated only while
//! it holds something, and nothing here exists for a container without terminals.
use crate::viewer::{Viewer, ViewerRead, BACKLOG};
use mio::{Interest, Registry, Token};
use nix::unistd::Pid;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;

/// Clients attached to one terminal at once.
pub const MAX_VIEWERS: usize = 32;
/// Bytes read from one master per event before the loop looks at other sources.
const READ_BUDGET: usize = 64 << 10;
/// `lxc.console.buffer.size` unset or `auto`: LXC's auto size.
pub const DEFAULT_RING: usize = 128 << 10;
/// `lxc.console.size` `auto`.
const DEFAULT_LOG_SIZE: u64 = 128 << 10;

/// What the config says about the console, kept by the shim from its start.
#[derive(Debug, Clone, Default)]
pub struct ConsoleConf {
    pub logfile: Option<PathBuf>,
    /// The ring's largest size.
    pub ring: usize,
    /// The log's largest size (0: no limit).
    pub log_size: u64,
    pub rotate: bool,
}

impl ConsoleConf {
    pub fn of(settings: &lxc_config::Settings) -> ConsoleConf {
        use lxc_config::Size;
        let c = &settings.console;
        ConsoleConf {
            logfile: c.logfile.as_ref().map(PathBuf::from),
            ring: match c.buffer_size {
                None | Some(Size::Auto) => DEFAULT_RING,
                // LXC rounds anything smaller up to a page.
                Some(Size::Bytes(n)) => (n as usize).max(4096),
            },
            log_size: match c.size {
                None => 0,
                Some(Size::Auto) => DEFAULT_LOG_SIZE,
                Some(Size::Bytes(n)) => n,
            },
            rotate: c.rotate.unwrap_or(false),
        }
    }
}

/// What the shim keeps from the config for terminals and attached processes.
#[derive(Debug, Clone, Default)]
pub struct TtyConf {
    pub console: ConsoleConf,
    /// `lxc.arch`, applied to attached processes as to COMMAND.
    pub personality: Option<libc::c_ulong>,
    /// `lxc.cap.*`, `lxc.no_new_privs`, `lxc.seccomp.*`: the init plan's, shared.
    pub confine: std::rc::Rc<crate::confine::Confinement>,
}

/// A terminal call's answer: the line and the descriptors that go with it, or parked.
pub enum TermOutcome {
    Reply(Option<Vec<u8>>, Vec<OwnedFd>),
    Parked,
}

/// Which terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtyId {
    /// 0: the console (or lxc-execute's COMMAND's terminal); N: /dev/ttyN.
    Number(u32),
    /// The terminal of a process `exec` started.
    Exec(Pid),
}

pub struct Tty {
    pub id: TtyId,
    pub master: OwnedFd,
    token: Token,
    ring: VecDeque<u8>,
    ring_cap: usize,
    pub viewers: Vec<Viewer>,
    /// A viewer is too far behind: the master is not read until it catches up.
    paused: bool,
    /// The last read stopped at its budget.
    more: bool,
}

/// The console log.
struct Log {
    file: File,
    path: PathBuf,
    written: u64,
}

/// Every terminal.
pub struct Terminals {
    /// The container's devpts ptmx (`O_PATH`), for ptys made later.
    pub ptmx: Option<OwnedFd>,
    pub ttys: Vec<Tty>,
    /// Viewers of terminals that have ended, until their last output is written.
    orphans: Vec<Viewer>,
    log: Option<Log>,
    conf: ConsoleConf,
}

/// What a token of the terminals is.
pub enum TtyToken {
    Master(usize),
    Viewer(usize, usize),
    Orphan(usize),
}

impl Terminals {
    pub fn new(conf: &ConsoleConf) -> Terminals {
        Terminals {
            ptmx: None,
            ttys: Vec::new(),
            orphans: Vec::new(),
            log: None,
            conf: conf.clone(),
        }
    }

    /// Opens the console log (appending; a symlink is refused).
    pub fn open_log(&mut self) -> io::Result<()> {
        let Some(path) = self.conf.logfile.clone() else {
            return Ok(());
        };
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .mode(0o600)
            .open(&path)?;
        let written = file.metadata().map(|m| m.len()).unwrap_or(0);
        self.log = Some(Log {
            file,
            path,
            written,
        });
        Ok(())
    }

    /// Takes a master over; `ring`: keep output while nobody is attached.
    pub fn add(
        &mut self,
        id: TtyId,
        master: OwnedFd,
        token: Token,
        ring: bool,
        registry: &Registry,
    ) -> io::Result<()> {
        nix::fcntl::fcntl(
            &master,
            nix::fcntl::FcntlArg::F_SETFL(
                nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_RDWR,
            ),
        )?;
        let fd = master.as_raw_fd();
        registry.register(&mut mio::unix::SourceFd(&fd), token, Interest::READABLE)?;
        self.ttys.push(Tty {
            id,
            master,
            token,
            ring: VecDeque::new(),
            ring_cap: if ring { self.conf.ring } else { 0 },
            viewers: Vec::new(),
            paused: false,
            more: false,
        });
        Ok(())
    }

    pub fn find(&self, id: TtyId) -> Option<usize> {
        self.ttys.iter().position(|t| t.id == id)
    }

    /// The master or viewer that has `token`.
    pub fn by_token(&self, token: Token) -> Option<TtyToken> {
        if let Some(o) = self.orphans.iter().position(|v| v.token == token) {
            return Some(TtyToken::Orphan(o));
        }
        self.ttys.iter().enumerate().find_map(|(i, t)| {
            if t.token == token {
                return Some(TtyToken::Master(i));
            }
            t.viewers
                .iter()
                .position(|v| v.token == token)
                .map(|v| TtyToken::Viewer(i, v))
        })
    }

    /// An ended terminal's viewer can take more of its last output.
    pub fn on_orphan(&mut self, o: usize, registry: &Registry) {
        if !self.orphans[o].flush(registry) {
            let mut gone = self.orphans.remove(o);
            gone.deregister(registry);
        }
    }

    /// Whether a master has more to read than the last round took.
    pub fn more(&self) -> bool {
        self.ttys.iter().any(|t| t.more && !t.paused)
    }

    /// Reads every master that has more.
    pub fn pump_all(&mut self, registry: &Registry) {
        for i in 0..self.ttys.len() {
            if self.ttys[i].more {
                self.pump(i, registry);
            }
        }
    }

    /// Reads a master (up to the budget) and delivers what it gave.
    pub fn pump(&mut self, i: usize, registry: &Registry) {
        let mut buf = [0u8; 4096];
        let mut budget = READ_BUDGET;
        let tty = &mut self.ttys[i];
        tty.more = false;
        while !tty.paused {
            if budget == 0 {
                tty.more = true;
                break;
            }
            let n = match nix::unistd::read(&tty.master, &mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                // EAGAIN: nothing now. EIO: no slave is open (a tty no getty has opened yet,
                // or COMMAND has ended); output resumes when one is opened again.
                Err(_) => break,
            };
            budget = budget.saturating_sub(n);
            let data = &buf[..n];
            if tty.id == TtyId::Number(0) {
                if let Some(log) = &mut self.log {
                    log.write(data, &self.conf);
                }
            }
            if tty.viewers.is_empty() {
                if tty.ring_cap > 0 {
                    tty.ring.extend(data);
                    let over = tty.ring.len().saturating_sub(tty.ring_cap);
                    tty.ring.drain(..over);
                }
                continue;
            }
            for v in &mut tty.viewers {
                v.push(data);
            }
            tty.viewers.retain_mut(|v| {
                let keep = v.flush(registry);
                if !keep {
                    v.deregister(registry);
                }
                keep
            });
            tty.paused = tty.viewers.iter().any(|v| v.backlog() > BACKLOG);
        }
    }

    /// Attaches a viewer; it gets what the ring kept first. Returns the bytes replayed.
    pub fn attach(
        &mut self,
        i: usize,
        mut viewer: Viewer,
        registry: &Registry,
    ) -> io::Result<usize> {
        let tty = &mut self.ttys[i];
        if tty.viewers.len() >= MAX_VIEWERS {
            return Err(io::Error::other(format!(
                "{MAX_VIEWERS} clients are attached already"
            )));
        }
        let kept = std::mem::take(&mut tty.ring);
        let replayed = kept.len();
        let (a, b) = kept.as_slices();
        viewer.push(a);
        viewer.push(b);
        viewer.register(registry)?;
        if viewer.flush(registry) {
            tty.viewers.push(viewer);
        }
        Ok(replayed)
    }

    /// A viewer's stream is readable or writable.
    pub fn on_viewer(&mut self, i: usize, v: usize, readable: bool, registry: &Registry) {
        let tty = &mut self.ttys[i];
        let mut keep = true;
        if readable {
            keep = matches!(tty.viewers[v].read(), ViewerRead::Open);
        }
        keep = keep && tty.viewers[v].flush(registry);
        if !keep {
            let mut gone = tty.viewers.remove(v);
            gone.deregister(registry);
        }
        let was_paused = tty.paused;
        tty.paused = tty.viewers.iter().any(|v| v.backlog() > BACKLOG);
        if was_paused && !tty.paused {
            self.pump(i, registry);
        }
    }

    /// A terminal has ended (its process reaped, or the container): what is left in the master
    /// is delivered, the viewers are closed once they have it, the master is closed.
    pub fn end(&mut self, i: usize, registry: &Registry) {
        // Past the viewers' backlog: the master holds little (the pty's own buffer), and a
        // round that stopped at the budget or a backlog is read again, at most 16 times.
        for _ in 0..16 {
            self.ttys[i].paused = false;
            self.ttys[i].more = false;
            self.pump(i, registry);
            if !self.ttys[i].more && !self.ttys[i].paused {
                break;
            }
        }
        let mut tty = self.ttys.remove(i);
        let fd = tty.master.as_raw_fd();
        let _ = registry.deregister(&mut mio::unix::SourceFd(&fd));
        for mut v in tty.viewers.drain(..) {
            v.close_when_flushed();
            if v.flush(registry) {
                // Kept until written: handed to the orphans.
                self.orphans.push(v);
            } else {
                v.deregister(registry);
            }
        }
    }

    /// Ends every terminal (the container has stopped).
    pub fn end_all(&mut self, registry: &Registry) {
        while !self.ttys.is_empty() {
            self.end(0, registry);
        }
    }

    /// The master of a tty, for a viewer's input and window size.
    pub fn master_copy(&self, i: usize) -> io::Result<OwnedFd> {
        self.ttys[i].master.as_fd().try_clone_to_owned()
    }
}

impl Log {
    fn write(&mut self, data: &[u8], conf: &ConsoleConf) {
        if conf.log_size > 0 && self.written + data.len() as u64 > conf.log_size {
            self.cut(conf.rotate);
        }
        match self.file.write_all(data) {
            Ok(()) => self.written += data.len() as u64,
            Err(e) => log::warn!(
                "console log {}: {}",
                self.path.display(),
                lxc_proto::strerror(&e)
            ),
        }
    }

    /// At its size: renamed to `FILE.1` (rotate) or emptied, and started again.
    fn cut(&mut self, rotate: bool) {
        if rotate {
            let mut old = self.path.clone().into_os_string();
            old.push(".1");
            let _ = std::fs::rename(&self.path, &old);
            if let Ok(f) = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .mode(0o600)
                .open(&self.path)
            {
                self.file = f;
            }
        } else {
            let _ = self.file.set_len(0);
        }
        self.written = 0;
    }
}

use std::os::unix::fs::OpenOptionsExt;

#[cfg(test)]
#[path = "terminals_tests.rs"]
mod tests;
