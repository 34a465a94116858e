//! Checks of list and record values (`lxc.mount.auto`, `lxc.idmap`, `lxc.prlimit.*`,
//! `lxc.cap.*`, `lxc.environment`) and of the sub-keys of key families (`lxc.cgroup.*`,
//! `lxc.sysctl.*`, `lxc.hook.*`, ...). Same contract as every file of `value/` (see `mod.rs`).

use super::scalar::parse_number;
use crate::error::quoted;
use crate::types::{Access, HookKind, IdKind, IdMap, Limit, MountAuto};
use crate::words;

/// The `lxc.mount.auto` tokens we build, in the order error messages list them.
const MOUNT_AUTO_TOKENS: &str = "\
    proc proc:mixed proc:rw sys sys:ro sys:mixed sys:rw cgroup cgroup:ro cgroup:mixed \
    cgroup:rw";

/// getrlimit(2) resources, lowercase without `RLIMIT_`, as LXC names them.
pub(crate) const PRLIMIT_RESOURCES: &str = "\
    as core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime \
    sigpending stack";

/// Namespace names of `lxc.namespace.*` (LXC's, as in /proc/PID/ns but `mnt`).
pub(crate) const NAMESPACES: &str = "cgroup ipc mnt net pid time user uts";

/// capabilities(7) in kernel order (number = index), lowercase without `cap_`, as LXC writes
/// them in `lxc.cap.drop`.
const CAPABILITIES: &str = "\
    chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap \
    linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock ipc_owner \
    sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin sys_boot sys_nice \
    sys_resource sys_time sys_tty_config mknod lease audit_write audit_control setfcap \
    mac_override mac_admin syslog wake_alarm block_suspend audit_read perfmon bpf \
    checkpoint_restore";
/// The highest capability number a kernel may know (the bitmasks are 64 bits).
const MAX_CAPABILITY: u32 = 63;

/// Adds the tokens of one `lxc.mount.auto` line to `base`: the last token for a filesystem
/// wins.
pub(crate) fn parse_mount_auto(value: &str, mut base: MountAuto) -> Result<MountAuto, String> {
    for token in value.split_whitespace() {
        let (slot, access) = match token {
            "proc" | "proc:mixed" => (&mut base.proc, Access::Mixed),
            "proc:rw" => (&mut base.proc, Access::Rw),
            "sys" | "sys:mixed" => (&mut base.sys, Access::Mixed),
            "sys:ro" => (&mut base.sys, Access::Ro),
            "sys:rw" => (&mut base.sys, Access::Rw),
            "cgroup" | "cgroup:ro" => (&mut base.cgroup, Access::Ro),
            "cgroup:mixed" => (&mut base.cgroup, Access::Mixed),
            "cgroup:rw" => (&mut base.cgroup, Access::Rw),
            _ if token.starts_with("cgroup") || token.starts_with("shmounts:") => {
                // LXC's cgroup-full:*, cgroup:*:force and shmounts: exist, we lack them.
                return Err(format!(
                    "mount.auto option {}: not supported yet",
                    quoted(token)
                ));
            }
            _ => return Err(unknown_word("mount.auto option", token, MOUNT_AUTO_TOKENS)),
        };
        *slot = Some(access);
    }
    Ok(base)
}

/// `u|g CONTAINER_ID HOST_ID RANGE`: both ranges within the 32-bit id space, RANGE >= 1.
pub(crate) fn parse_idmap(value: &str) -> Result<IdMap, String> {
    let bad = |why: &str| {
        format!(
            "invalid id map {}: {why} (expected u|g CONTAINER_ID HOST_ID RANGE)",
            quoted(value)
        )
    };
    let fields: Vec<&str> = value.split_whitespace().collect();
    let [kind, container, host, range] = fields[..] else {
        return Err(bad(&format!("{} fields", fields.len())));
    };
    let kind = match kind {
        "u" => IdKind::User,
        "g" => IdKind::Group,
        _ => return Err(bad("the first field must be u or g")),
    };
    let number = |text: &str| parse_number::<u32>(text).map_err(|_| bad("ids are numbers"));
    let (container, host, range) = (number(container)?, number(host)?, number(range)?);
    if range == 0 {
        return Err(bad("the range must be at least 1"));
    }
    let end = u64::from(container.max(host)) + u64::from(range);
    if end > 1 << 32 {
        return Err(bad("the range runs past the highest id"));
    }
    Ok(IdMap {
        kind,
        container,
        host,
        range,
    })
}

/// `SOFT[:HARD]`, each a number or `unlimited`; a single value sets both; soft <= hard, as
/// setrlimit(2) requires.
pub(crate) fn parse_prlimit(value: &str) -> Result<(Limit, Limit), String> {
    let bad = || {
        format!(
            "invalid limit {} (expected SOFT[:HARD], each a number or unlimited)",
            quoted(value)
        )
    };
    let limit = |text: &str| match text {
        "unlimited" => Ok(Limit::Unlimited),
        _ => parse_number::<u64>(text)
            .map(Limit::Value)
            .map_err(|_| bad()),
    };
    let (soft, hard) = match value.split_once(':') {
        Some((soft, hard)) => (limit(soft)?, limit(hard)?),
        None => (limit(value)?, limit(value)?),
    };
    match (soft, hard) {
        (Limit::Unlimited, Limit::Value(_)) => Err(bad()),
        (Limit::Value(s), Limit::Value(h)) if s > h => Err(format!(
            "invalid limit {}: the soft limit is above the hard one",
            quoted(value)
        )),
        _ => Ok((soft, hard)),
    }
}

/// A space-separated list of capabilities: names as `CAPABILITIES`, in any case, with or
/// without `cap_` (stored lowercase without it), or numbers; `none` is allowed alone where LXC
/// allows it (`lxc.cap.keep`).
pub(crate) fn parse_caps(value: &str, allow_none: bool) -> Result<Vec<String>, String> {
    let names: Vec<&str> = value.split_whitespace().collect();
    if allow_none && matches!(names[..], [word] if word.eq_ignore_ascii_case("none")) {
        return Ok(vec!["none".to_owned()]);
    }
    names
        .into_iter()
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            let name = lower.strip_prefix("cap_").unwrap_or(&lower);
            let number = parse_number::<u32>(name).ok();
            if words::contains(CAPABILITIES, name) || number.is_some_and(|n| n <= MAX_CAPABILITY) {
                Ok(name.to_owned())
            } else {
                Err(format!(
                    "unknown capability {} (expected a name such as sys_module or CAP_MAC_ADMIN, \
                     or a number)",
                    quoted(word)
                ))
            }
        })
        .collect()
}

/// The number of capability `name` (as `parse_caps` stores it: a name or a number).
pub fn capability_number(name: &str) -> Option<u32> {
    if let Ok(n) = parse_number::<u32>(name) {
        return (n <= MAX_CAPABILITY).then_some(n);
    }
    let index = CAPABILITIES.split_whitespace().position(|w| w == name)?;
    u32::try_from(index).ok()
}

/// `NAME=VALUE`, or `NAME` alone to pass the starter's value on.
pub(crate) fn parse_environment(value: &str) -> Result<String, String> {
    let name = value.split_once('=').map_or(value, |(name, _)| name);
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!(
            "invalid environment variable {} (expected NAME=VALUE or NAME)",
            quoted(value)
        ));
    }
    Ok(value.to_owned())
}

/// Space-separated namespace names (`lxc.namespace.clone`, `lxc.namespace.keep`).
pub(crate) fn check_namespaces(value: &str) -> Result<(), String> {
    match value
        .split_whitespace()
        .find(|w| !words::contains(NAMESPACES, w))
    {
        None => Ok(()),
        Some(word) => Err(unknown_word("namespace", word, NAMESPACES)),
    }
}

/// The message for a `word` that is none of `known` (a word list, printed as it is).
fn unknown_word(what: &str, word: &str, known: &str) -> String {
    format!(
        "unknown {what} {} (expected some of: {known})",
        quoted(word)
    )
}

/// A dotted file or key name below a directory of the kernel's (`memory.max`,
/// `net.ipv4.ip_forward`, `oom_score_adj`): non-empty parts of letters, digits, '_' and '-'
/// between single dots. It becomes a path component: '/' and ".." can never pass.
pub(crate) fn is_dotted_name(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        })
}

/// A cgroup file: `<controller>.<file>`, a dotted name with at least one dot.
pub(crate) fn is_cgroup_file(text: &str) -> bool {
    text.contains('.') && is_dotted_name(text)
}

pub(crate) fn hook_kind(text: &str) -> Option<HookKind> {
    HookKind::ALL.into_iter().find(|kind| kind.as_str() == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_auto_tokens() {
        let auto = parse_mount_auto("proc:mixed  sys:ro", MountAuto::default()).unwrap();
        assert_eq!(
            auto,
            MountAuto {
                proc: Some(Access::Mixed),
                sys: Some(Access::Ro),
                cgroup: None
            }
        );
        let auto = parse_mount_auto("proc:rw cgroup proc", auto).unwrap();
        assert_eq!(auto.proc, Some(Access::Mixed), "the last token wins");
        assert_eq!(auto.cgroup, Some(Access::Ro));
        assert_eq!(auto.to_string(), "proc:mixed sys:ro cgroup:ro");
        let err = parse_mount_auto("proc proc:foo", auto).unwrap_err();
        assert!(
            err.contains("unknown mount.auto option \"proc:foo\""),
            "{err}"
        );
        let err = parse_mount_auto("cgroup-full:rw", auto).unwrap_err();
        assert!(err.ends_with("not supported yet"), "{err}");
    }

    #[test]
    fn idmaps() {
        let map = parse_idmap("u 0 100000 65536").unwrap();
        assert_eq!(map.to_string(), "u 0 100000 65536");
        assert_eq!(parse_idmap("g  0\t1000 1").unwrap().kind, IdKind::Group);
        assert!(parse_idmap("g 4294967295 0 1").is_ok());
        for bad in [
            "u 0 100000",
            "u 0 100000 65536 1",
            "b 0 100000 65536",
            "u 0 x 65536",
            "u 0 100000 0",
            "u -1 100000 1",
            "u 4294967295 0 2",
            "u 0 4294967000 65536",
        ] {
            let err = parse_idmap(bad).unwrap_err();
            assert!(err.starts_with(&format!("invalid id map {bad:?}")), "{err}");
        }
    }

    #[test]
    fn prlimits() {
        assert_eq!(
            parse_prlimit("1024"),
            Ok((Limit::Value(1024), Limit::Value(1024)))
        );
        assert_eq!(
            parse_prlimit("1024:unlimited"),
            Ok((Limit::Value(1024), Limit::Unlimited))
        );
        assert_eq!(
            parse_prlimit("unlimited"),
            Ok((Limit::Unlimited, Limit::Unlimited))
        );
        for bad in ["", "x", "1:", ":1", "unlimited:1", "2:1", "1:2:3", "-1"] {
            assert!(parse_prlimit(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn capabilities_environment_and_names() {
        assert_eq!(
            parse_caps("sys_module  mac_admin 21", false).unwrap(),
            ["sys_module", "mac_admin", "21"]
        );
        assert_eq!(parse_caps("none", true).unwrap(), ["none"]);
        assert!(parse_caps("none", false).is_err());
        assert_eq!(
            parse_caps("CAP_SYS_ADMIN Mac_Admin cap_21", false).unwrap(),
            ["sys_admin", "mac_admin", "21"]
        );
        assert_eq!(parse_caps("NONE", true).unwrap(), ["none"]);
        assert!(parse_caps("cap_frobnicate", false).is_err());
        assert_eq!(capability_number("chown"), Some(0));
        assert_eq!(capability_number("sys_admin"), Some(21));
        assert_eq!(capability_number("checkpoint_restore"), Some(40));
        assert_eq!(capability_number("63"), Some(63));
        assert_eq!(capability_number("64"), None);
        assert!(parse_caps("64", false).is_err());
        assert!(parse_environment("A=b c").is_ok() && parse_environment("PATH").is_ok());
        assert!(parse_environment("=x").is_err() && parse_environment("A B=1").is_err());
        assert!(check_namespaces("net  uts").is_ok() && check_namespaces("mount").is_err());
        for good in [
            "memory.max",
            "hugetlb.2MB.limit_in_bytes",
            "net_cls.classid",
        ] {
            assert!(is_cgroup_file(good), "{good}");
        }
        for bad in [
            "memory", "memory.", ".max", "a..b", "../x", "a/b.c", "a.b c", "",
        ] {
            assert!(!is_cgroup_file(bad), "{bad:?}");
        }
        assert!(is_dotted_name("oom_score_adj") && !is_dotted_name("a/b"));
        assert_eq!(hook_kind("post-stop"), Some(HookKind::PostStop));
        assert_eq!(hook_kind("poststop"), None);
    }
}
