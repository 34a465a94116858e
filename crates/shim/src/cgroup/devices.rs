//! cgroup2 device control: cgroup2 has no `devices.allow`/`devices.deny` files; like LXC and
//! runc we load a `BPF_PROG_TYPE_CGROUP_DEVICE` program made from the config's
//! `lxc.cgroup2.devices.*` lines and attach it to the container's cgroup2 group before the init
//! joins it. The rules keep v1's meaning: `a` alone sets the default (`deny = a`: nothing but
//! what is allowed after it; `allow = a`: everything but what is denied after it; default:
//! everything), and a later line wins over an earlier one for the accesses it names. The
//! program (pure, unit-tested) checks the rules newest first and falls back on the default.
use std::fmt;

/// `b`, `c` or any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DevType {
    Any,
    Block,
    Char,
}

/// One `TYPE MAJOR:MINOR ACCESS` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    allow: bool,
    kind: DevType,
    major: Option<u32>,
    minor: Option<u32>,
    /// BPF_DEVCG_ACC_*: mknod 1, read 2, write 4.
    access: u32,
}

/// The rules of a container, and the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    default_allow: bool,
    rules: Vec<Rule>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            default_allow: true,
            rules: Vec::new(),
        }
    }
}

/// Why a line is no device rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRule(String);

impl fmt::Display for BadRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Policy {
    /// Adds `devices.allow` (`allow`) or `devices.deny` line `value`.
    pub fn add(&mut self, allow: bool, value: &str) -> Result<(), BadRule> {
        let bad = || {
            BadRule(format!(
                "{:?} is no device rule (TYPE MAJOR:MINOR ACCESS: c 1:3 rwm, b 8:* r, a)",
                lxc_proto::shorten(value, 64)
            ))
        };
        let words: Vec<&str> = value.split_whitespace().collect();
        if words == ["a"] {
            self.default_allow = allow;
            self.rules.clear();
            return Ok(());
        }
        let [kind, numbers, access] = words[..] else {
            return Err(bad());
        };
        let kind = match kind {
            "a" => DevType::Any,
            "b" => DevType::Block,
            "c" => DevType::Char,
            _ => return Err(bad()),
        };
        let (major, minor) = numbers.split_once(':').ok_or_else(bad)?;
        let number = |s: &str| match s {
            "*" => Ok(None),
            _ => s.parse::<u32>().map(Some).map_err(|_| bad()),
        };
        let mut bits = 0;
        for c in access.chars() {
            bits |= match c {
                'm' => 1,
                'r' => 2,
                'w' => 4,
                _ => return Err(bad()),
            };
        }
        if bits == 0 {
            return Err(bad());
        }
        self.rules.push(Rule {
            allow,
            kind,
            major: number(major)?,
            minor: number(minor)?,
            access: bits,
        });
        Ok(())
    }

    /// The program: `struct bpf_insn`s as the kernel takes them (8 bytes each).
    pub fn program(&self) -> Vec<u64> {
        // ctx (r1): u32 access_type (type in the low 16 bits, access in the high), major, minor.
        let mut p = vec![
            insn(LDX_W, 2, 1, 0, 0),        // r2 = ctx->access_type
            insn(MOV64_X, 3, 2, 0, 0),      // r3 = r2
            insn(RSH64_K, 3, 0, 0, 16),     // r3 >>= 16 (the access asked for)
            insn(AND64_K, 2, 0, 0, 0xffff), // r2 &= 0xffff (the device type)
            insn(LDX_W, 4, 1, 4, 0),        // r4 = ctx->major
            insn(LDX_W, 5, 1, 8, 0),        // r5 = ctx->minor
        ];
        for rule in self.rules.iter().rev() {
            let mut block: Vec<(u8, u8, u8, i32)> = Vec::new(); // (code, dst, src, imm), jumps to next
            match rule.kind {
                DevType::Any => {}
                DevType::Block => block.push((JNE_K, 2, 0, BPF_DEVCG_DEV_BLOCK)),
                DevType::Char => block.push((JNE_K, 2, 0, BPF_DEVCG_DEV_CHAR)),
            }
            block.push((MOV64_X, 6, 3, 0));
            if rule.allow {
                // Every access asked for is allowed by this rule.
                block.push((AND64_K, 6, 0, (!rule.access & 7) as i32));
                block.push((JNE_K, 6, 0, 0));
            } else {
                // Some access asked for is denied by it.
                block.push((AND64_K, 6, 0, rule.access as i32));
                block.push((JEQ_K, 6, 0, 0));
            }
            if let Some(major) = rule.major {
                block.push((JNE_K, 4, 0, major as i32));
            }
            if let Some(minor) = rule.minor {
                block.push((JNE_K, 5, 0, minor as i32));
            }
            let len = block.len() + 2;
            for (i, (code, dst, src, imm)) in block.into_iter().enumerate() {
                let off = if matches!(code, JNE_K | JEQ_K) {
                    (len - 1 - i) as i16
                } else {
                    0
                };
                p.push(insn(code, dst, src, off, imm));
            }
            p.push(insn(MOV64_K, 0, 0, 0, i32::from(rule.allow)));
            p.push(insn(EXIT, 0, 0, 0, 0));
        }
        p.push(insn(MOV64_K, 0, 0, 0, i32::from(self.default_allow)));
        p.push(insn(EXIT, 0, 0, 0, 0));
        p
    }

    /// What the program decides for a device access (the same logic, for the tests).
    #[cfg(test)]
    fn allows(&self, char_dev: bool, major: u32, minor: u32, access: u32) -> bool {
        for r in self.rules.iter().rev() {
            let kind_ok = match r.kind {
                DevType::Any => true,
                DevType::Block => !char_dev,
                DevType::Char => char_dev,
            };
            let access_ok = if r.allow {
                access & !r.access & 7 == 0
            } else {
                access & r.access != 0
            };
            if kind_ok
                && access_ok
                && r.major.is_none_or(|m| m == major)
                && r.minor.is_none_or(|m| m == minor)
            {
                return r.allow;
            }
        }
        self.default_allow
    }
}

const BPF_DEVCG_DEV_BLOCK: i32 = 1;
const BPF_DEVCG_DEV_CHAR: i32 = 2;
// Opcodes (linux/bpf_common.h, linux/bpf.h).
const LDX_W: u8 = 0x61; // BPF_LDX | BPF_W | BPF_MEM
const MOV64_X: u8 = 0xbf; // BPF_ALU64 | BPF_MOV | BPF_X
const MOV64_K: u8 = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K
const RSH64_K: u8 = 0x77; // BPF_ALU64 | BPF_RSH | BPF_K
const AND64_K: u8 = 0x57; // BPF_ALU64 | BPF_AND | BPF_K
const JNE_K: u8 = 0x55; // BPF_JMP | BPF_JNE | BPF_K
const JEQ_K: u8 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const EXIT: u8 = 0x95; // BPF_JMP | BPF_EXIT

/// One instruction as its 8 bytes in memory order (little-endian x86/arm: code, regs, off, imm).
fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> u64 {
    let mut b = [0u8; 8];
    b[0] = code;
    b[1] = (dst & 0xf) | (src << 4);
    b[2..4].copy_from_slice(&off.to_ne_bytes());
    b[4..8].copy_from_slice(&imm.to_ne_bytes());
    u64::from_ne_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(lines: &[(bool, &str)]) -> Policy {
        let mut p = Policy::default();
        for (allow, v) in lines {
            p.add(*allow, v).unwrap();
        }
        p
    }

    #[test]
    fn v1_meaning() {
        let p = policy(&[(false, "c 1:5 rwm")]);
        assert!(!p.allows(true, 1, 5, 2), "/dev/zero read denied");
        assert!(p.allows(true, 1, 3, 6), "/dev/null allowed");
        let p = policy(&[(false, "a"), (true, "c 1:3 rwm"), (true, "c 136:* rw")]);
        assert!(p.allows(true, 1, 3, 6));
        assert!(p.allows(true, 136, 7, 2));
        assert!(!p.allows(true, 136, 7, 1), "mknod not allowed");
        assert!(!p.allows(true, 1, 5, 2));
        assert!(!p.allows(false, 8, 0, 2));
        let p = policy(&[(false, "c 1:5 rwm"), (true, "c 1:5 r")]);
        assert!(
            p.allows(true, 1, 5, 2),
            "a later allow wins for what it names"
        );
        assert!(!p.allows(true, 1, 5, 4));
        assert!(Policy::default().add(true, "x 1:3 r").is_err());
        assert!(Policy::default().add(true, "c 1:3").is_err());
        assert!(Policy::default().add(true, "c 1:3 rq").is_err());
    }

    #[test]
    fn program_shape() {
        let p = policy(&[(false, "c 1:5 rwm")]);
        let prog = p.program();
        // 6 loads, one rule (type, mov, and, jeq, major, minor, r0, exit), the default.
        assert_eq!(prog.len(), 6 + 8 + 2);
        let bytes = |i: usize| prog[i].to_ne_bytes();
        assert_eq!(bytes(6)[0], JNE_K);
        assert_eq!(
            i16::from_ne_bytes([bytes(6)[2], bytes(6)[3]]),
            7,
            "to the default"
        );
        assert_eq!(bytes(15)[0], EXIT);
        assert_eq!(i32::from_ne_bytes(bytes(14)[4..8].try_into().unwrap()), 1);
    }
}
