//! `lxc-attach -n NAME [-e] [-s NAMESPACES] [--clear-env|--keep-env] [-v VAR=VALUE]... [-u UID]
//! [-g GID] [--] [COMMAND [ARG...]]`: run COMMAND inside a running container, started by its
//! shim (`exec`), so that it is the shim's child: reaped, listed by lxc-ps, killed when the
//! container stops. At a terminal COMMAND gets a pty of the container's; otherwise this
//! command's stdin, stdout and stderr, and the signals this command gets are passed on. Exits
//! with COMMAND's status (128+N for signal N).
use crate::container::{rpc_error, Container};
use crate::tty::{self, End};
use crate::CliError;
use lxc_proto::terminal::{ExecParams, ExecReply, ExecSignalParams, ExecWaitParams, ExecWaitReply};
use lxc_proto::Call;
use std::os::fd::AsFd;

crate::command!(
    required,
    /// Run a command (default: the user's shell) inside a running container.
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// elevated privileges: stay out of the container's cgroups and keep every privilege
        #[argh(switch, short = 'e', long = "elevated-privileges")]
        elevated: bool,
        /// the namespaces to enter, as LXC names them: MOUNT|PID|UTSNAME|IPC|USER|NETWORK|CGROUP
        #[argh(option, short = 's', long = "namespaces")]
        namespaces: Option<String>,
        /// start COMMAND with a clean environment (PATH and container=lxc)
        #[argh(switch, long = "clear-env")]
        clear_env: bool,
        /// keep this command's environment (the default)
        #[argh(switch, long = "keep-env")]
        keep_env: bool,
        /// set VAR=VALUE in COMMAND's environment (repeatable)
        #[argh(option, short = 'v', long = "set-var")]
        set_var: Vec<String>,
        /// the user COMMAND runs as inside (default 0)
        #[argh(option, short = 'u')]
        uid: Option<u32>,
        /// its group (default 0)
        #[argh(option, short = 'g')]
        gid: Option<u32>,
        /// the command and its arguments
        #[argh(positional, greedy)]
        command: Vec<String>,
    }
);

const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub fn run(args: Args) -> Result<i32, CliError> {
    if args.clear_env && args.keep_env {
        return Err(CliError::usage(
            "--clear-env and --keep-env exclude each other",
        ));
    }
    let namespaces = args.namespaces.as_deref().map(namespaces).transpose()?;
    for v in &args.set_var {
        if !v.contains('=') {
            return Err(CliError::usage(format!(
                "-v {}: expected VAR=VALUE",
                lxc_proto::shorten(v, 40)
            )));
        }
    }
    let mut env: Vec<String> = if args.clear_env {
        vec![PATH.to_string()]
    } else {
        std::env::vars_os()
            .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
            .filter(|kv| !kv.starts_with("container="))
            .collect()
    };
    if args.clear_env {
        if let Ok(term) = std::env::var("TERM") {
            env.push(format!("TERM={term}"));
        }
    }
    env.push("container=lxc".into());
    for v in &args.set_var {
        let name = v.split('=').next().unwrap_or_default();
        env.retain(|e| e.split('=').next() != Some(name));
        env.push(v.clone());
    }
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let mut client = ct.connect()?;
    client.require("exec").map_err(rpc_error)?;
    let pty = tty::stdin_is_terminal();
    let call = Call::Exec(ExecParams {
        argv: args.command,
        env,
        uid: args.uid,
        gid: args.gid,
        namespaces,
        elevated: args.elevated,
        pty,
        size: if pty { tty::size() } else { None },
    });
    let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    let deadline = client.default_deadline();
    let fds = if pty {
        vec![stdin.as_fd()]
    } else {
        vec![stdin.as_fd(), stdout.as_fd(), stderr.as_fd()]
    };
    let (reply, got): (ExecReply, _) = client
        .call_with_fds(&call, &fds, deadline)
        .map_err(rpc_error)?;
    let pid = reply.pid;
    if pty {
        let (master, stream) = tty::split_fds(got)?;
        if tty::session(master, stream, None)? == End::Signalled {
            // Our terminal is gone (or we are told to go): as a terminal's hang-up would.
            let _ = client.call::<ExecReply>(
                &Call::ExecSignal(ExecSignalParams {
                    pid,
                    signal: libc::SIGHUP,
                }),
                deadline,
            );
        }
    } else {
        forward_signals(&ct, pid)?;
    }
    let done: ExecWaitReply = client
        .call(&Call::ExecWait(ExecWaitParams { pid }), None)
        .map_err(rpc_error)?;
    Ok(done.exit.shell_code())
}

/// LXC's `-s` names to ours.
fn namespaces(s: &str) -> Result<Vec<String>, CliError> {
    s.split('|')
        .map(|n| {
            Ok(match n.trim() {
                "MOUNT" => "mnt",
                "PID" => "pid",
                "UTSNAME" => "uts",
                "IPC" => "ipc",
                "USER" => "user",
                "NETWORK" => "net",
                "CGROUP" => "cgroup",
                other => {
                    return Err(CliError::usage(format!(
                        "-s {}: expected MOUNT|PID|UTSNAME|IPC|USER|NETWORK|CGROUP",
                        lxc_proto::shorten(other, 20)
                    )))
                }
            }
            .to_string())
        })
        .collect()
}

/// INT, TERM, HUP, QUIT, USR1, USR2 received here go to COMMAND (on a connection of their own).
fn forward_signals(ct: &Container, pid: i32) -> Result<(), CliError> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2])
            .map_err(|e| {
            CliError::failed(format!(
                "install signal handlers: {}",
                lxc_proto::strerror(&e)
            ))
        })?;
    let mut client = ct.connect()?;
    std::thread::spawn(move || {
        for signal in signals.forever() {
            let d = client.default_deadline();
            let _ =
                client.call::<ExecReply>(&Call::ExecSignal(ExecSignalParams { pid, signal }), d);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn lxc_namespace_names() {
        assert_eq!(super::namespaces("MOUNT|PID").unwrap(), ["mnt", "pid"]);
        assert!(super::namespaces("MOUNT|X").is_err());
    }
}
