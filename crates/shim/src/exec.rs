//! The processes `exec` started (lxc-attach): children of the shim, reaped by it, their exit
//! statuses kept until asked for (`exec-wait`), the last [`KEPT`] of them even when their
//! client is gone.
use crate::lifecycle::Waiter;
use lxc_proto::ExitStatus;
use nix::unistd::Pid;
use std::collections::VecDeque;

/// Exit statuses kept that nobody has asked for yet.
const KEPT: usize = 64;

#[derive(Default)]
pub struct ExecTable {
    running: Vec<Pid>,
    done: VecDeque<(Pid, ExitStatus)>,
    waiters: Vec<(Pid, Waiter)>,
}

/// What became of an `exec-wait`.
pub enum WaitOutcome {
    Now(ExitStatus),
    Parked,
    Unknown,
}

impl ExecTable {
    pub fn started(&mut self, pid: Pid) {
        self.running.push(pid);
    }

    pub fn is_running(&self, pid: Pid) -> bool {
        self.running.contains(&pid)
    }

    pub fn running(&self) -> &[Pid] {
        &self.running
    }

    /// Ended: the waiters to answer (the status is kept if there are none).
    pub fn ended(&mut self, pid: Pid, status: ExitStatus) -> Vec<Waiter> {
        self.running.retain(|p| *p != pid);
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiters)
            .into_iter()
            .partition(|(p, _)| *p == pid);
        self.waiters = rest;
        if mine.is_empty() {
            if self.done.len() == KEPT {
                self.done.pop_front();
            }
            self.done.push_back((pid, status));
        }
        mine.into_iter().map(|(_, w)| w).collect()
    }

    pub fn wait(&mut self, pid: Pid, waiter: Waiter) -> WaitOutcome {
        if let Some(i) = self.done.iter().position(|(p, _)| *p == pid) {
            let (_, status) = self.done.remove(i).unwrap_or((pid, ExitStatus::exited(0)));
            return WaitOutcome::Now(status);
        }
        if self.is_running(pid) {
            self.waiters.push((pid, waiter));
            return WaitOutcome::Parked;
        }
        WaitOutcome::Unknown
    }

    /// A client is gone: its parked waits go.
    pub fn forget(&mut self, token: mio::Token) {
        self.waiters.retain(|(_, w)| w.token != token);
    }
}
