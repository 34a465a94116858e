//! fstab(5) lines as `lxc.mount` / `lxc.mount.fstab` files and `lxc.mount.entry` give them:
//! `spec file vfstype options [dump [pass]]`. Options become mount(2) flags (Linux values),
//! LXC's own options (`create=dir`, `create=file`, `optional`), and the rest the data string
//! handed to the filesystem (`size=10m,mode=755`). Pure: no file is read here but by the caller.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{quoted, ConfigError};
use crate::types::Origin;

/// mount(2) flag values (linux/mount.h).
pub mod flags {
    pub const RDONLY: u64 = 1;
    pub const NOSUID: u64 = 2;
    pub const NODEV: u64 = 4;
    pub const NOEXEC: u64 = 8;
    pub const SYNCHRONOUS: u64 = 16;
    pub const REMOUNT: u64 = 32;
    pub const MANDLOCK: u64 = 64;
    pub const DIRSYNC: u64 = 128;
    pub const NOATIME: u64 = 1024;
    pub const NODIRATIME: u64 = 2048;
    pub const BIND: u64 = 4096;
    pub const REC: u64 = 16384;
    pub const RELATIME: u64 = 1 << 21;
    pub const STRICTATIME: u64 = 1 << 24;
    pub const LAZYTIME: u64 = 1 << 25;
}

/// What `create=` makes when the target is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Create {
    Dir,
    File,
}

/// One mount to make in the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountEntry {
    /// fs_spec: a device, a host path for bind mounts, or a name (`tmpfs`, `proc`, `none`).
    pub source: String,
    /// fs_file: relative to the rootfs when there is one (a leading `/` is allowed).
    pub target: String,
    /// fs_vfstype (`none` for bind mounts).
    pub fstype: String,
    /// mount(2) flags from the options (see [`flags`]).
    pub flags: u64,
    /// Options that are not flags, comma-separated, for the filesystem.
    pub data: String,
    /// `create=dir` / `create=file`.
    pub create: Option<Create>,
    /// `optional`: a missing source or target is skipped, not an error.
    pub optional: bool,
    /// Where it was written, for errors (displays as `FILE:LINE`).
    pub origin: Origin,
}

impl MountEntry {
    /// A bind mount (`bind`/`rbind` in the options).
    pub fn is_bind(&self) -> bool {
        self.flags & flags::BIND != 0
    }
}

/// Option words for flags, in the order Display writes them; `bind`/`rbind` come first.
/// Made by code: a `const` array would be data holding pointers (lib.rs says why not).
fn flag_words() -> [(u64, &'static str); 12] {
    [
        (flags::RDONLY, "ro"),
        (flags::NOSUID, "nosuid"),
        (flags::NODEV, "nodev"),
        (flags::NOEXEC, "noexec"),
        (flags::SYNCHRONOUS, "sync"),
        (flags::DIRSYNC, "dirsync"),
        (flags::MANDLOCK, "mand"),
        (flags::NOATIME, "noatime"),
        (flags::NODIRATIME, "nodiratime"),
        (flags::RELATIME, "relatime"),
        (flags::STRICTATIME, "strictatime"),
        (flags::LAZYTIME, "lazytime"),
    ]
}

/// The entry as an fstab line that parses back to an equal entry (origin aside).
impl fmt::Display for MountEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut options: Vec<&str> = Vec::new();
        if self.flags & (flags::BIND | flags::REC) == flags::BIND | flags::REC {
            options.push("rbind");
        } else if self.is_bind() {
            options.push("bind");
        }
        for (flag, word) in flag_words() {
            if self.flags & flag != 0 {
                options.push(word);
            }
        }
        match self.create {
            Some(Create::Dir) => options.push("create=dir"),
            Some(Create::File) => options.push("create=file"),
            None => {}
        }
        if self.optional {
            options.push("optional");
        }
        if !self.data.is_empty() {
            options.push(&self.data);
        }
        if options.is_empty() {
            options.push("defaults");
        }
        let options = options.join(",");
        write!(
            f,
            "{} {} {} {options} 0 0",
            self.source, self.target, self.fstype
        )
    }
}

/// Parses one fstab line (not blank, not a comment). `origin` names it in the entry.
pub fn parse_mount_line(line: &str, origin: Origin) -> Result<MountEntry, String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if !(4..=6).contains(&fields.len()) {
        return Err(format!(
            "mount entry {} has {} fields, expected 4 to 6 (spec file vfstype options [dump [pass]])",
            quoted(line.trim()),
            fields.len()
        ));
    }
    for (i, f) in fields.iter().enumerate().skip(4) {
        if f.parse::<u32>().is_err() {
            let what = if i == 4 { "dump" } else { "pass" };
            return Err(format!(
                "mount entry {}: {what} field {} is not a number",
                quoted(line.trim()),
                quoted(f)
            ));
        }
    }
    let target = fields[1];
    if target.split('/').any(|c| c == "..") {
        return Err(format!("mount target {} contains \"..\"", quoted(target)));
    }
    let mut entry = MountEntry {
        source: fields[0].to_owned(),
        target: target.to_owned(),
        fstype: fields[2].to_owned(),
        flags: 0,
        data: String::new(),
        create: None,
        optional: false,
        origin,
    };
    let mut data = Vec::new();
    for opt in fields[3].split(',').filter(|o| !o.is_empty()) {
        let (set, clear) = match opt {
            "defaults" | "rw" | "suid" | "dev" | "exec" | "async" | "auto" | "noauto"
            | "nouser" | "user" | "users" | "nofail" => (
                0,
                match opt {
                    "rw" => flags::RDONLY,
                    "suid" => flags::NOSUID,
                    "dev" => flags::NODEV,
                    "exec" => flags::NOEXEC,
                    "async" => flags::SYNCHRONOUS,
                    _ => 0,
                },
            ),
            "ro" => (flags::RDONLY, 0),
            "nosuid" => (flags::NOSUID, 0),
            "nodev" => (flags::NODEV, 0),
            "noexec" => (flags::NOEXEC, 0),
            "sync" => (flags::SYNCHRONOUS, 0),
            "dirsync" => (flags::DIRSYNC, 0),
            "mand" => (flags::MANDLOCK, 0),
            "noatime" => (flags::NOATIME, 0),
            "nodiratime" => (flags::NODIRATIME, 0),
            "relatime" => (flags::RELATIME, 0),
            "strictatime" => (flags::STRICTATIME, 0),
            "lazytime" => (flags::LAZYTIME, 0),
            "bind" => (flags::BIND, 0),
            "rbind" => (flags::BIND | flags::REC, 0),
            "optional" => {
                entry.optional = true;
                (0, 0)
            }
            "create=dir" => {
                entry.create = Some(Create::Dir);
                (0, 0)
            }
            "create=file" => {
                entry.create = Some(Create::File);
                (0, 0)
            }
            o if o.starts_with("create=") => {
                return Err(format!(
                    "mount option {}: expected create=dir or create=file",
                    quoted(o)
                ))
            }
            "remount" | "move" | "shared" | "rshared" | "slave" | "rslave" | "private"
            | "rprivate" | "unbindable" | "runbindable" => {
                return Err(format!(
                    "mount option {} is not supported in a container's fstab",
                    quoted(opt)
                ))
            }
            other => {
                data.push(other);
                (0, 0)
            }
        };
        entry.flags = (entry.flags | set) & !clear;
    }
    entry.data = data.join(",");
    Ok(entry)
}

/// Parses an fstab file's text; blank lines and `#` comments are skipped. Errors name
/// `source` and the line.
pub fn parse_fstab(text: &str, source: &str) -> Result<Vec<MountEntry>, ConfigError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let origin = Origin {
            source: source.to_owned(),
            line: i + 1,
        };
        let entry = parse_mount_line(trimmed, origin)
            .map_err(|message| ConfigError::new(source, i + 1, None, message))?;
        out.push(entry);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(source: &str, line: usize) -> Origin {
        Origin {
            source: source.to_owned(),
            line,
        }
    }

    #[test]
    fn display_parses_back() {
        for line in [
            "/srv/data mnt/data none bind,ro,create=dir 0 0",
            "tmpfs /tmp tmpfs size=1m,mode=1777,nosuid,nodev",
            "/a b none rbind,optional,create=file",
            "proc proc proc defaults",
            "sysfs sys sysfs ro,noexec,relatime,lazytime,sync,dirsync,mand,noatime,nodiratime",
        ] {
            let entry = parse_mount_line(line, at("a", 1)).unwrap();
            let again = parse_mount_line(&entry.to_string(), at("a", 1)).unwrap();
            assert_eq!(again, entry, "{line} -> {entry}");
        }
        let e = parse_mount_line("/a b none bind,ro", at("a", 1)).unwrap();
        assert_eq!(e.to_string(), "/a b none bind,ro 0 0");
    }

    #[test]
    fn lines() {
        let e =
            parse_mount_line("/srv/data mnt/data none bind,ro,create=dir 0 0", at("f", 1)).unwrap();
        assert_eq!(e.source, "/srv/data");
        assert_eq!(e.target, "mnt/data");
        assert_eq!(e.flags, flags::BIND | flags::RDONLY);
        assert_eq!(e.create, Some(Create::Dir));
        assert!(e.is_bind() && !e.optional);
        let t = parse_mount_line(
            "tmpfs /tmp tmpfs size=1m,mode=1777,nosuid,nodev",
            at("x", 1),
        )
        .unwrap();
        assert_eq!(t.data, "size=1m,mode=1777");
        assert_eq!(t.flags, flags::NOSUID | flags::NODEV);
        let r = parse_mount_line("/a b none rbind,optional,create=file,ro,rw", at("x", 1)).unwrap();
        assert_eq!(r.flags, flags::BIND | flags::REC);
        assert!(r.optional);
        assert_eq!(r.create, Some(Create::File));
        assert_eq!(
            parse_mount_line("proc proc proc defaults", at("x", 1))
                .unwrap()
                .flags,
            0
        );
    }

    #[test]
    fn bad_lines() {
        for bad in [
            "a b c",
            "a b c d 0 0 x",
            "a b c d x",
            "a b c d 0 y",
            "a ../b none bind",
            "a b/../../c none bind",
            "a b none bind,create=pipe",
            "a b none bind,shared",
        ] {
            assert!(parse_mount_line(bad, at("x", 1)).is_err(), "{bad}");
        }
    }

    #[test]
    fn fstab_names_file_and_line() {
        let text = "# comment\n\nproc proc proc defaults 0 0\n/a b none bind\nbroken line\n";
        let err = parse_fstab(text, "/etc/fstab.ct").unwrap_err();
        assert!(err.to_string().starts_with("/etc/fstab.ct:5: "), "{err}");
        let ok = parse_fstab("proc proc proc defaults\n/a b none bind\n", "f").unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].origin.to_string(), "f:2");
    }
}
