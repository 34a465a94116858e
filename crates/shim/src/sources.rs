//! The event loop's table from mio token to event source. Tokens are never reused, so a late
//! event of a source that is gone finds nothing rather than its successor.
use mio::Token;
use nix::unistd::Pid;
use std::collections::HashMap;

/// What a token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The control socket's listener.
    Listener,
    /// SIGCHLD and the termination signals sent to the shim.
    Signals,
    /// The container init's channel.
    InitChannel,
    /// The launch channel to lxc-execute.
    Launch,
    /// A control client.
    Client,
    /// A helper's stdout or stderr.
    HelperOutput { pid: Pid, stderr: bool },
    /// cgroup2's `cgroup.events` of the container (a freeze has taken).
    FreezerEvents,
    /// The container's OOM watch (`oom.rs`).
    Oom,
    /// The timerfd that wakes the loop for its earliest timer.
    Timer,
    /// A pty master or a viewer's stream (`terminals.rs` tells which).
    Terminal,
    /// A seccomp listener of the container's (`notifier.rs`).
    SeccompListener,
    /// The connection to `lxc.seccomp.notify.proxy`.
    SeccompProxy,
    /// An attached process's socket that brings its seccomp listener.
    SeccompHandoff,
}

/// The table.
#[derive(Default)]
pub struct Sources {
    table: HashMap<Token, Source>,
    next: usize,
}

impl Sources {
    /// A new token for `source`.
    pub fn add(&mut self, source: Source) -> Token {
        let token = Token(self.next);
        self.next += 1;
        self.table.insert(token, source);
        token
    }

    /// Forgets `token`.
    pub fn remove(&mut self, token: Token) {
        self.table.remove(&token);
    }

    /// What `token` stands for.
    pub fn get(&self, token: Token) -> Option<Source> {
        self.table.get(&token).copied()
    }
}
