use super::*;

fn parse(text: &str) -> Result<Profile, String> {
    parse_profile(text, "p.seccomp").map_err(|e| e.to_string())
}

#[test]
fn lxc_common_profile_parses() {
    // /usr/share/lxc/config/common.seccomp of LXC 5.0.2, as written.
    let p = parse(
        "2\ndenylist\nreject_force_umount  # comment this to allow umount -f;  not recommended\n\
         [all]\nkexec_load errno 1\nopen_by_handle_at errno 1\ninit_module errno 1\n\
         finit_module errno 1\ndelete_module errno 1\n",
    )
    .unwrap();
    assert_eq!(p.version, 2);
    assert_eq!(p.default, Action::Allow);
    assert_eq!(p.rules.len(), 6);
    assert_eq!(p.rules[0].syscall, Syscall::RejectForceUmount);
    assert_eq!(p.rules[0].action, Action::Kill);
    assert_eq!(p.rules[1].syscall, Syscall::Name("kexec_load".into()));
    assert_eq!(p.rules[1].action, Action::Errno(1));
    assert_eq!(p.rules[1].line, 5);
}

#[test]
fn versions_defaults_sections_and_actions() {
    let p = parse("1\nwhitelist\n0\n1\n\n60\n").unwrap();
    assert_eq!(p.default, Action::Kill);
    assert_eq!(p.rules.len(), 3);
    assert_eq!(p.rules[2].syscall, Syscall::Number(60));
    assert_eq!(p.rules[2].action, Action::Allow);

    let p = parse(
        "2\nallowlist errno 38\nread\n[X86_64]\nwrite trap\nmkdir errno 13 [1,0700,==]\n\
         [arm64]\nkill kill\n[all]\nchmod log\nchown trace 7\nioctl notify [1,0x5401,&=,0xffff]\n",
    )
    .unwrap();
    assert_eq!(p.default, Action::Errno(38));
    let r = &p.rules;
    assert_eq!((r[0].arch.as_str(), r[0].action), ("all", Action::Allow));
    assert_eq!((r[1].arch.as_str(), r[1].action), ("x86_64", Action::Trap));
    assert_eq!(r[2].action, Action::Errno(13));
    assert_eq!(
        r[2].args,
        [ArgCmp {
            index: 1,
            op: CmpOp::Eq,
            value: 0o700,
            mask: 0
        }]
    );
    assert_eq!(r[3].arch, "arm64");
    assert_eq!(r[4].action, Action::Log);
    assert_eq!(r[5].action, Action::Trace(7));
    assert_eq!(
        r[6].args[0],
        ArgCmp {
            index: 1,
            op: CmpOp::MaskedEq,
            value: 0x5401,
            mask: 0xffff
        }
    );
    assert!(p.uses_notify());
    assert_eq!(
        parse("2\ndenylist\n").unwrap().default,
        Action::Allow,
        "a denylist allows what it does not name"
    );
}

#[test]
fn bad_profiles_name_the_line() {
    for (text, want) in [
        ("", "p.seccomp:1: empty profile"),
        ("3\nallowlist\n", "p.seccomp:1: invalid version \"3\""),
        ("2\n", "p.seccomp:2: missing the policy line"),
        (
            "1\ndenylist\n",
            "p.seccomp:2: invalid policy \"denylist\" (expected allowlist)",
        ),
        (
            "2\nallowlist debug\n",
            "p.seccomp:2: debug is not supported",
        ),
        ("2\ndenylist frob\n", "p.seccomp:2: unknown action \"frob\""),
        (
            "1\nallowlist\nread\n",
            "p.seccomp:3: invalid syscall number \"read\"",
        ),
        (
            "2\ndenylist\n[vax]\n",
            "p.seccomp:3: unsupported architecture \"[vax]\"",
        ),
        (
            "2\ndenylist\n[X86_64]\n[x86_64]\n[X86_64]\n[Arm]\n",
            "p.seccomp:6: unsupported",
        ),
        (
            "2\ndenylist\nread errno\n",
            "p.seccomp:3: errno needs a number from 0 to 4095",
        ),
        ("2\ndenylist\nread errno 4096\n", "p.seccomp:3: errno needs"),
        (
            "2\ndenylist\nread errno 1 2\n",
            "p.seccomp:3: unknown action \"errno 1 2\"",
        ),
        (
            "2\ndenylist\nread [0,1,==]\n",
            "p.seccomp:3: arguments need an action",
        ),
        (
            "2\ndenylist\nread kill [6,1,==]\n",
            "p.seccomp:3: invalid argument \"6,1,==\"",
        ),
        ("2\ndenylist\nread kill [0,x,==]\n", "the value is a number"),
        ("2\ndenylist\nread kill [0,1,~]\n", "unknown operator"),
        (
            "2\ndenylist\nread kill [0,1,==\n",
            "p.seccomp:3: unclosed argument",
        ),
        (
            "2\ndenylist\nread kill [0,1,==] x\n",
            "p.seccomp:3: unexpected \"x\"",
        ),
        (
            "2\ndenylist\nre/ad\n",
            "p.seccomp:3: invalid syscall name \"re/ad\"",
        ),
        (
            "2\ndenylist\nread kill [0,1,==][0,1,==][0,1,==][0,1,==][0,1,==][0,1,==][0,1,==]\n",
            "more than 6",
        ),
    ] {
        let got = parse(text).unwrap_err();
        assert!(got.contains(want), "{text:?}: {got}");
    }
}
