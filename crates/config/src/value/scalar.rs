//! Checks of scalar values: names, paths, booleans, numbers, sizes, log levels. Same
//! contract as every file of `value/` (see `mod.rs`).

use std::str::FromStr;

use crate::error::quoted;
use crate::types::{LogLevel, Size};
use crate::words;

const MAX_HOSTNAME_LEN: usize = 64;

/// `lxc.arch` values LXC 5 knows (`lxc_config_parse_arch`).
const ARCHES: &str = "\
    arm armel armhf armv7l athlon i386 i486 i586 i686 linux32 mips mipsel ppc powerpc \
    x86 aarch64 amd64 arm64 linux64 mips64 mips64el ppc64 ppc64el ppc64le powerpc64 \
    riscv64 s390x x86_64";

/// syslog(3) facilities `lxc.log.syslog` accepts, as LXC names them.
const FACILITIES: &str = "\
    auth authpriv cron daemon ftp kern lpr mail news syslog user uucp local0 local1 \
    local2 local3 local4 local5 local6 local7";

/// A hostname as sethostname(2) will get it: 1..=64 of `[A-Za-z0-9.-]`, no '-' or '.' at
/// either end.
pub(crate) fn parse_hostname(value: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("invalid hostname {}: {why}", quoted(value)));
    if value.is_empty() || value.len() > MAX_HOSTNAME_LEN {
        return bad(&format!("must be 1 to {MAX_HOSTNAME_LEN} characters"));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.')))
    {
        return bad(&format!(
            "character {c:?} not allowed (only letters, digits, '-' and '.')"
        ));
    }
    let edge = |c: char| matches!(c, '-' | '.');
    if value.starts_with(edge) || value.ends_with(edge) {
        return bad("must not start or end with '-' or '.'");
    }
    Ok(value.to_owned())
}

/// `lxc.rootfs.path` / `lxc.chroot`: an absolute directory; LXC's `dir:` storage prefix is
/// accepted and dropped, other storage types (`overlay:`, `loop:`, ...) are not supported.
pub(crate) fn parse_rootfs(value: &str) -> Result<String, String> {
    let path = value.strip_prefix("dir:").unwrap_or(value);
    if !path.starts_with('/') {
        return Err(format!(
            "rootfs path {} is not an absolute path",
            quoted(value)
        ));
    }
    Ok(path.to_owned())
}

/// `overlay:LOWER:UPPER` (also `overlayfs:`): both absolute; `None` for any other rootfs.
pub(crate) fn parse_overlay(value: &str) -> Result<Option<(String, String)>, String> {
    let Some(rest) = value
        .strip_prefix("overlay:")
        .or_else(|| value.strip_prefix("overlayfs:"))
    else {
        return Ok(None);
    };
    match rest.split_once(':') {
        Some((lower, upper))
            if lower.starts_with('/') && upper.starts_with('/') && !upper.contains(':') =>
        {
            Ok(Some((lower.to_owned(), upper.to_owned())))
        }
        _ => Err(format!(
            "overlay rootfs {} is not overlay:/LOWER:/UPPER",
            quoted(value)
        )),
    }
}

/// An absolute path (`lxc.init.cwd`).
pub(crate) fn parse_absolute(value: &str) -> Result<String, String> {
    if value.starts_with('/') {
        Ok(value.to_owned())
    } else {
        Err(format!("{} is not an absolute path", quoted(value)))
    }
}

/// sockaddr_un's sun_path: the longest path with its NUL.
const SUN_PATH_LEN: usize = 108;

/// `lxc.seccomp.notify.proxy`: `unix:` then an absolute path or `@` and an abstract name, of
/// at least one more character and short enough for a socket address (LXC's rules).
pub(crate) fn parse_proxy(value: &str) -> Result<String, String> {
    let Some(path) = value.strip_prefix("unix:") else {
        return Err(format!(
            "invalid value {} (expected unix:/PATH or unix:@NAME)",
            quoted(value)
        ));
    };
    if !(path.starts_with('/') || path.starts_with('@')) || path.len() < 2 {
        return Err(format!(
            "invalid socket {} (expected an absolute path or @NAME)",
            quoted(path)
        ));
    }
    if path.len() + 1 > SUN_PATH_LEN || path.contains('\0') {
        return Err(format!(
            "invalid socket {} (at most {} bytes, no NUL)",
            quoted(path),
            SUN_PATH_LEN - 1
        ));
    }
    Ok(value.to_owned())
}

/// Anything non-empty, taken as written (paths, commands, profile names).
pub(crate) fn parse_text(value: &str) -> Result<String, String> {
    Ok(value.to_owned())
}

/// `0` or `1`, as LXC's boolean keys take them.
pub(crate) fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(format!("invalid value {} (expected 0 or 1)", quoted(value))),
    }
}

/// A decimal number of type T: digits only (an optional '-' where T is signed), no '+',
/// no spaces, in T's range.
pub(crate) fn parse_number<T: FromStr>(value: &str) -> Result<T, String> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    match value.parse::<T>() {
        Ok(n) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(format!("invalid number {}", quoted(value))),
    }
}

/// A byte size: `auto`, or a number with an optional unit `B`, `kB`, `MB`, `GB` (powers of
/// 1024, as LXC's `parse_byte_size_string`).
pub(crate) fn parse_size(value: &str) -> Result<Size, String> {
    if value == "auto" {
        return Ok(Size::Auto);
    }
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let shift = match unit.trim_start() {
        "" | "B" => 0,
        "kB" | "KB" => 10,
        "MB" => 20,
        "GB" => 30,
        _ => u32::MAX,
    };
    let bytes = number
        .parse::<u64>()
        .ok()
        .filter(|_| shift != u32::MAX)
        .and_then(|n| n.checked_mul(1u64.checked_shl(shift)?));
    bytes.map(Size::Bytes).ok_or_else(|| {
        format!(
            "invalid size {} (expected auto, or a number with an optional unit B, kB, MB or GB)",
            quoted(value)
        )
    })
}

/// A name (`WARN`, `warn`) or LXC's number for it (0 = TRACE ... 8 = FATAL).
pub(crate) fn parse_log_level(value: &str) -> Result<LogLevel, String> {
    let upper = value.to_ascii_uppercase();
    let by_name = LogLevel::ALL.into_iter().find(|l| l.as_str() == upper);
    let by_number = || {
        let n: usize = parse_number(value).ok()?;
        LogLevel::ALL.get(n).copied()
    };
    by_name.or_else(by_number).ok_or_else(|| {
        format!(
            "invalid log level {} (expected TRACE, DEBUG, INFO, NOTICE, WARN, ERROR, CRIT, \
             ALERT, FATAL or 0 to 8)",
            quoted(value)
        )
    })
}

pub(crate) fn parse_facility(value: &str) -> Result<String, String> {
    one_of(value, FACILITIES, "syslog facility")
}

pub(crate) fn parse_arch(value: &str) -> Result<String, String> {
    one_of(value, ARCHES, "architecture")
}

/// `value` if it is a word of `known` (a word list).
fn one_of(value: &str, known: &str, what: &str) -> Result<String, String> {
    if words::contains(known, value) {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "unknown {what} {} (expected one of: {})",
            quoted(value),
            known
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames() {
        let long = "a".repeat(64);
        for good in ["virtnode", "a", "web-1.example.org", long.as_str(), "0"] {
            assert_eq!(parse_hostname(good).as_deref(), Ok(good));
        }
        let too_long = "a".repeat(65);
        for bad in [
            "",
            "-a",
            "a-",
            ".a",
            "a.",
            "a_b",
            "a b",
            "é",
            too_long.as_str(),
        ] {
            let err = parse_hostname(bad).unwrap_err();
            assert!(err.contains(&quoted(bad)), "{err}");
        }
    }

    #[test]
    fn small_values() {
        assert_eq!(parse_bool("1"), Ok(true));
        assert_eq!(parse_bool("0"), Ok(false));
        assert!(parse_bool("yes").unwrap_err().contains("\"yes\""));
        assert_eq!(
            parse_rootfs("dir:/var/lib/lxc/a/rootfs").as_deref(),
            Ok("/var/lib/lxc/a/rootfs")
        );
        assert!(parse_rootfs("overlay:/a:/b").is_err());
        assert!(parse_rootfs("rootfs").is_err());
        assert!(parse_absolute("/srv").is_ok() && parse_absolute("srv").is_err());
        assert_eq!(parse_number::<u32>("42"), Ok(42));
        assert_eq!(parse_number::<i32>("-3"), Ok(-3));
        for bad in ["", "+1", " 1", "1.5", "-", "4294967296", "-1"] {
            assert!(parse_number::<u32>(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_size("auto"), Ok(Size::Auto));
        assert_eq!(parse_size("4096"), Ok(Size::Bytes(4096)));
        assert_eq!(parse_size("2kB"), Ok(Size::Bytes(2048)));
        assert_eq!(parse_size("1 MB"), Ok(Size::Bytes(1 << 20)));
        for bad in [
            "",
            "MB",
            "1TB",
            "-1",
            "99999999999999999999",
            "18446744073709551615GB",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_log_level("warn"), Ok(LogLevel::Warn));
        assert_eq!(parse_log_level("8"), Ok(LogLevel::Fatal));
        assert!(parse_log_level("9").is_err() && parse_log_level("LOUD").is_err());
        assert!(parse_arch("x86_64").is_ok() && parse_arch("vax").is_err());
        assert!(parse_facility("local7").is_ok() && parse_facility("local8").is_err());
    }
}
