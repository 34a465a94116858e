//! The user's terminal attached to a terminal the shim holds (issue 12): lxc-console,
//! lxc-execute and lxc-start -F at a terminal, lxc-attach at a terminal. The shim hands over
//! the pty master (input is written there, the window size set on it) and a stream of the
//! terminal's output. The user's terminal goes raw for as long as this runs and is restored
//! on every way out of it; a `kill -9` of this command is covered by the shim, which got the
//! terminal with the request and restores it unless it is told here that it was.
use crate::CliError;
use lxc_proto::terminal::WinSize;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg, Termios};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;

/// Whether COMMAND's stdio is to be the container's terminal: lxc-execute in the foreground
/// at a terminal; lxc-start detached (pid 1's stdio is its console) or in the foreground at a
/// terminal.
pub fn stdio_is_terminal(system: bool, daemon: bool) -> bool {
    if system && daemon {
        return true;
    }
    !daemon && stdin_is_terminal()
}

pub fn stdin_is_terminal() -> bool {
    nix::unistd::isatty(io::stdin().as_fd()).unwrap_or(false)
}

/// The size of the user's terminal.
pub fn size() -> Option<WinSize> {
    lxc_shim::term::window_size(io::stdin().as_fd())
}

/// How the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The terminal's output ended (its process or the container ended; or the shim).
    Closed,
    /// The user typed the escape then `q`.
    Detached,
    /// A signal asked us to go.
    Signalled,
}

/// The user's terminal in raw mode until dropped.
struct Raw {
    saved: Termios,
}

impl Raw {
    fn enter() -> io::Result<Raw> {
        let stdin = io::stdin();
        let saved = tcgetattr(stdin.as_fd())?;
        let mut raw = saved.clone();
        cfmakeraw(&mut raw);
        tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw)?;
        Ok(Raw { saved })
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        let _ = tcsetattr(io::stdin().as_fd(), SetArg::TCSANOW, &self.saved);
    }
}

/// The two descriptors an attach gives back: master and output stream.
pub fn split_fds(fds: Vec<OwnedFd>) -> Result<(OwnedFd, UnixStream), CliError> {
    let mut it = fds.into_iter();
    match (it.next(), it.next()) {
        (Some(master), Some(stream)) => Ok((master, UnixStream::from(stream))),
        _ => Err(CliError::failed("the shim sent no terminal")),
    }
}

/// Runs the session until the output ends, the user detaches (`escape` then `q`; `escape`
/// twice sends it once) or a signal (TERM, HUP) comes. The user's terminal is restored, then
/// the shim is told so.
pub fn session(
    master: OwnedFd,
    mut stream: UnixStream,
    escape: Option<u8>,
) -> Result<End, CliError> {
    let io_err =
        |what: &str, e: io::Error| CliError::failed(format!("{what}: {}", lxc_proto::strerror(&e)));
    // One pipe for resizes, one for TERM and HUP (which end the session).
    let (winch, winch_w) = UnixStream::pair().map_err(|e| io_err("signal pipe", e))?;
    let (ending, ending_w) = UnixStream::pair().map_err(|e| io_err("signal pipe", e))?;
    winch
        .set_nonblocking(true)
        .map_err(|e| io_err("signal pipe", e))?;
    let mut ids = Vec::new();
    for (sig, w) in [
        (libc::SIGWINCH, &winch_w),
        (libc::SIGTERM, &ending_w),
        (libc::SIGHUP, &ending_w),
    ] {
        let w = w.try_clone().map_err(|e| io_err("signal pipe", e))?;
        let id = signal_hook::low_level::pipe::register(sig, w)
            .map_err(|e| io_err("signal handler", e))?;
        ids.push(id);
    }
    let raw = Raw::enter().map_err(|e| io_err("set the terminal to raw mode", e))?;
    let end = pump(master.as_fd(), &mut stream, [&winch, &ending], escape);
    drop(raw);
    for id in ids {
        signal_hook::low_level::unregister(id);
    }
    // Restored: the shim need not do it.
    let _ = stream.write_all(b"r");
    let _ = stream.shutdown(std::net::Shutdown::Both);
    end.map_err(|e| io_err("terminal", e))
}

fn pump(
    master: BorrowedFd<'_>,
    stream: &mut UnixStream,
    [winch, ending]: [&UnixStream; 2],
    escape: Option<u8>,
) -> io::Result<End> {
    let stdin = io::stdin();
    let mut stdout = io::stdout().lock();
    let mut input: Vec<u8> = Vec::new();
    let mut after_escape = false;
    let mut stdin_open = true;
    let mut buf = [0u8; 16384];
    loop {
        let master_events = if input.is_empty() {
            PollFlags::empty()
        } else {
            PollFlags::POLLOUT
        };
        let stdin_events = if stdin_open && input.len() < 65536 {
            PollFlags::POLLIN
        } else {
            PollFlags::empty()
        };
        let mut fds = [
            PollFd::new(stdin.as_fd(), stdin_events),
            PollFd::new(stream.as_fd(), PollFlags::POLLIN),
            PollFd::new(winch.as_fd(), PollFlags::POLLIN),
            PollFd::new(master, master_events),
            PollFd::new(ending.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        let ready = |i: usize, fds: &[PollFd]| fds[i].revents().is_some_and(|r| !r.is_empty());
        let (r_stdin, r_stream, r_sig, r_master) = (
            ready(0, &fds),
            ready(1, &fds),
            ready(2, &fds),
            ready(3, &fds),
        );
        if ready(4, &fds) {
            return Ok(End::Signalled);
        }
        if r_sig {
            let mut sb = [0u8; 64];
            while matches!((&*winch).read(&mut sb), Ok(n) if n > 0) {}
            if let Some(size) = size() {
                let _ = lxc_shim::term::set_window_size(master, size);
            }
        }
        if r_stream {
            match stream.read(&mut buf) {
                Ok(0) => return Ok(End::Closed),
                Ok(n) => {
                    stdout.write_all(&buf[..n])?;
                    stdout.flush()?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Ok(End::Closed),
            }
        }
        if r_stdin {
            match nix::unistd::read(&stdin, &mut buf) {
                Ok(0) | Err(nix::errno::Errno::EIO) => stdin_open = false,
                Ok(n) => {
                    for &b in &buf[..n] {
                        match escape {
                            Some(e) if after_escape => {
                                after_escape = false;
                                if b == b'q' {
                                    return Ok(End::Detached);
                                }
                                if b != e {
                                    input.push(e);
                                }
                                input.push(b);
                            }
                            Some(e) if b == e => after_escape = true,
                            _ => input.push(b),
                        }
                    }
                }
                Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if !input.is_empty() && (r_master || r_stdin) {
            match nix::unistd::write(master, &input) {
                Ok(n) => {
                    input.drain(..n);
                }
                Err(nix::errno::Errno::EAGAIN) | Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return Ok(End::Closed),
            }
        }
    }
}
