//! Signal names and numbers, as `lxc.signal.*` and `lxc-kill -s` take them.

use crate::error::quoted;

const MAX_SIGNAL: i32 = 64;
/// glibc's SIGRTMIN: the kernel's first real-time signal is 32, but NPTL keeps 32 and 33 for
/// itself, and LXC resolves `RTMIN` through glibc, so `SIGRTMIN` means 34 there too.
const SIGRTMIN: i32 = 34;
const SIGRTMAX: i32 = 64;

/// The number of a signal of the generic Linux ABI (x86, arm, arm64, riscv, s390; not
/// alpha, mips, sparc, parisc), see signal(7), by its name without the `SIG` prefix.
fn signal_number(name: &str) -> Option<i32> {
    let number = match name {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "ILL" => 4,
        "TRAP" => 5,
        "ABRT" | "IOT" => 6,
        "BUS" => 7,
        "FPE" => 8,
        "KILL" => 9,
        "USR1" => 10,
        "SEGV" => 11,
        "USR2" => 12,
        "PIPE" => 13,
        "ALRM" => 14,
        "TERM" => 15,
        "STKFLT" => 16,
        "CHLD" | "CLD" => 17,
        "CONT" => 18,
        "STOP" => 19,
        "TSTP" => 20,
        "TTIN" => 21,
        "TTOU" => 22,
        "URG" => 23,
        "XCPU" => 24,
        "XFSZ" => 25,
        "VTALRM" => 26,
        "PROF" => 27,
        "WINCH" => 28,
        "IO" | "POLL" => 29,
        "PWR" => 30,
        "SYS" => 31,
        _ => return None,
    };
    Some(number)
}

/// A signal name (`SIGPWR`, `PWR`, `pwr`, `SIGRTMIN+3`, `RTMAX-1`) or a number 1..=64.
pub fn parse_signal(value: &str) -> Result<i32, String> {
    let bad = || {
        format!(
            "invalid signal {} (expected a name like SIGPWR or a number from 1 to 64)",
            quoted(value)
        )
    };
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return match value.parse::<i32>() {
            Ok(n) if (1..=MAX_SIGNAL).contains(&n) => Ok(n),
            _ => Err(bad()),
        };
    }
    let upper = value.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(number) = signal_number(name) {
        return Ok(number);
    }
    let realtime = if name == "RTMIN" {
        Some(SIGRTMIN)
    } else if name == "RTMAX" {
        Some(SIGRTMAX)
    } else if let Some(offset) = name.strip_prefix("RTMIN+") {
        small_number(offset).map(|n| SIGRTMIN + n)
    } else if let Some(offset) = name.strip_prefix("RTMAX-") {
        small_number(offset).map(|n| SIGRTMAX - n)
    } else {
        None
    };
    match realtime {
        Some(n) if (SIGRTMIN..=SIGRTMAX).contains(&n) => Ok(n),
        _ => Err(bad()),
    }
}

fn small_number(text: &str) -> Option<i32> {
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals() {
        let cases = [
            ("SIGPWR", 30),
            ("PWR", 30),
            ("pwr", 30),
            ("SigKill", 9),
            ("30", 30),
            ("1", 1),
            ("64", 64),
            ("SIGRTMIN", 34),
            ("RTMIN+3", 37),
            ("SIGRTMAX-2", 62),
            ("sigrtmax", 64),
        ];
        for (text, want) in cases {
            assert_eq!(parse_signal(text), Ok(want), "{text}");
        }
        for bad in [
            "0", "65", "-1", "+5", "SIGFOO", "SIG", "RTMIN+31", "RTMAX-31", "RTMIN+", "1.5",
        ] {
            let err = parse_signal(bad).unwrap_err();
            assert!(err.starts_with(&format!("invalid signal {bad:?}")), "{err}");
        }
    }
}
