//! What confines the container's first process beyond its namespaces: capabilities
//! (`lxc.cap.*`), `lxc.no_new_privs` and the seccomp filter (`lxc.seccomp.*`), decided before
//! the clone (`Confinement::of`, from the container's settings) and applied around the switch
//! to COMMAND's user (`enter`), the filter last before exec. lxc-attach applies the same
//! `Confinement` to the process it attaches.
use crate::caps::CapPlan;
use crate::seccomp::{self, Programs};
use crate::{seccomp_notify, sys_confine};
use lxc_config::Settings;
use nix::errno::Errno;
use std::os::fd::BorrowedFd;

/// Steps of `enter` as errors name them.
pub const STEP_CAPS: &str = "drop capabilities";
pub const STEP_NO_NEW_PRIVS: &str = "set no_new_privs";
pub const STEP_SECCOMP: &str = "install the seccomp filter";

/// `CAP_KILL`, which our init keeps to end every process of the container.
const CAP_KILL: u32 = 5;

/// `CAP_SYS_ADMIN`, which installing a filter without no_new_privs takes.
const CAP_SYS_ADMIN: u32 = 21;

/// The confinement of one container's processes.
#[derive(Debug, Default)]
pub struct Confinement {
    /// `None`: every capability stays.
    pub caps: Option<CapPlan>,
    /// `lxc.no_new_privs = 1`.
    pub no_new_privs: bool,
    /// The compiled seccomp programs (empty: no filter).
    pub seccomp: Programs,
    /// The program installed with a listener, which goes to the shim (the profile notifies
    /// and `lxc.seccomp.notify.proxy` is set).
    pub listener: Option<usize>,
}

impl Confinement {
    /// What `settings` ask for; errors name the key, or the profile's file and line.
    pub fn of(settings: &Settings) -> Result<Confinement, String> {
        let mut programs = seccomp::plan(settings)?;
        let notify = seccomp_notify::prepare(&mut programs);
        Ok(Confinement {
            caps: CapPlan::of(settings)?,
            no_new_privs: settings.no_new_privs == Some(true),
            seccomp: programs,
            listener: notify.filter(|_| settings.seccomp_notify_proxy.is_some()),
        })
    }

    /// Confines this process, which then executes the container's program: capabilities
    /// out of the sets it could pass on, `switch_user` (COMMAND's groups and user), then
    /// no_new_privs, then the filter, the last thing before the caller's exec. A listener
    /// (see `listener`) goes to the shim through `listener_to`.
    pub fn enter(
        &self,
        listener_to: Option<BorrowedFd<'_>>,
        switch_user: impl FnOnce() -> Result<(), (&'static str, Errno)>,
    ) -> Result<(), (&'static str, Errno)> {
        if let Some(caps) = &self.caps {
            caps.limit_inheritance().map_err(|e| (STEP_CAPS, e))?;
        }
        let filter = !self.seccomp.is_empty();
        // Without no_new_privs the filter needs CAP_SYS_ADMIN, which a switch to another user
        // takes away: its permitted set is kept across the switch (and cleared by the exec).
        if filter && !self.no_new_privs {
            nix::sys::prctl::set_keepcaps(true).map_err(|e| (STEP_SECCOMP, e))?;
        }
        switch_user()?;
        if self.no_new_privs {
            nix::sys::prctl::set_no_new_privs().map_err(|e| (STEP_NO_NEW_PRIVS, e))?;
        }
        if filter {
            if !self.no_new_privs {
                raise_sys_admin().map_err(|e| (STEP_SECCOMP, e))?;
            }
            seccomp_notify::install(&self.seccomp, self.listener, listener_to)
                .map_err(|e| (STEP_SECCOMP, e))?;
        }
        Ok(())
    }

    /// Our init gives up what COMMAND may not have, once COMMAND runs (lxc-init, which it
    /// becomes, inherits that), but CAP_KILL: it must still end what COMMAND leaves behind,
    /// and another user's processes take CAP_KILL to kill.
    pub fn restrict_init(&self) -> nix::Result<()> {
        match &self.caps {
            Some(caps) => {
                let init = caps.also_keeping(CAP_KILL);
                init.limit_inheritance()?;
                init.restrict_self()
            }
            None => Ok(()),
        }
    }
}

/// CAP_SYS_ADMIN into the effective set if the permitted set has it (a switched user's).
fn raise_sys_admin() -> nix::Result<()> {
    let sets = sys_confine::capget()?;
    let bit = 1u64 << CAP_SYS_ADMIN;
    if sets.effective & bit == 0 && sets.permitted & bit != 0 {
        sys_confine::capset(sys_confine::CapSets {
            effective: sets.effective | bit,
            ..sets
        })?;
    }
    Ok(())
}
