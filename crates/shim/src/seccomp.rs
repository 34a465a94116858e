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
//! Only the host's own architecture is filtered: a call through another ABI (i386's int 0x80,
//! x32) kills the process (seccompiler's architecture check) or fails with ENOSYS (x32),
//! where LXC also filters the compat architectures with the same rules.
mod syscalls;

use lxc_config::seccomp::{Action, ArgCmp, CmpOp, Profile, Syscall};
use lxc_config::Settings;
use seccompiler::{
    SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
    TargetArch,
};
use std::collections::BTreeMap;

/// `MNT_FORCE` (umount(2)), for LXC's `reject_force_umount`.
const MNT_FORCE: u64 = 1;
/// `AUDIT_ARCH_X86_64` (linux/audit.h).
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// x32 syscalls are x86_64's with this bit set.
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

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

/// One syscall's conditions within one action: `None` matches always.
type Conditions = Option<Vec<SeccompRule>>;

/// The programs for `profile` on a host of Rust's architecture `arch`.
pub fn compile(profile: &Profile, arch: &str) -> Result<Programs, String> {
    if arch != "x86_64" {
        return Err(format!(
            "seccomp profiles are supported on x86_64 hosts only (this one is {arch})"
        ));
    }
    let mut by_action: BTreeMap<Action, BTreeMap<i64, Conditions>> = BTreeMap::new();
    for rule in &profile.rules {
        if rule.arch != "all" && rule.arch != "x86_64" {
            continue; // another architecture's section (LXC skips those too)
        }
        let (nr, action, args) = match &rule.syscall {
            Syscall::Number(n) => (*n, rule.action, rule.args.clone()),
            Syscall::Name(name) => match syscalls::x86_64(name) {
                Some(n) => (n, rule.action, rule.args.clone()),
                None => {
                    log::info!(
                        "seccomp: line {}: {name} is no x86_64 syscall: skipped",
                        rule.line
                    );
                    continue;
                }
            },
            Syscall::RejectForceUmount => (
                syscalls::x86_64("umount2").unwrap_or(166),
                Action::Errno(libc::EACCES as u32),
                vec![ArgCmp {
                    index: 1,
                    op: CmpOp::MaskedEq,
                    value: MNT_FORCE,
                    mask: MNT_FORCE,
                }],
            ),
        };
        if action == profile.default {
            continue;
        }
        let conditions = if args.is_empty() {
            None
        } else {
            Some(vec![
                rule_of(&args).map_err(|e| format!("line {}: {e}", rule.line))?
            ])
        };
        let slot = by_action
            .entry(action)
            .or_default()
            .entry(i64::from(nr))
            .or_insert_with(|| Some(Vec::new()));
        merge(slot, conditions);
    }
    let mut programs = vec![x32_guard()];
    // What is not the default: allowed by the default's program, decided by its own.
    if profile.default != Action::Allow {
        let mut named: BTreeMap<i64, Conditions> = BTreeMap::new();
        for rules in by_action.values() {
            for (nr, conditions) in rules {
                let slot = named.entry(*nr).or_insert_with(|| Some(Vec::new()));
                merge(slot, conditions.clone());
            }
        }
        programs.push(program(
            named,
            action_of(profile.default),
            SeccompAction::Allow,
        )?);
    }
    for (action, rules) in by_action {
        if action != Action::Allow {
            programs.push(program(rules, SeccompAction::Allow, action_of(action))?);
        }
    }
    Ok(programs)
}

/// Adds `more` to `slot`: unconditional wins; otherwise the rules add up (any one matches).
fn merge(slot: &mut Conditions, more: Conditions) {
    match (slot.as_mut(), more) {
        (None, _) => {}
        (Some(_), None) => *slot = None,
        (Some(rules), Some(extra)) => rules.extend(extra),
    }
}

fn program(
    rules: BTreeMap<i64, Conditions>,
    mismatch: SeccompAction,
    matched: SeccompAction,
) -> Result<Vec<libc::sock_filter>, String> {
    let rules = rules
        .into_iter()
        .map(|(nr, c)| (nr, c.unwrap_or_default()))
        .collect();
    let filter = SeccompFilter::new(rules, mismatch, matched, TargetArch::x86_64)
        .map_err(|e| format!("cannot compile the profile: {e}"))?;
    let bpf: seccompiler::BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| format!("cannot compile the profile: {e}"))?;
    Ok(bpf
        .into_iter()
        .map(|i| libc::sock_filter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect())
}

/// All of a rule's comparisons must hold.
fn rule_of(args: &[ArgCmp]) -> Result<SeccompRule, String> {
    let conditions = args
        .iter()
        .map(|a| {
            let op = match a.op {
                CmpOp::Ne => SeccompCmpOp::Ne,
                CmpOp::Lt => SeccompCmpOp::Lt,
                CmpOp::Le => SeccompCmpOp::Le,
                CmpOp::Eq => SeccompCmpOp::Eq,
                CmpOp::Ge => SeccompCmpOp::Ge,
                CmpOp::Gt => SeccompCmpOp::Gt,
                CmpOp::MaskedEq => SeccompCmpOp::MaskedEq(a.mask),
            };
            SeccompCondition::new(a.index, SeccompCmpArgLen::Qword, op, a.value)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    SeccompRule::new(conditions).map_err(|e| e.to_string())
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

/// x32 calls come with x86_64's architecture and their own numbers (`X32_SYSCALL_BIT`), which
/// no rule names: they fail with ENOSYS rather than slip past a denylist.
fn x32_guard() -> Vec<libc::sock_filter> {
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |code: u32, k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    let load = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    vec![
        stmt(load, 4), // seccomp_data.arch
        jump(
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            AUDIT_ARCH_X86_64,
            0,
            3,
        ),
        stmt(load, 0), // seccomp_data.nr
        jump(
            libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K,
            X32_SYSCALL_BIT,
            0,
            1,
        ),
        stmt(
            libc::BPF_RET | libc::BPF_K,
            libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32,
        ),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
    ]
}

#[cfg(test)]
mod tests;
