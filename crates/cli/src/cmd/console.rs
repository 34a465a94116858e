//! `lxc-console -n NAME [-t N] [-e ESCAPE]`: attach this terminal to the container's console
//! (or tty N) through its shim. `ESCAPE q` detaches (default Ctrl-a), `ESCAPE ESCAPE` sends
//! one ESCAPE. The shim holds the terminal: what the container printed while nobody was
//! attached comes first.
use crate::container::{rpc_error, Container};
use crate::tty::{self, End};
use crate::CliError;
use lxc_proto::terminal::{ConsoleParams, ConsoleReply};
use lxc_proto::Call;
use std::os::fd::AsFd;

crate::command!(
    required,
    /// Attach this terminal to a container's console or one of its ttys.
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// the tty to attach to (0, the default, is the console)
        #[argh(option, short = 't', default = "0")]
        tty: u32,
        /// the escape prefix: ^X (Ctrl-X) or one character (default ^a)
        #[argh(option, short = 'e')]
        escape: Option<String>,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let escape = parse_escape(args.escape.as_deref().unwrap_or("^a"))?;
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    if !tty::stdin_is_terminal() {
        return Err(CliError::usage("stdin is not a terminal"));
    }
    eprint!(
        "\r\nConnected to tty {}\r\nType <Ctrl+{} q> to exit the console, <Ctrl+{} Ctrl+{}> to enter Ctrl+{} itself\r\n",
        args.tty,
        shown(escape),
        shown(escape),
        shown(escape),
        shown(escape)
    );
    attach(&ct, args.tty, Some(escape))?;
    Ok(0)
}

/// Attaches to tty `n` (0: the console) until it ends, the user detaches, or TERM/HUP.
pub fn attach(ct: &Container, n: u32, escape: Option<u8>) -> Result<End, CliError> {
    let mut client = ct.connect()?;
    client.require("console").map_err(rpc_error)?;
    let call = Call::Console(ConsoleParams {
        tty: n,
        size: tty::size(),
    });
    let stdin = std::io::stdin();
    let deadline = client.default_deadline();
    let (_reply, fds): (ConsoleReply, _) = client
        .call_with_fds(&call, &[stdin.as_fd()], deadline)
        .map_err(rpc_error)?;
    let (master, stream) = tty::split_fds(fds)?;
    tty::session(master, stream, escape)
}

/// After the console ended under lxc-start -F: true once the container runs again (it
/// rebooted), false when the launch channel has something to say (its end) or it does not
/// come back within 60 s.
pub fn rebooted(ct: &Container, launch: &std::os::unix::net::UnixStream) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        let mut fds = [PollFd::new(launch.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(100u16)).is_ok_and(|n| n > 0) {
            return false;
        }
        if matches!(ct.state(), Ok(Some(lxc_proto::State::Running))) {
            return true;
        }
    }
    false
}

/// `^a` is Ctrl-a (1), `^[` ESC; one other character stands for itself.
fn parse_escape(s: &str) -> Result<u8, CliError> {
    let b = s.as_bytes();
    match b {
        [b'^', c] if c.is_ascii_alphabetic() || (b'@'..=b'_').contains(c) => {
            Ok(c.to_ascii_uppercase() & 0x1f)
        }
        [c] if c.is_ascii() => Ok(*c),
        _ => Err(CliError::usage(format!(
            "-e {}: expected ^X or one character",
            lxc_proto::shorten(s, 10)
        ))),
    }
}

fn shown(escape: u8) -> char {
    if escape < 0x20 {
        (escape + b'a' - 1) as char
    } else {
        escape as char
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        assert_eq!(super::parse_escape("^a").unwrap(), 1);
        assert_eq!(super::parse_escape("^B").unwrap(), 2);
        assert_eq!(super::parse_escape("x").unwrap(), b'x');
        assert!(super::parse_escape("^ab").is_err());
    }
}
