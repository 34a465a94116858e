//! lxc.seccomp.profile in real containers beyond what security.rs covers: i386 calls (`int
//! $0x80`, made by test-abi-call) get the same answers as their x86_64 twins; the actions
//! trap, trace without a tracer and log; lxc.seccomp.allow_nesting under an inherited filter.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
use lxc_tests::*;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

/// The helper that makes one raw call through either ABI (tests/helpers/abi_call.rs).
const ABI_CALL: &str = env!("CARGO_BIN_EXE_test-abi-call");

/// i386 and x86_64 numbers of the calls used below.
const I386_MKDIR: &str = "39";
const X86_64_MKDIR: &str = "83";
const I386_RMDIR: &str = "40";
const I386_GETPID: &str = "20";
const I386_UMASK: &str = "60";
const X86_64_UMASK: &str = "95";
const I386_SOCKETCALL: &str = "102";
const I386_SOCKET: &str = "359";
const I386_IPC: &str = "117";
/// x86_64's mkdir with the x32 bit.
const X32_MKDIR: &str = "0x40000053";
const NOPE: &str = "s:/proc/lxct-nope";

/// Writes `text` as a profile file of `ct`'s and returns its `-s` option.
fn profile(ct: &Ct, file: &str, text: &str) -> String {
    let path = ct.lxcpath.join(file);
    std::fs::write(&path, text).unwrap();
    format!("lxc.seccomp.profile = {}", path.display())
}

/// `sh -c script` in a container with the `-s` options `keys`; asserts it exits 0.
fn sh(ct: &Ct, keys: &[&str], script: &str) -> String {
    let mut args = Vec::new();
    for k in keys {
        args.extend(["-s", k]);
    }
    args.extend(["--", "sh", "-c", script]);
    let out = ct.execute(&args);
    assert_eq!(code(&out), 0, "{script}: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn i386_calls_get_the_answers_of_their_x86_64_twins() {
    let ct = Ct::new("secabi");
    let key = profile(
        &ct,
        "p.seccomp",
        "2\ndenylist\n[all]\nmkdir errno 42\nmkdirat errno 42\nsocket errno 97\n\
         semget errno 28\n",
    );
    let dir = ct.lxcpath.join("gone");
    std::fs::create_dir(&dir).unwrap();
    let b = ABI_CALL;
    let script = format!(
        "{b} int80 {I386_MKDIR} {NOPE}; {b} syscall {X86_64_MKDIR} {NOPE}; \
         {b} int80 {I386_SOCKETCALL} 1 0; {b} int80 {I386_SOCKET} 2 1 0; \
         {b} int80 {I386_IPC} 0x10002 0 1 0; {b} syscall {X32_MKDIR} {NOPE}; \
         {b} int80 {I386_RMDIR} s:{}; {b} int80 {I386_GETPID}",
        dir.display()
    );
    // Denied alike (socket also through socketcall, semget through ipc, whatever its version
    // bits), x32 fails with ENOSYS, what the profile does not name works (rmdir, getpid).
    let out = sh(&ct, &[&key], &script);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..7],
        ["-42", "-42", "-97", "-97", "-28", "-38", "0"],
        "{out}"
    );
    assert!(lines[7].parse::<i32>().unwrap() > 1, "{out}");
    assert!(!dir.exists());
    // Without the profile the kernel answers: ENOENT in /proc, EFAULT for the null arguments.
    let out = sh(
        &ct,
        &[],
        &format!("{b} int80 {I386_MKDIR} {NOPE}; {b} int80 {I386_SOCKETCALL} 1 0"),
    );
    assert_eq!(out, "-2\n-14\n");
    ct.assert_clean();
}

/// i386 calls that i386's libc makes in place of the names a profile writes: 32-bit ids
/// (`fchown32`, `setuid32`) and 64-bit time (`clock_gettime64`).
const I386_FCHOWN32: &str = "207";
const I386_SETUID32: &str = "213";
const I386_CLOCK_GETTIME64: &str = "403";

#[test]
fn a_rule_covers_the_i386_variants_of_its_call() {
    let ct = Ct::new("secabiv");
    let key = profile(
        &ct,
        "v.seccomp",
        "2\ndenylist\nfchown errno 13\nsetuid errno 1\nclock_gettime errno 22\n",
    );
    // What glibc's chown(), setuid() and clock_gettime() call on i386 is denied as the names.
    let b = ABI_CALL;
    let script = format!(
        "{b} int80 {I386_FCHOWN32} 0x7fffffff 0 0; {b} int80 {I386_SETUID32} 0; \
         {b} int80 {I386_CLOCK_GETTIME64} 0 0"
    );
    assert_eq!(sh(&ct, &[&key], &script), "-13\n-1\n-22\n");
    // Without the profile the kernel answers: EBADF, success, EFAULT.
    assert_eq!(sh(&ct, &[], &script), "-9\n0\n-14\n");
    ct.assert_clean();
}

/// i386 calls whose 64-bit offset takes two arguments, which moves those after it.
const I386_FADVISE64: &str = "250";
const X86_64_FADVISE64: &str = "221";
const I386_READAHEAD: &str = "225";

#[test]
fn a_comparison_is_not_fooled_by_i386s_split_offsets() {
    let ct = Ct::new("secabio");
    // No POSIX_FADV_DONTNEED (4), no readahead of more than 64 KiB.
    let key = profile(
        &ct,
        "o.seccomp",
        "2\ndenylist\nfadvise64 errno 1 [3,4,==]\nreadahead errno 1 [2,65536,>]\n",
    );
    let b = ABI_CALL;
    // fd 3 a file; i386's fadvise64 is (fd, offset low, high, len, advice), x86_64's (fd,
    // offset, len, advice); i386's readahead (fd, offset low, high, count).
    let script = format!(
        "exec 3</bin/sh; {b} syscall {X86_64_FADVISE64} 3 0 0 4; \
         {b} int80 {I386_FADVISE64} 3 0 0 0 4; {b} int80 {I386_FADVISE64} 3 0 0 0 0; \
         {b} int80 {I386_READAHEAD} 3 0 0 1048576; {b} int80 {I386_READAHEAD} 3 0 0 4096"
    );
    assert_eq!(sh(&ct, &[&key], &script), "-1\n-1\n0\n-1\n0\n");
    ct.assert_clean();
}

#[test]
fn a_kill_rule_kills_an_i386_call_and_x86_sections_hold_for_both_abis() {
    let ct = Ct::new("secabik");
    let key = profile(&ct, "k.seccomp", "2\ndenylist\numask kill\n");
    for call in [
        format!("exec {ABI_CALL} int80 {I386_UMASK} 0"),
        format!("exec {ABI_CALL} syscall {X86_64_UMASK} 0"),
    ] {
        let out = ct.execute(&["-s", &key, "--", "sh", "-c", &call]);
        assert_eq!(code(&out), 128 + 31, "{call}: killed by SIGSYS");
    }
    let key = profile(
        &ct,
        "s.seccomp",
        "2\ndenylist\n[x86_64]\nmkdir errno 5\nmkdirat errno 5\n[x86]\nrmdir errno 6\n",
    );
    // As LXC 5: a section names the host family, not one ABI.
    let script = format!(
        "{ABI_CALL} syscall {X86_64_MKDIR} {NOPE}; {ABI_CALL} int80 {I386_MKDIR} {NOPE}; \
         {ABI_CALL} int80 {I386_RMDIR} {NOPE}"
    );
    assert_eq!(sh(&ct, &[&key], &script), "-5\n-5\n-6\n");
    ct.assert_clean();
}

const MKDIR_ERRNO: &str =
    "import os\ntry:\n    os.mkdir('/proc/lxct-nope')\nexcept OSError as e:\n    print(e.errno)\n";

#[test]
fn trap_kills_with_sigsys() {
    let ct = Ct::new("sectrap");
    let key = profile(&ct, "t.seccomp", "2\ndenylist\nmkdir trap\nmkdirat trap\n");
    for call in [
        "exec mkdir /proc/lxct-nope".to_string(),
        format!("exec {ABI_CALL} int80 {I386_MKDIR} {NOPE}"),
    ] {
        let out = ct.execute(&["-s", &key, "--", "sh", "-c", &call]);
        assert_eq!(code(&out), 128 + 31, "{call}: {}", stderr(&out));
    }
    ct.assert_clean();
}

/// seccomp(2): with no tracer, a call that SECCOMP_RET_TRACE answers fails with ENOSYS.
#[test]
fn trace_without_a_tracer_fails_with_enosys() {
    let ct = Ct::new("sectrace");
    let key = profile(
        &ct,
        "r.seccomp",
        "2\ndenylist\nmkdir trace 7\nmkdirat trace 7\n",
    );
    let out = ct.execute(&["-s", &key, "--", "python3", "-c", MKDIR_ERRNO]);
    assert_eq!(stdout(&out), "38\n", "{}", stderr(&out));
    let script = format!("{ABI_CALL} int80 {I386_MKDIR} {NOPE}");
    assert_eq!(sh(&ct, &[&key], &script), "-38\n");
    ct.assert_clean();
}

/// `log` lets the call run and the kernel logs it: through the audit subsystem, which without
/// an audit daemon prints its records to the kernel log (type=1326, the executable's path,
/// the ABI and the number).
#[test]
fn log_lets_the_call_run_and_the_kernel_logs_it() {
    let ct = Ct::new("seclog");
    let key = profile(&ct, "l.seccomp", "2\ndenylist\nmkdir log\nmkdirat log\n");
    // A copy of the helper whose path only this test uses, to find its records.
    let exe = ct.lxcpath.join(format!("abi-call-{}", std::process::id()));
    std::fs::copy(ABI_CALL, &exe).unwrap();
    let script = format!(
        "{e} int80 {I386_MKDIR} {NOPE}; {e} syscall {X86_64_MKDIR} {NOPE}",
        e = exe.display()
    );
    assert_eq!(sh(&ct, &[&key], &script), "-2\n-2\n", "the calls ran");
    let want = [
        ("arch=40000003", format!("syscall={I386_MKDIR} ")),
        ("arch=c000003e", format!("syscall={X86_64_MKDIR} ")),
    ];
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let out = run(
            std::process::Command::new("dmesg").arg("--notime"),
            Duration::from_secs(10),
        );
        let log = stdout(&out);
        let ours: Vec<&str> = log
            .lines()
            .filter(|l| {
                l.contains("type=1326") && l.contains(&format!("exe=\"{}\"", exe.display()))
            })
            .collect();
        let found = want.iter().all(|(arch, nr)| {
            // code: SECCOMP_RET_LOG
            ours.iter().any(|l| {
                l.contains(arch) && l.contains(nr.as_str()) && l.contains("code=0x7ffc0000")
            })
        });
        if found {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no audit record of the logged calls in the kernel log: {ours:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    ct.assert_clean();
}

/// An allow-all filter installed in the child before it executes lxc-execute: what a
/// process already under seccomp (a nested container's manager) starts from.
fn under_a_filter(cmd: &mut std::process::Command) -> &mut std::process::Command {
    // SAFETY: the closure runs in the forked child before exec and only makes one prctl(2)
    // with a program that lives on its stack for the call (the kernel copies it); it takes no
    // lock and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            let mut allow = [libc::sock_filter {
                code: (libc::BPF_RET | libc::BPF_K) as u16,
                jt: 0,
                jf: 0,
                k: libc::SECCOMP_RET_ALLOW,
            }];
            let prog = libc::sock_fprog {
                len: 1,
                filter: allow.as_mut_ptr(),
            };
            // Root has CAP_SYS_ADMIN: no no_new_privs needed.
            let r = libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER as libc::c_ulong,
                &prog as *const libc::sock_fprog as libc::c_ulong,
                0,
                0,
            );
            if r == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        })
    }
}

#[test]
fn allow_nesting_loads_the_profile_under_an_inherited_filter() {
    let ct = Ct::new("secnest");
    let key = profile(
        &ct,
        "n.seccomp",
        "2\ndenylist\nmkdir errno 42\nmkdirat errno 42\n",
    );
    let script = format!("grep ^Seccomp: /proc/self/status; python3 -c \"{MKDIR_ERRNO}\"");
    let nested = |extra: &[&str]| {
        let mut args = vec!["-s", key.as_str()];
        for k in extra {
            args.extend(["-s", k]);
        }
        args.extend(["--", "sh", "-c", &script]);
        let mut cmd = ct.command("execute", &args);
        let out = run(under_a_filter(&mut cmd), Duration::from_secs(30));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        stdout(&out)
    };
    // As LXC: under a filter already, the profile is not loaded (the denied call reaches the
    // kernel: ENOENT), unless nesting is allowed.
    assert_eq!(nested(&[]), "Seccomp:\t2\n2\n");
    assert_eq!(
        nested(&["lxc.seccomp.allow_nesting = 1"]),
        "Seccomp:\t2\n42\n"
    );
    // Not under a filter, the profile loads either way.
    let out = sh(&ct, &[&key], &format!("python3 -c \"{MKDIR_ERRNO}\""));
    assert_eq!(out, "42\n");
    ct.assert_clean();
}
