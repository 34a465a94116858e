//! The compiled programs run in a small classic BPF interpreter, call by call, as the kernel
//! runs them: what each ABI's calls get.
use super::syscalls;
use super::*;
use lxc_config::seccomp::parse_profile;

fn programs(text: &str) -> Result<Programs, String> {
    compile(&parse_profile(text, "p").unwrap(), "x86_64")
}

/// A call as a filter sees it (`struct seccomp_data`).
struct Call {
    arch: u32,
    nr: u32,
    args: [u64; 6],
}

const X86_64: u32 = 0xc000_003e;
const I386: u32 = 0x4000_0003;

fn call(arch: u32, nr: u32, args: &[u64]) -> Call {
    let mut all = [0; 6];
    all[..args.len()].copy_from_slice(args);
    Call {
        arch,
        nr,
        args: all,
    }
}

/// Runs one classic BPF program as the kernel does (the instructions our programs use).
fn run(program: &[libc::sock_filter], c: &Call) -> u32 {
    assert!(!program.is_empty() && program.len() <= 4096);
    let word = |offset: u32| -> u32 {
        match offset {
            0 => c.nr,
            4 => c.arch,
            16..=63 if offset.is_multiple_of(4) => {
                let arg = c.args[(offset as usize - 16) / 8];
                if offset.is_multiple_of(8) {
                    arg as u32
                } else {
                    (arg >> 32) as u32
                }
            }
            _ => panic!("load of offset {offset}"),
        }
    };
    let (mut a, mut pc) = (0u32, 0usize);
    loop {
        let i = program[pc];
        pc += 1;
        let code = u32::from(i.code);
        let branch = |taken: bool| usize::from(if taken { i.jt } else { i.jf });
        match code {
            c if c == libc::BPF_LD | libc::BPF_W | libc::BPF_ABS => a = word(i.k),
            c if c == libc::BPF_ALU | libc::BPF_AND | libc::BPF_K => a &= i.k,
            c if c == libc::BPF_JMP | libc::BPF_JA => pc += i.k as usize,
            c if c == libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K => pc += branch(a == i.k),
            c if c == libc::BPF_JMP | libc::BPF_JGT | libc::BPF_K => pc += branch(a > i.k),
            c if c == libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K => pc += branch(a >= i.k),
            c if c == libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K => pc += branch(a & i.k != 0),
            c if c == libc::BPF_RET | libc::BPF_K => return i.k,
            _ => panic!("instruction {code:#x} at {}", pc - 1),
        }
    }
}

/// What the kernel answers with all `programs` installed in order: the most severe action
/// (the lowest as a signed number), the latest program's among equals (seccomp(2)).
fn verdict(programs: &Programs, c: &Call) -> u32 {
    let mut best: Option<u32> = None;
    for p in programs.iter().rev() {
        let r = run(p, c);
        let severity = |v: u32| (v & libc::SECCOMP_RET_ACTION_FULL) as i32;
        if best.is_none_or(|b| severity(r) < severity(b)) {
            best = Some(r);
        }
    }
    best.unwrap()
}

const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
const KILL: u32 = libc::SECCOMP_RET_KILL_PROCESS;
fn errno(n: u32) -> u32 {
    libc::SECCOMP_RET_ERRNO | n
}

#[test]
fn all_rules_answer_for_i386_with_its_own_numbers() {
    let p = programs("2\ndenylist\n[all]\nmkdir errno 42\numask kill\n").unwrap();
    // mkdir: 83 on x86_64, 39 on i386; 83 on i386 is symlink, 39 on x86_64 getpid.
    assert_eq!(verdict(&p, &call(X86_64, 83, &[])), errno(42));
    assert_eq!(verdict(&p, &call(I386, 39, &[])), errno(42));
    assert_eq!(verdict(&p, &call(I386, 83, &[])), ALLOW);
    assert_eq!(verdict(&p, &call(X86_64, 39, &[])), ALLOW);
    assert_eq!(verdict(&p, &call(I386, 60, &[])), KILL);
    assert_eq!(verdict(&p, &call(X86_64, 95, &[])), KILL);
    // x32 numbers fail with ENOSYS, other architectures are killed (aarch64 here).
    assert_eq!(verdict(&p, &call(X86_64, 0x4000_0000 | 83, &[])), errno(38));
    assert_eq!(verdict(&p, &call(0xc000_00b7, 34, &[])), KILL);
    // A profile with no rule at all still has the guard.
    let none = programs("2\ndenylist\n").unwrap();
    assert_eq!(verdict(&none, &call(I386, 39, &[])), ALLOW);
    assert_eq!(verdict(&none, &call(0xc000_00b7, 34, &[])), KILL);
}

#[test]
fn x86_sections_hold_for_every_abi_as_in_lxc_5() {
    let p = programs("2\ndenylist\n[x86_64]\nmkdir errno 1\n[x86]\nrmdir errno 2\n[x32]\nchdir errno 3\n[arm64]\nchmod errno 4\n").unwrap();
    assert_eq!(verdict(&p, &call(X86_64, 83, &[])), errno(1));
    assert_eq!(verdict(&p, &call(I386, 39, &[])), errno(1));
    assert_eq!(verdict(&p, &call(X86_64, 84, &[])), errno(2));
    assert_eq!(verdict(&p, &call(I386, 40, &[])), errno(2));
    assert_eq!(verdict(&p, &call(X86_64, 80, &[])), errno(3));
    assert_eq!(verdict(&p, &call(I386, 12, &[])), errno(3));
    // Another architecture's section: skipped (chmod is 90 on x86_64, 15 on i386).
    assert_eq!(verdict(&p, &call(X86_64, 90, &[])), ALLOW);
    assert_eq!(verdict(&p, &call(I386, 15, &[])), ALLOW);
    // Rules before any section are [all]'s, as LXC reads them on x86_64.
    let p = programs("2\ndenylist\nrmdir errno 2\n").unwrap();
    assert_eq!(verdict(&p, &call(I386, 40, &[])), errno(2));
    assert_eq!(verdict(&p, &call(X86_64, 84, &[])), errno(2));
}

#[test]
fn allowlists_cover_i386_and_version_1_kills_it() {
    let p = programs("2\nallowlist errno 38\nread\nwrite\nmkdir trap\n[x86]\nwaitpid\n").unwrap();
    assert_eq!(verdict(&p, &call(I386, 3, &[])), ALLOW);
    assert_eq!(verdict(&p, &call(I386, 7, &[])), ALLOW);
    assert_eq!(verdict(&p, &call(X86_64, 7, &[])), errno(38));
    assert_eq!(verdict(&p, &call(I386, 5, &[])), errno(38));
    assert_eq!(verdict(&p, &call(I386, 39, &[])), libc::SECCOMP_RET_TRAP);
    assert_eq!(verdict(&p, &call(X86_64, 0, &[])), ALLOW);
    // Version 1's numbers are x86_64's: i386 gets the default (kill), as in LXC.
    let v1 = programs("1\nallowlist\n0\n1\n60\n231\n").unwrap();
    assert_eq!(verdict(&v1, &call(X86_64, 60, &[])), ALLOW);
    assert_eq!(verdict(&v1, &call(X86_64, 2, &[])), KILL);
    assert_eq!(verdict(&v1, &call(I386, 3, &[])), KILL);
}

#[test]
fn i386_compares_the_low_32_bits() {
    let p = programs(
        "2\ndenylist\nioctl errno 22 [1,0x5401,==]\nkill errno 1 [1,0x100000009,==]\n\
         dup errno 2 [0,0x100000000,<]\nprctl errno 3 [0,4,&=,6]\nfcntl errno 4 [1,1,&=,5]\n",
    )
    .unwrap();
    // i386's ioctl is 54: a 64-bit process's int 0x80 may leave junk in the high halves.
    assert_eq!(verdict(&p, &call(I386, 54, &[0, 0x5401])), errno(22));
    assert_eq!(
        verdict(&p, &call(I386, 54, &[0, 0xdead_0000_5401])),
        errno(22)
    );
    assert_eq!(verdict(&p, &call(I386, 54, &[0, 0x5402])), ALLOW);
    assert_eq!(verdict(&p, &call(X86_64, 16, &[0, 0x5401])), errno(22));
    assert_eq!(verdict(&p, &call(X86_64, 16, &[0, 0x1_0000_5401])), ALLOW);
    // A value beyond 32 bits: never equal on i386, always greater than its argument.
    assert_eq!(verdict(&p, &call(I386, 37, &[0, 9])), ALLOW);
    assert_eq!(
        verdict(&p, &call(X86_64, 62, &[0, 0x1_0000_0009])),
        errno(1)
    );
    assert_eq!(
        verdict(&p, &call(I386, 41, &[u64::from(u32::MAX)])),
        errno(2)
    );
    assert_eq!(verdict(&p, &call(X86_64, 32, &[0x1_0000_0000])), ALLOW);
    // &= : (arg & mask) == value on both.
    assert_eq!(verdict(&p, &call(I386, 172, &[4])), errno(3));
    assert_eq!(verdict(&p, &call(I386, 172, &[6])), ALLOW);
    assert_eq!(verdict(&p, &call(X86_64, 157, &[5])), errno(3));
    assert_eq!(verdict(&p, &call(X86_64, 157, &[2])), ALLOW);
    assert_eq!(verdict(&p, &call(X86_64, 157, &[0x1_0000_0004])), errno(3));
    assert_eq!(verdict(&p, &call(X86_64, 72, &[0, 1])), errno(4));
    assert_eq!(verdict(&p, &call(I386, 55, &[0, 5])), ALLOW);
    // A value with bits outside the mask never matches (libseccomp's meaning).
    let never = programs("2\ndenylist\nprctl errno 3 [0,3,&=,1]\n").unwrap();
    assert_eq!(verdict(&never, &call(X86_64, 157, &[1])), ALLOW);
    assert_eq!(verdict(&never, &call(X86_64, 157, &[3])), ALLOW);
}

#[test]
fn socket_and_ipc_calls_are_also_denied_through_their_multiplexers() {
    let p =
        programs("2\ndenylist\nsocket errno 97\nsemget errno 28\nbind errno 1 [0,3,==]\n").unwrap();
    assert_eq!(verdict(&p, &call(X86_64, 41, &[])), errno(97));
    assert_eq!(verdict(&p, &call(I386, 359, &[])), errno(97));
    assert_eq!(verdict(&p, &call(I386, 102, &[1])), errno(97));
    assert_eq!(verdict(&p, &call(I386, 102, &[3])), ALLOW);
    // ipc(2) ignores the upper 16 bits of its call (a version).
    assert_eq!(verdict(&p, &call(I386, 393, &[])), errno(28));
    assert_eq!(verdict(&p, &call(I386, 117, &[2])), errno(28));
    assert_eq!(verdict(&p, &call(I386, 117, &[0x1_0002])), errno(28));
    assert_eq!(verdict(&p, &call(I386, 117, &[3])), ALLOW);
    // Comparisons hold on the direct call; the multiplexed one hides its arguments, so a rule
    // that denies answers for all of them.
    assert_eq!(verdict(&p, &call(I386, 361, &[3])), errno(1));
    assert_eq!(verdict(&p, &call(I386, 361, &[4])), ALLOW);
    assert_eq!(verdict(&p, &call(I386, 102, &[2])), errno(1));
    // socketcall and ipc by name are i386's alone.
    let p = programs("2\ndenylist\nsocketcall errno 5\n").unwrap();
    assert_eq!(verdict(&p, &call(I386, 102, &[9])), errno(5));
    assert_eq!(verdict(&p, &call(X86_64, 102, &[])), ALLOW);
    // An allowlist's rule with comparisons leaves the multiplexed call to the default.
    let p = programs("2\nallowlist errno 1\nsocket allow [0,1,==]\naccept\n").unwrap();
    assert_eq!(verdict(&p, &call(I386, 359, &[1])), ALLOW);
    assert_eq!(verdict(&p, &call(I386, 359, &[2])), errno(1));
    assert_eq!(verdict(&p, &call(I386, 102, &[1])), errno(1));
    assert_eq!(verdict(&p, &call(I386, 102, &[5])), ALLOW);
    assert_eq!(verdict(&p, &call(X86_64, 43, &[])), ALLOW);
}

#[test]
fn a_rule_covers_the_i386_variants_libc_calls_in_its_place() {
    // fchown32 (207) for fchown (95), clock_gettime64 (403) for clock_gettime (265), with the
    // comparisons as written; mmap2's offset (arg 5) is in pages: a denial leaves it out.
    let p = programs(
        "2\ndenylist\nfchown errno 13 [1,0,==]\nclock_gettime errno 22\n\
         mmap errno 1 [2,4,&=,4] [5,0,!=]\n",
    )
    .unwrap();
    assert_eq!(verdict(&p, &call(I386, 95, &[3, 0])), errno(13));
    assert_eq!(verdict(&p, &call(I386, 207, &[3, 0])), errno(13));
    assert_eq!(verdict(&p, &call(I386, 207, &[3, 1])), ALLOW);
    assert_eq!(verdict(&p, &call(I386, 403, &[])), errno(22));
    assert_eq!(verdict(&p, &call(I386, 192, &[0, 0, 4, 0, 0, 0])), errno(1));
    assert_eq!(verdict(&p, &call(I386, 192, &[0, 0, 3, 0, 0, 0])), ALLOW);
    assert_eq!(verdict(&p, &call(X86_64, 207, &[])), ALLOW);
    // The old mmap (90) takes its arguments in memory: the denial holds for all of it.
    assert_eq!(verdict(&p, &call(I386, 90, &[0x1000])), errno(1));
    // An allowlist: the variant is allowed with its name, unless a comparison concerns an
    // argument it passes otherwise.
    let p = programs("2\nallowlist errno 1\nfchown\nmmap allow [5,0,==]\n").unwrap();
    assert_eq!(verdict(&p, &call(I386, 207, &[])), ALLOW);
    assert_eq!(verdict(&p, &call(I386, 192, &[])), errno(1));
    assert_eq!(verdict(&p, &call(I386, 90, &[0, 0, 0, 0, 0, 0])), errno(1));
}

#[test]
fn comparisons_follow_i386s_split_arguments() {
    // fadvise64: x86_64 (fd, offset, len, advice), i386 (fd, offset low, high, len, advice);
    // fadvise64_64 (272) has len in two too; clone's tls and child tid swap places.
    let p = programs(
        "2\ndenylist\nfadvise64 errno 1 [3,4,==]\nreadahead errno 1 [2,65536,>]\n\
         clone errno 2 [4,7,==]\npread64 errno 3 [0,9,==] [3,0,!=]\n",
    )
    .unwrap();
    assert_eq!(verdict(&p, &call(X86_64, 221, &[3, 0, 0, 4])), errno(1));
    assert_eq!(verdict(&p, &call(I386, 250, &[3, 0, 0, 0, 4])), errno(1));
    assert_eq!(verdict(&p, &call(I386, 250, &[3, 0, 0, 4, 0])), ALLOW);
    assert_eq!(verdict(&p, &call(I386, 272, &[3, 0, 0, 0, 0, 4])), errno(1));
    assert_eq!(verdict(&p, &call(I386, 272, &[3, 0, 0, 4, 0, 0])), ALLOW);
    assert_eq!(verdict(&p, &call(I386, 225, &[3, 0, 0, 1 << 20])), errno(1));
    assert_eq!(verdict(&p, &call(I386, 225, &[3, 0, 0, 4096])), ALLOW);
    assert_eq!(verdict(&p, &call(I386, 120, &[0, 0, 0, 7, 0])), errno(2));
    assert_eq!(verdict(&p, &call(I386, 120, &[0, 0, 0, 0, 7])), ALLOW);
    // pread64's offset is split on i386: the rule denies fd 9 whatever the offset.
    assert_eq!(verdict(&p, &call(I386, 180, &[9, 0, 0, 0, 0])), errno(3));
    assert_eq!(verdict(&p, &call(I386, 180, &[8, 0, 0, 5, 0])), ALLOW);
    assert_eq!(verdict(&p, &call(X86_64, 17, &[9, 0, 0, 0])), ALLOW);
}

#[test]
fn reject_force_umount_covers_i386() {
    let p = programs("2\ndenylist\nreject_force_umount\n").unwrap();
    let eacces = errno(libc::EACCES as u32);
    assert_eq!(verdict(&p, &call(X86_64, 166, &[0, 1])), eacces);
    assert_eq!(verdict(&p, &call(X86_64, 166, &[0, 2])), ALLOW);
    assert_eq!(verdict(&p, &call(I386, 52, &[0, 3])), eacces);
    assert_eq!(verdict(&p, &call(I386, 52, &[0, 0])), ALLOW);
}

#[test]
fn a_long_allowlist_is_split_by_abi_within_the_kernels_limit() {
    // Every x86_64 and i386 call with a comparison: too long for one program per action.
    let mut text = String::from("2\nallowlist\n");
    for name in syscalls::x86_64_names() {
        text.push_str(&format!("{name} allow [0,1,!=]\n"));
    }
    let p = programs(&text).unwrap();
    assert_eq!(p.len(), 3, "the guard and one program per ABI");
    assert!(p.iter().all(|prog| prog.len() <= 4096));
    assert_eq!(verdict(&p, &call(X86_64, 0, &[0, 0])), ALLOW);
    assert_eq!(verdict(&p, &call(X86_64, 0, &[1, 0])), KILL);
    assert_eq!(verdict(&p, &call(I386, 3, &[0, 0])), ALLOW);
    assert_eq!(verdict(&p, &call(I386, 3, &[1, 0])), KILL);
}

/// Random profiles (a fixed seed) compile to programs the kernel takes, and every call of
/// either ABI runs through them to a return.
#[test]
fn random_profiles_compile_to_programs_that_always_return() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let names =
        "mkdir socket accept semop ipc socketcall umask ioctl read frob reject_force_umount";
    let names: Vec<&str> = names.split(' ').collect();
    let actions = [
        "", "kill", "allow", "trap", "errno 1", "errno 2", "trace 3", "log",
    ];
    let sections = ["[all]", "[x86_64]", "[x86]", "[x32]", "[arm64]"];
    let values = [0, 1, 2, 0x5401, 0xffff_ffff, 0x1_0000_0000, u64::MAX];
    let ops = ["==", "!=", "<", "<=", ">", ">=", "&="];
    for _ in 0..300 {
        let policy = [
            "denylist",
            "allowlist",
            "denylist errno 5",
            "allowlist trap",
        ];
        let mut text = format!("2\n{}\n", policy[next(4) as usize]);
        for _ in 0..next(12) {
            if next(5) == 0 {
                text.push_str(sections[next(5) as usize]);
                text.push('\n');
                continue;
            }
            let action = actions[next(8) as usize];
            text.push_str(&format!("{} {action}", names[next(11) as usize]));
            if !action.is_empty() {
                for _ in 0..next(3) {
                    let (v, m) = (values[next(7) as usize], values[next(7) as usize]);
                    let op = ops[next(7) as usize];
                    text.push_str(&format!(" [{},{v},{op},{m}]", next(6)));
                }
            }
            text.push('\n');
        }
        let p = programs(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(p.iter().all(|prog| !prog.is_empty() && prog.len() <= 4096));
        for _ in 0..50 {
            let arch = [X86_64, I386, 0xc000_00b7][next(3) as usize];
            let nr = [39, 54, 83, 102, 117, 166, 359, 0x4000_0053][next(8) as usize] as u32;
            let args: Vec<u64> = (0..6).map(|_| values[next(7) as usize]).collect();
            verdict(&p, &call(arch, nr, &args));
        }
    }
}
