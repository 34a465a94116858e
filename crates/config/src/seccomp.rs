//! LXC's seccomp profile format (`lxc.seccomp.profile`, lxc.container.conf(5) "SECCOMP
//! CONFIGURATION"), parsed into a typed `Profile`: pure, no syscall numbers (the shim resolves
//! names for its own architecture). Version 1: an allowlist of syscall numbers, everything else
//! killed. Version 2: `allowlist` or `denylist` (LXC's old words `whitelist`/`blacklist` too)
//! with an optional default action, then one rule a line (`NAME [ACTION [ARG]...]`), in
//! `[ARCH]` sections; `#` lines are comments. Every error names the file and the line.

use crate::error::{quoted, ConfigError};
use crate::read::read_file;
use crate::words;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Architecture sections LXC knows, lowercase (`[X86_64]` is also accepted).
const ARCHES: &str = "all x86 x32 x86_64 arm arm64 ppc64le ppc64 ppc mips64 mips64n32 mips \
                      mipsel64 mipsel64n32 mipsel s390x s390";
/// The highest errno a filter can return (the kernel's MAX_ERRNO).
pub const MAX_ERRNO: u32 = 4095;
/// Arguments a rule may compare: a syscall has six.
const MAX_ARGS: usize = 6;

/// What a filter does with a syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Action {
    Allow,
    /// Kill the whole process (LXC's `kill`: libseccomp's SCMP_ACT_KILL kills the thread,
    /// which for a single-threaded process is the same; killing the process is safer).
    Kill,
    /// SIGSYS to the caller.
    Trap,
    /// Fail with this errno.
    Errno(u32),
    /// Notify a tracer (ptrace), with this value.
    Trace(u32),
    /// Allow, and log it in the audit log.
    Log,
    /// Ask a supervisor through a seccomp notify descriptor.
    Notify,
}

/// A comparison of one argument: `[INDEX,VALUE,OP]`, or `[INDEX,VALUE,&=,MASK]` for
/// `(arg & MASK) == VALUE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArgCmp {
    /// 0 to 5.
    pub index: u8,
    pub op: CmpOp,
    pub value: u64,
    /// For `MaskedEq`: `(arg & mask) == value`.
    pub mask: u64,
}

/// libseccomp's comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
    Ne,
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
    MaskedEq,
}

/// What a rule names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Syscall {
    /// A name, to resolve for the architecture (one the host does not know is skipped, as
    /// LXC skips it).
    Name(String),
    /// A number (version 1).
    Number(u32),
    /// LXC's `reject_force_umount`: `umount2(_, MNT_FORCE)` fails with EACCES.
    RejectForceUmount,
}

/// One rule of the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Its line in the profile.
    pub line: usize,
    /// The section it is in (`all` before any section), lowercase.
    pub arch: String,
    pub syscall: Syscall,
    pub action: Action,
    pub args: Vec<ArgCmp>,
}

/// A parsed profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// 1 or 2.
    pub version: u8,
    /// What happens to a syscall no rule names.
    pub default: Action,
    pub rules: Vec<Rule>,
}

impl Profile {
    /// Whether any rule (or the default) asks for `action`'s kind.
    pub fn uses_notify(&self) -> bool {
        self.default == Action::Notify || self.rules.iter().any(|r| r.action == Action::Notify)
    }
}

/// Reads (bounded: a FIFO or a huge file is refused at once) and parses a profile.
pub fn read_profile(path: &Path) -> Result<Profile, ConfigError> {
    let text = read_file(path)?;
    parse_profile(&text, &path.display().to_string())
}

/// Parses profile text; `source` names it in errors.
pub fn parse_profile(text: &str, source: &str) -> Result<Profile, ConfigError> {
    let err = |line: usize, message: String| ConfigError::new(source, line, None, message);
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let Some((_, first)) = lines.next() else {
        return Err(err(
            1,
            "empty profile (expected the version, 1 or 2)".into(),
        ));
    };
    let version = match first.trim() {
        "1" => 1,
        "2" => 2,
        other => {
            return Err(err(
                1,
                format!("invalid version {} (expected 1 or 2)", quoted(other)),
            ))
        }
    };
    let Some((n, directive)) = lines.next() else {
        return Err(err(
            2,
            "missing the policy line (allowlist or denylist)".into(),
        ));
    };
    if directive.contains("debug") {
        return Err(err(n, "debug is not supported (as in LXC)".into()));
    }
    let mut words = directive.split_whitespace();
    let style = words.next().unwrap_or("");
    let allowlist = matches!(style, "allowlist" | "whitelist");
    let denylist = version == 2 && matches!(style, "denylist" | "blacklist");
    if !allowlist && !denylist {
        let expected = if version == 1 {
            "allowlist"
        } else {
            "allowlist or denylist"
        };
        return Err(err(
            n,
            format!(
                "invalid policy {} (expected {expected})",
                quoted(directive.trim())
            ),
        ));
    }
    let given = parse_action(&words.collect::<Vec<_>>().join(" ")).map_err(|m| err(n, m))?;
    let mut profile = Profile {
        version,
        default: given.unwrap_or(if denylist {
            Action::Allow
        } else {
            Action::Kill
        }),
        rules: Vec::new(),
    };
    let rule_default = if denylist {
        Action::Kill
    } else {
        Action::Allow
    };
    let mut arch = "all".to_owned();
    for (n, raw) in lines {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if version == 1 {
            let number = line
                .parse::<u32>()
                .map_err(|_| err(n, format!("invalid syscall number {}", quoted(line))))?;
            profile.rules.push(Rule {
                line: n,
                arch: arch.clone(),
                syscall: Syscall::Number(number),
                action: Action::Allow,
                args: Vec::new(),
            });
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let lower = section.to_ascii_lowercase();
            let spelled = section == lower || section == section.to_ascii_uppercase();
            if !spelled || !words::contains(ARCHES, &lower) {
                return Err(err(n, format!("unsupported architecture {}", quoted(line))));
            }
            arch = lower;
            continue;
        }
        let rule = parse_rule(line, rule_default).map_err(|m| err(n, m))?;
        let (syscall, action, args) = rule;
        profile.rules.push(Rule {
            line: n,
            arch: arch.clone(),
            syscall,
            action,
            args,
        });
    }
    Ok(profile)
}

/// `NAME [ACTION [ARG]...] [# comment]`.
fn parse_rule(line: &str, default: Action) -> Result<(Syscall, Action, Vec<ArgCmp>), String> {
    let line = match line.find('#') {
        Some(at) => &line[..at],
        None => line,
    };
    let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("invalid syscall name {}", quoted(name)));
    }
    let syscall = if name == "reject_force_umount" {
        Syscall::RejectForceUmount
    } else {
        Syscall::Name(name.to_owned())
    };
    let (action_text, args_text) = match rest.find('[') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let action = parse_action(action_text)?;
    if action.is_none() && !args_text.trim().is_empty() {
        return Err("arguments need an action before them (e.g. errno 1 [0,1,==])".into());
    }
    let mut args = Vec::new();
    let mut rest = args_text.trim();
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('[') else {
            return Err(format!("unexpected {} after the arguments", quoted(rest)));
        };
        let Some((inside, after)) = inner.split_once(']') else {
            return Err(format!("unclosed argument {}", quoted(rest)));
        };
        if args.len() == MAX_ARGS {
            return Err("more than 6 argument comparisons".into());
        }
        args.push(parse_arg(inside)?);
        rest = after.trim_start();
    }
    Ok((syscall, action.unwrap_or(default), args))
}

/// `INDEX,VALUE,OP` or `INDEX,VALUE,OP,MASK` (the mask counts only for `&=`).
fn parse_arg(inside: &str) -> Result<ArgCmp, String> {
    let bad = |why: &str| {
        format!(
            "invalid argument {}: {why} (expected [INDEX,VALUE,OP] or [INDEX,VALUE,OP,MASK])",
            quoted(inside)
        )
    };
    let fields: Vec<&str> = inside.split(',').map(str::trim).collect();
    let (index, value, op, mask) = match fields[..] {
        [i, v, o] => (i, v, o, "0"),
        [i, v, o, m] => (i, v, o, m),
        _ => return Err(bad("3 or 4 fields")),
    };
    let index = index
        .parse::<u8>()
        .ok()
        .filter(|i| usize::from(*i) < MAX_ARGS)
        .ok_or_else(|| bad("the index is 0 to 5"))?;
    let value = parse_u64(value).ok_or_else(|| bad("the value is a number"))?;
    let mask = parse_u64(mask).ok_or_else(|| bad("the mask is a number"))?;
    let op = match op {
        "SCMP_CMP_NE" | "!=" => CmpOp::Ne,
        "SCMP_CMP_LT" | "<" => CmpOp::Lt,
        "SCMP_CMP_LE" | "<=" => CmpOp::Le,
        "SCMP_CMP_EQ" | "==" => CmpOp::Eq,
        "SCMP_CMP_GE" | ">=" => CmpOp::Ge,
        "SCMP_CMP_GT" | ">" => CmpOp::Gt,
        "SCMP_CMP_MASKED_EQ" | "&=" => CmpOp::MaskedEq,
        _ => return Err(bad("unknown operator")),
    };
    Ok(ArgCmp {
        index,
        op,
        value,
        mask: if op == CmpOp::MaskedEq { mask } else { 0 },
    })
}

/// A number as strtoull with base 0 reads it: decimal, `0x` hex or `0` octal.
fn parse_u64(text: &str) -> Option<u64> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()
    } else if text.len() > 1 && text.starts_with('0') {
        u64::from_str_radix(&text[1..], 8).ok()
    } else {
        text.parse().ok()
    }
}

/// An action (`kill`, `allow`, `trap`, `errno N`, `trace N`, `log`, `notify`); `None` for
/// nothing.
fn parse_action(text: &str) -> Result<Option<Action>, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let number = |word: Option<&&str>, max: u32, what: &str| {
        word.and_then(|w| w.parse::<u32>().ok())
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("{what} needs a number from 0 to {max}"))
    };
    let action = match words[..] {
        [] => return Ok(None),
        ["kill"] => Action::Kill,
        ["allow"] => Action::Allow,
        ["trap"] => Action::Trap,
        ["log"] => Action::Log,
        ["notify"] => Action::Notify,
        ["errno", ..] if words.len() <= 2 => {
            Action::Errno(number(words.get(1), MAX_ERRNO, "errno")?)
        }
        ["trace", ..] if words.len() <= 2 => {
            Action::Trace(number(words.get(1), u32::from(u16::MAX), "trace")?)
        }
        _ => {
            return Err(format!(
                "unknown action {} (expected kill, allow, trap, errno N, trace N, log or notify)",
                quoted(text.trim())
            ))
        }
    };
    Ok(Some(action))
}

#[cfg(test)]
mod tests;
