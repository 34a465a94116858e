//! What one profile rule means for each syscall ABI a filter answers for on an x86_64 host:
//! x86_64 itself and i386 (`int 0x80`, CONFIG_IA32_EMULATION). A rule becomes, per ABI, the
//! syscall numbers it names there and the conditions under which it matches; i386 sees the
//! low 32 bits of each argument (what its syscalls use), and its socket and System V IPC calls
//! are also reached through the `socketcall` and `ipc` multiplexers.
use super::syscalls;
use lxc_config::seccomp::{Action, ArgCmp, CmpOp, Syscall};
use seccompiler::{SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompRule};

/// `MNT_FORCE` (umount(2)), for LXC's `reject_force_umount`.
const MNT_FORCE: u64 = 1;
/// `ipc(2)` takes a version in the upper 16 bits of its call (`call >> 16`, ipc/syscall.c).
const IPC_CALL_MASK: u64 = 0xffff;

/// A syscall ABI a filter answers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abi {
    X86_64,
    I386,
}

/// Both, in the order programs test them.
pub const ABIS: [Abi; 2] = [Abi::X86_64, Abi::I386];

impl Abi {
    /// `AUDIT_ARCH_*` (linux/audit.h): `seccomp_data.arch` of a call through this ABI.
    pub fn audit_arch(self) -> u32 {
        match self {
            Abi::X86_64 => 0xc000_003e,
            Abi::I386 => 0x4000_0003,
        }
    }

    /// Its index in `ABIS`.
    pub fn index(self) -> usize {
        match self {
            Abi::X86_64 => 0,
            Abi::I386 => 1,
        }
    }

    /// Whether the rules of the profile section `[section]` apply to this ABI. As LXC 5 reads
    /// a profile on an x86_64 host, a section only says whether its rules concern this host:
    /// `[all]` (and the rules before any section), `[x86_64]`, `[x86]` and `[x32]` rules go
    /// to every ABI the host filters (a denial written under `[x86_64]` holds for i386 calls
    /// too); other architectures' sections are skipped.
    pub fn in_section(self, section: &str) -> bool {
        matches!(section, "all" | "x86_64" | "x86" | "x32")
    }

    /// The number of `name` in this ABI.
    fn number(self, name: &str) -> Option<u32> {
        match self {
            Abi::X86_64 => syscalls::x86_64(name),
            Abi::I386 => syscalls::i386(name),
        }
    }
}

/// When one syscall matches an action: `None` always, else when any one rule holds.
pub type Conditions = Option<Vec<SeccompRule>>;

/// Adds `more` to `slot`: unconditional wins; otherwise the rules add up (any one matches).
pub fn merge(slot: &mut Conditions, more: Conditions) {
    match (slot.as_mut(), more) {
        (None, _) => {}
        (Some(_), None) => *slot = None,
        (Some(rules), Some(extra)) => rules.extend(extra),
    }
}

/// What a rule names in `abi`: each syscall number with its conditions (`None`: always).
/// Empty when the name is no syscall there or the comparisons can never hold.
pub fn targets(
    abi: Abi,
    syscall: &Syscall,
    action: Action,
    args: &[ArgCmp],
) -> Result<Vec<(u32, Conditions)>, String> {
    let mut out = Vec::new();
    match syscall {
        // Version 1's numbers are the host's own.
        Syscall::Number(n) => {
            if abi == Abi::X86_64 {
                push(&mut out, abi, *n, &[], args)?;
            }
        }
        Syscall::RejectForceUmount => {
            let force = ArgCmp {
                index: 1,
                op: CmpOp::MaskedEq,
                value: MNT_FORCE,
                mask: MNT_FORCE,
            };
            if let Some(nr) = abi.number("umount2") {
                push(&mut out, abi, nr, &[], &[force])?;
            }
        }
        Syscall::Name(name) => {
            match abi {
                Abi::X86_64 => {
                    if let Some(nr) = abi.number(name) {
                        push(&mut out, abi, nr, &[], args)?;
                    }
                }
                Abi::I386 => {
                    // Its own call of the name, and what i386's libc calls in its place
                    // (`fchown32` for fchown), each with the comparisons moved to where it
                    // has the arguments.
                    let own = abi.number(name).map(|nr| (nr, syscalls::i386_layout(name)));
                    for (nr, layout) in own.into_iter().chain(syscalls::i386_variants(name)) {
                        let (moved, lost) = relaid(args, layout);
                        if !lost || action != Action::Allow {
                            push(&mut out, abi, nr, &[], &moved)?;
                        }
                    }
                }
            }
            if let (Abi::I386, Some((mux, call))) = (abi, syscalls::multiplexed(name)) {
                let (op, mask) = if mux == syscalls::I386_IPC {
                    (CmpOp::MaskedEq, IPC_CALL_MASK)
                } else {
                    (CmpOp::Eq, 0)
                };
                let call = ArgCmp {
                    index: 0,
                    op,
                    value: u64::from(call),
                    mask,
                };
                // The multiplexed call's own arguments are in the caller's memory, out of a
                // filter's sight: a rule that compares them answers for every such call,
                // unless it allows (then the call is left to what the rest decides).
                if args.is_empty() || action != Action::Allow {
                    push(&mut out, abi, mux, &[call], &[])?;
                }
            }
        }
    }
    Ok(out)
}

/// `args` (x86_64's argument indexes) moved to where an i386 call of `layout` (see
/// `syscalls::I386_LAYOUTS`) has them; and whether a comparison was left out because no one
/// argument holds its value there (a rule that denies then denies without it; one that
/// allows leaves the call to the rest of the profile).
fn relaid(args: &[ArgCmp], layout: &str) -> (Vec<ArgCmp>, bool) {
    let mut lost = false;
    let mut moved = Vec::with_capacity(args.len());
    for a in args {
        match layout.as_bytes().get(usize::from(a.index)) {
            None => moved.push(*a),
            Some(b'-') => lost = true,
            Some(at) => moved.push(ArgCmp {
                index: at - b'0',
                ..*a
            }),
        }
    }
    (moved, lost)
}

/// Adds syscall `nr` when all of `fixed` and `args` can hold.
fn push(
    out: &mut Vec<(u32, Conditions)>,
    abi: Abi,
    nr: u32,
    fixed: &[ArgCmp],
    args: &[ArgCmp],
) -> Result<(), String> {
    let mut conditions = Vec::new();
    for a in fixed.iter().chain(args) {
        match condition(abi, a)? {
            Cmp::Always => {}
            Cmp::Never => return Ok(()),
            Cmp::Check(c) => conditions.push(c),
        }
    }
    if conditions.is_empty() {
        out.push((nr, None));
    } else {
        let rule = SeccompRule::new(conditions).map_err(|e| e.to_string())?;
        out.push((nr, Some(vec![rule])));
    }
    Ok(())
}

/// One comparison, decided at compile time where the ABI settles it.
enum Cmp {
    Always,
    Never,
    Check(SeccompCondition),
}

/// `a` for `abi`. As libseccomp: `&=` holds when `(arg & mask) == value`, so never when the
/// value has bits outside the mask. On i386 an argument is 32 bits: a value beyond them
/// decides the comparison at once.
fn condition(abi: Abi, a: &ArgCmp) -> Result<Cmp, String> {
    if a.op == CmpOp::MaskedEq && a.value & !a.mask != 0 {
        return Ok(Cmp::Never);
    }
    let (len, mask) = match abi {
        Abi::X86_64 => (SeccompCmpArgLen::Qword, a.mask),
        Abi::I386 => {
            if a.value > u64::from(u32::MAX) {
                return Ok(match a.op {
                    CmpOp::Ne | CmpOp::Lt | CmpOp::Le => Cmp::Always,
                    CmpOp::Eq | CmpOp::Gt | CmpOp::Ge | CmpOp::MaskedEq => Cmp::Never,
                });
            }
            (SeccompCmpArgLen::Dword, a.mask & u64::from(u32::MAX))
        }
    };
    let op = match a.op {
        CmpOp::Ne => SeccompCmpOp::Ne,
        CmpOp::Lt => SeccompCmpOp::Lt,
        CmpOp::Le => SeccompCmpOp::Le,
        CmpOp::Eq => SeccompCmpOp::Eq,
        CmpOp::Ge => SeccompCmpOp::Ge,
        CmpOp::Gt => SeccompCmpOp::Gt,
        CmpOp::MaskedEq => SeccompCmpOp::MaskedEq(mask),
    };
    SeccompCondition::new(a.index, len, op, a.value)
        .map(Cmp::Check)
        .map_err(|e| e.to_string())
}
