//! CHECKPOINTING: the container is frozen while CRIU dumps it (CRIU freezes and thaws it
//! through the freezer cgroup itself). Only a RUNNING container can be dumped; the state
//! goes back to RUNNING after a dump that left it running, or on to STOPPING once CRIU has
//! killed it (`-s`).
use super::{Effect, Lifecycle};
use lxc_proto::framing::{ErrorCode, RpcError};
use lxc_proto::State;

impl Lifecycle {
    /// Enters CHECKPOINTING; an error if the container is not RUNNING.
    pub fn begin_checkpoint(&mut self, fx: &mut Vec<Effect>) -> Result<(), RpcError> {
        if self.state != State::Running || self.ending.is_some() {
            return Err(RpcError::new(
                ErrorCode::InvalidState,
                format!("{} is {}, not RUNNING", self.name, self.state),
            ));
        }
        if self.cgroup.freezer().is_none() {
            return Err(RpcError::new(
                ErrorCode::Internal,
                "no freezer cgroup on this host",
            ));
        }
        self.set_state(State::Checkpointing, fx);
        Ok(())
    }

    /// The dump has ended: RUNNING again unless the container is ending meanwhile.
    pub fn end_checkpoint(&mut self, fx: &mut Vec<Effect>) {
        if self.state == State::Checkpointing && self.ending.is_none() {
            self.set_state(State::Running, fx);
        }
    }

    /// A restored container runs from the start: RUNNING without a word from its init.
    pub fn restored(&mut self, fx: &mut Vec<Effect>) {
        self.on_running(fx);
    }

    /// Whether this is a system container (COMMAND is pid 1).
    pub fn is_system(&self) -> bool {
        self.system
    }
}
