//! The `checkpoint` method: the container goes CHECKPOINTING, `criu dump` runs as a child of
//! the shim (its helper, `criu.rs`) while the loop keeps answering, and its exit answers the
//! client: RUNNING again (CRIU thawed it), or, with `stop`, the end that follows CRIU's kill.
//! On a failure CRIU thaws the container and leaves it running; the answer is CRIU's own
//! message from its log.
use crate::children::Role;
use crate::conn::Request;
use crate::criu::{self, Dump, DumpJob};
use crate::event_loop::Shim;
use crate::lifecycle::{Effect, Waiter};
use crate::methods::NOBODY;
use lxc_proto::checkpoint::{CheckpointMeta, DUMP_LOG};
use lxc_proto::framing::{error_line, ok_line, ErrorCode, RpcError};
use lxc_proto::request::CheckpointParams;
use lxc_proto::response::StateReply;
use lxc_proto::{Call, ExitStatus};
use mio::Token;
use nix::unistd::Pid;
use std::path::PathBuf;

impl Shim {
    /// A `checkpoint` request is the loop's own (it runs a child): started here and parked.
    /// `None` for any other request; else whether the client is still there.
    pub(crate) fn on_checkpoint_call(
        &mut self,
        token: Token,
        req: &mut Request,
        fx: &mut Vec<Effect>,
    ) -> Option<bool> {
        let Ok(Call::Checkpoint(p)) = &mut req.call else {
            return None;
        };
        let has_id = req.id.is_some();
        let waiter = Waiter {
            token: if has_id { token } else { NOBODY },
            id: req.id.clone().unwrap_or_default(),
        };
        self.checkpoint(std::mem::take(p), waiter, fx);
        match self.clients.get_mut(token) {
            Some(conn) => {
                if has_id {
                    conn.park();
                }
                Some(true)
            }
            None => Some(false),
        }
    }

    /// Starts a dump for `waiter`; answers at once when it cannot start. Not inlined into the
    /// request path: its locals would take stack on every request.
    #[inline(never)]
    pub(crate) fn checkpoint(&mut self, p: CheckpointParams, waiter: Waiter, fx: &mut Vec<Effect>) {
        let fail = |fx: &mut Vec<Effect>, waiter: Waiter, e: RpcError| {
            let line = error_line(&waiter.id, &e);
            fx.push(Effect::Answer(waiter, line));
        };
        let dir = PathBuf::from(&p.directory);
        if self.dump.is_some() {
            let e = RpcError::new(ErrorCode::InvalidState, "a checkpoint is in progress");
            return fail(fx, waiter, e);
        }
        if !dir.is_absolute() {
            let e = RpcError::new(ErrorCode::InvalidParams, "the directory must be absolute");
            return fail(fx, waiter, e);
        }
        // The masters are ours, outside the tree CRIU dumps: their slaves are its externals.
        let terminals = match self.terminals.as_deref().map(crate::ckpt_tty::describe) {
            None => Vec::new(),
            Some(Ok(t)) => t,
            Some(Err(m)) => return fail(fx, waiter, RpcError::new(ErrorCode::Internal, m)),
        };
        if let Err(e) = self.life.begin_checkpoint(fx) {
            return fail(fx, waiter, e);
        }
        let cg = self.life.cgroup();
        let job = DumpJob {
            init: self.life.init(),
            procs: cg.procs().unwrap_or_default(),
            dir: dir.clone(),
            stop: p.stop,
            freezer: cg.freezer().map(|f| f.dir().to_path_buf()),
            meta: CheckpointMeta {
                name: self.life.name().to_string(),
                system: self.life.is_system(),
                command: self.facts.command.clone(),
                interfaces: self.facts.network.interfaces.clone(),
                cgroups: cg.dirs().iter().map(|d| d.display().to_string()).collect(),
                terminals,
                ..CheckpointMeta::default()
            },
        };
        match criu::spawn_dump(&job) {
            Ok(pid) => {
                self.children.register(pid, Role::Criu);
                log::info!("checkpoint to {} (criu helper {pid})", dir.display());
                self.dump = Some(Dump {
                    pid,
                    dir,
                    stop: p.stop,
                    waiter,
                });
            }
            Err(message) => {
                self.life.end_checkpoint(fx);
                fail(fx, waiter, RpcError::new(ErrorCode::Internal, message));
            }
        }
    }

    /// The dump's helper has ended.
    #[inline(never)]
    pub(crate) fn on_dump_end(&mut self, pid: Pid, status: ExitStatus, fx: &mut Vec<Effect>) {
        let Some(dump) = self.dump.take_if(|d| d.pid == pid) else {
            return;
        };
        self.life.end_checkpoint(fx);
        let line = if status == ExitStatus::exited(0) {
            log::info!("checkpoint to {} done", dump.dir.display());
            let state = self.life.state();
            if dump.stop {
                // CRIU killed the tree; the end follows through the init's exit.
                log::info!("stopped after the checkpoint");
            }
            ok_line(&dump.waiter.id, &StateReply { state })
        } else {
            // CRIU thaws what it froze; a CRIU that died on the way may not have.
            if let Some(f) = self.life.cgroup().freezer() {
                let _ = f.thaw();
            }
            let message = criu::log_error(&dump.dir.join(DUMP_LOG));
            log::error!("checkpoint failed: {message}");
            error_line(
                &dump.waiter.id,
                &RpcError::new(ErrorCode::Internal, message),
            )
        };
        fx.push(Effect::Answer(dump.waiter, line));
        // A stopped container's end waited for the dump.
        self.advance_ending(fx);
    }
}
