//! `lxc.seccomp.profile`: LXC's profile (parsed by `lxc_config::seccomp`) compiled, in the
//! shim before the clone, into classic BPF programs that the container's first process
//! installs last before its exec (`install`). The compiler is seccompiler (pure Rust: no C
//! library at build or run time, nothing linked into the static shim beyond its code, no
//! tables of pointers). seccompiler gives one filter one match action, so a profile becomes
//! one program per action besides its default, plus one for the default; the kernel runs them
//! all and takes the most severe answer (kill > trap > errno > notify > trace > log >
//! allow), which is what a single libseccomp filter with those rules answers. `notify` is
//! compiled to a placeholder that `seccomp_notify` turns into SECCOMP_RET_USER_NOTIF.
//!
//! Each program answers for x86_64 and for i386 (`int 0x80`), each ABI with its own numbers
//! (`abi`), as LXC filters the compat architecture; a first program (`bpf::guard`) makes x32
//! calls fail with ENOSYS and kills any other architecture.
mod abi;
mod bpf;
mod syscalls;

use abi::{Conditions, ABIS};
use lxc_config::seccomp::{Action, Profile, Syscall};
use lxc_config::Settings;
use seccompiler::SeccompAction;
use std::collections::BTreeMap;

/// The compiled programs, to install in order; empty when there is no profile.
pub type Programs = Vec<Vec<libc::sock_filter>>;

/// What `lxc.seccomp.profile` asks for, compiled for this host. Errors name the profile's
/// file and line, or the key.
pub fn plan(settings: &Settings) -> Result<Programs, String> {
    let Some(file) = &settings.seccomp_profile else {
        return Ok(Vec::new());
    };
    let profile = lxc_config::seccomp::read_profile(&file.path).map_err(|e| {
        if e.line > 0 {
            e.to_string()
        } else {
            format!("{}: lxc.seccomp.profile: {e}", file.origin)
        }
    })?;
    if already_confined() && settings.seccomp_allow_nesting != Some(true) {
        // As LXC: a process under a filter already keeps it alone, unless nesting is allowed.
        log::info!("already under a seccomp filter: lxc.seccomp.profile not loaded (see lxc.seccomp.allow_nesting)");
        return Ok(Vec::new());
    }
    compile(&profile, std::env::consts::ARCH).map_err(|e| format!("{}: {e}", file.path.display()))
}

/// Whether this process runs under a seccomp filter already (`Seccomp:` of its status).
fn already_confined() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Seccomp:"))
        .is_some_and(|v| v.trim() != "0")
}

/// Per ABI (`ABIS` order), each syscall number's conditions.
type ByAbi = [BTreeMap<i64, Conditions>; 2];

/// The programs for `profile` on a host of Rust's architecture `arch`.
pub fn compile(profile: &Profile, arch: &str) -> Result<Programs, String> {
    if arch != "x86_64" {
        return Err(format!(
            "seccomp profiles are supported on x86_64 hosts only (this one is {arch})"
        ));
    }
    let mut by_action: BTreeMap<Action, ByAbi> = BTreeMap::new();
    for rule in &profile.rules {
        // LXC's reject_force_umount denies with EACCES whatever the section's action.
        let action = match rule.syscall {
            Syscall::RejectForceUmount => Action::Errno(libc::EACCES as u32),
            _ => rule.action,
        };
        if action == profile.default {
            continue;
        }
        let mut named = false;
        for abi in ABIS.into_iter().filter(|a| a.in_section(&rule.arch)) {
            let targets = abi::targets(abi, &rule.syscall, action, &rule.args)
                .map_err(|e| format!("line {}: {e}", rule.line))?;
            named |= !targets.is_empty();
            let slots = &mut by_action.entry(action).or_default()[abi.index()];
            for (nr, conditions) in targets {
                let slot = slots
                    .entry(i64::from(nr))
                    .or_insert_with(|| Some(Vec::new()));
                abi::merge(slot, conditions);
            }
        }
        if let (false, Syscall::Name(name)) = (named, &rule.syscall) {
            // As LXC: a name this host does not know is skipped.
            log::info!(
                "seccomp: line {}: {name} is no syscall of [{}] here (or its comparisons \
                 never hold): skipped",
                rule.line,
                rule.arch
            );
        }
    }
    let mut programs = vec![bpf::guard()];
    // What is not the default: allowed by the default's program, decided by its own.
    if profile.default != Action::Allow {
        let mut named = ByAbi::default();
        for rules in by_action.values() {
            for (all, these) in named.iter_mut().zip(rules) {
                for (nr, conditions) in these {
                    let slot = all.entry(*nr).or_insert_with(|| Some(Vec::new()));
                    abi::merge(slot, conditions.clone());
                }
            }
        }
        let default = bpf::program(named, action_of(profile.default), SeccompAction::Allow)?;
        programs.extend(one_if_notify(profile.default, default)?);
    }
    for (action, rules) in by_action {
        if action != Action::Allow {
            let these = bpf::program(rules, SeccompAction::Allow, action_of(action))?;
            programs.extend(one_if_notify(action, these)?);
        }
    }
    Ok(programs)
}

/// A task holds one listener: `notify`'s rules must fit one program (not split per ABI).
fn one_if_notify(action: Action, programs: Programs) -> Result<Programs, String> {
    if action == Action::Notify && programs.len() > 1 {
        return Err(
            "the notify rules do not fit one seccomp program (4096 instructions for \
             both ABIs): notify fewer calls"
                .into(),
        );
    }
    Ok(programs)
}

fn action_of(action: Action) -> SeccompAction {
    match action {
        Action::Allow => SeccompAction::Allow,
        Action::Kill => SeccompAction::KillProcess,
        Action::Trap => SeccompAction::Trap,
        Action::Errno(n) => SeccompAction::Errno(n),
        Action::Trace(n) => SeccompAction::Trace(n),
        Action::Log => SeccompAction::Log,
        // Made SECCOMP_RET_USER_NOTIF by `seccomp_notify::prepare` (seccompiler has no such
        // action).
        Action::Notify => SeccompAction::Errno(crate::seccomp_notify::PLACEHOLDER),
    }
}

#[cfg(test)]
mod abi_tests;
#[cfg(test)]
mod tests;
