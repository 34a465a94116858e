//! How the container's filesystem set-up reports: a failed step (what was tried, on which
//! path) with its errno, or success with a reason it had to degrade.
use nix::errno::Errno;

/// What `set_up` reports besides success: a reason it had to degrade (logged by the shim).
pub type Warning = Option<String>;

/// A failed step and its errno.
pub type StepError = (String, Errno);

pub fn step(what: impl Fn() -> String) -> impl Fn(Errno) -> StepError {
    move |e| (what(), e)
}

/// Why the set-up stopped: a step, or a hook (its whole message).
#[derive(Debug)]
pub enum SetupError {
    Step(StepError),
    Hook(String),
}

impl From<StepError> for SetupError {
    fn from(e: StepError) -> Self {
        SetupError::Step(e)
    }
}
