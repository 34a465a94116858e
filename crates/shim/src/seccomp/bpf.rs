//! The classic BPF programs: seccompiler's per-syscall bodies, one per ABI, joined behind a
//! dispatch on `seccomp_data.arch` (a call of an ABI a program has no body for passes it),
//! and the guard that answers for what no body does: x32 numbers fail with ENOSYS, any
//! architecture other than x86_64 and i386 is killed.
use super::abi::{Abi, Conditions, ABIS};
use seccompiler::{SeccompAction, SeccompFilter, TargetArch};
use std::collections::BTreeMap;

/// The kernel's BPF_MAXINSNS: the longest program seccomp(2) takes.
const MAX_INSNS: usize = 4096;
/// x32 syscalls are x86_64's with this bit set.
const X32_SYSCALL_BIT: u32 = 0x4000_0000;
/// `offsetof(struct seccomp_data, nr)` and `arch`.
const DATA_NR: u32 = 0;
const DATA_ARCH: u32 = 4;
const LOAD: u32 = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
const JEQ: u32 = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
const JGE: u32 = libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K;
const JA: u32 = libc::BPF_JMP | libc::BPF_JA;
const RET: u32 = libc::BPF_RET | libc::BPF_K;

pub type Program = Vec<libc::sock_filter>;

fn stmt(code: u32, k: u32) -> libc::sock_filter {
    jump(code, k, 0, 0)
}

fn jump(code: u32, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

/// The rules of each ABI (in `ABIS` order) as one program: a call of that ABI gets `matched`
/// where its rules hold and `mismatch` elsewhere. None when it would allow every call; two
/// when one would be longer than the kernel takes.
pub fn program(
    rules: [BTreeMap<i64, Conditions>; 2],
    mismatch: SeccompAction,
    matched: SeccompAction,
) -> Result<Vec<Program>, String> {
    let allow_all = [stmt(RET, libc::SECCOMP_RET_ALLOW)];
    let mut bodies = Vec::new();
    for (abi, rules) in ABIS.into_iter().zip(rules) {
        let body = body(rules, mismatch.clone(), matched.clone())?;
        if !same(&body, &allow_all) {
            bodies.push((abi, body));
        }
    }
    if bodies.is_empty() {
        return Ok(Vec::new());
    }
    let joined = dispatch(&bodies);
    if joined.len() <= MAX_INSNS {
        return Ok(vec![joined]);
    }
    bodies
        .iter()
        .map(|b| {
            let one = dispatch(std::slice::from_ref(b));
            if one.len() > MAX_INSNS {
                return Err(format!(
                    "the profile compiles to {} instructions, more than the kernel's {MAX_INSNS}",
                    one.len()
                ));
            }
            Ok(one)
        })
        .collect()
}

/// seccompiler's program for `rules` without its architecture check (`dispatch` does that).
fn body(
    rules: BTreeMap<i64, Conditions>,
    mismatch: SeccompAction,
    matched: SeccompAction,
) -> Result<Program, String> {
    let rules = rules
        .into_iter()
        .map(|(nr, c)| (nr, c.unwrap_or_default()))
        .collect();
    let filter = SeccompFilter::new(rules, mismatch, matched, TargetArch::x86_64)
        .map_err(|e| format!("cannot compile the profile: {e}"))?;
    let bpf: seccompiler::BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| format!("cannot compile the profile: {e}"))?;
    let bpf: Program = bpf
        .into_iter()
        .map(|i| jump(u32::from(i.code), i.k, i.jt, i.jf))
        .collect();
    // seccompiler's programs start with: load the arch, skip the next if x86_64, kill.
    let check = [
        stmt(LOAD, DATA_ARCH),
        jump(JEQ, Abi::X86_64.audit_arch(), 1, 0),
        stmt(RET, libc::SECCOMP_RET_KILL_PROCESS),
    ];
    match bpf.get(..check.len()) {
        Some(start) if same(start, &check) => Ok(bpf[check.len()..].to_vec()),
        _ => Err(
            "cannot compile the profile: seccompiler's program does not start with \
                  its architecture check"
                .into(),
        ),
    }
}

/// Each body behind a test of its ABI's architecture; any other architecture is allowed. The
/// bodies end in returns and jump only forward within themselves, so they stay as they are.
fn dispatch(bodies: &[(Abi, Program)]) -> Program {
    let mut out = vec![stmt(LOAD, DATA_ARCH)];
    for (abi, body) in bodies {
        out.push(jump(JEQ, abi.audit_arch(), 1, 0));
        out.push(stmt(JA, body.len() as u32));
        out.extend_from_slice(body);
    }
    out.push(stmt(RET, libc::SECCOMP_RET_ALLOW));
    out
}

fn same(a: &[libc::sock_filter], b: &[libc::sock_filter]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x.code, x.jt, x.jf, x.k) == (y.code, y.jt, y.jf, y.k))
}

/// The first program: x86_64 calls pass, except x32 numbers (`X32_SYSCALL_BIT`), which no
/// rule names: they fail with ENOSYS (this kernel has no x32 ABI either) rather than slip
/// past a denylist; i386 calls pass (the other programs' i386 bodies decide them); any other
/// architecture kills the process.
pub fn guard() -> Program {
    vec![
        stmt(LOAD, DATA_ARCH),
        jump(JEQ, Abi::X86_64.audit_arch(), 2, 0),
        jump(JEQ, Abi::I386.audit_arch(), 4, 0),
        stmt(RET, libc::SECCOMP_RET_KILL_PROCESS),
        stmt(LOAD, DATA_NR),
        jump(JGE, X32_SYSCALL_BIT, 0, 1),
        stmt(RET, libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32),
        stmt(RET, libc::SECCOMP_RET_ALLOW),
    ]
}
