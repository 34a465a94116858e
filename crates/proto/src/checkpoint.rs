//! What a checkpoint directory holds besides CRIU's images: `lxc-checkpoint.json`, written by the
//! shim's dump helper before CRIU runs, read back by `lxc-checkpoint -r`. It names the container,
//! how it ran, and the objects of the dumped tree that live outside the container (CRIU's
//! "external" resources), so that the restore can hand CRIU something in their place.
use crate::net::Interface;
use serde::{Deserialize, Serialize};

/// The file's name in the checkpoint directory.
pub const META_FILE: &str = "lxc-checkpoint.json";
/// CRIU's log of the dump, in the checkpoint directory.
pub const DUMP_LOG: &str = "dump.log";
/// CRIU's log of the restore, in the checkpoint directory.
pub const RESTORE_LOG: &str = "restore.log";

/// The whole file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// The container's name at the dump.
    pub name: String,
    /// lxc-start (COMMAND was pid 1) rather than lxc-execute (an init of ours).
    pub system: bool,
    /// COMMAND and its arguments.
    pub command: Vec<String>,
    /// Objects from outside the container the tree held.
    pub externals: Vec<External>,
    /// The inode of our init's channel socket (application containers): the restored init
    /// gets a channel to its new shim in its place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<u64>,
    /// The interfaces the container had (a veth's host end is made again at the restore).
    #[serde(default)]
    pub interfaces: Vec<Interface>,
    /// The container's cgroup directories: CRIU puts the restored tree back into these, so
    /// the restoring shim must own the same ones.
    #[serde(default)]
    pub cgroups: Vec<String>,
    /// The terminals whose masters the shim held (the console, `lxc.tty.max` ttys, an
    /// application container's COMMAND's pty): the restoring shim makes new ones in their place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terminals: Vec<Terminal>,
}

/// A terminal of the container whose master was the shim's: outside the tree CRIU dumps, so
/// its slave is an external of the dump, and the mounts that bind the slave (/dev/console,
/// /dev/ttyN) are external mounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terminal {
    /// 0: the console (or lxc-execute's COMMAND's pty); N: /dev/ttyN.
    pub tty: u32,
    /// CRIU's name for its slave: `tty[RDEV:DEV]` (hexadecimal device numbers).
    pub key: String,
    /// The mount points inside the container that bind its slave (`/dev/console`).
    #[serde(default)]
    pub mounts: Vec<String>,
    /// CRIU's names (`tty[500:DEV]`) of the `/dev/tty` files open in the container, whose
    /// holders' controlling terminal this is (an interactive shell with job control keeps one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ctty: Vec<String>,
    /// The slave's window size at the dump: rows, columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<(u16, u16)>,
    /// The slave's mode at the dump (a shell's raw mode while it reads a line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<TermMode>,
}

/// A terminal's termios, as numbers (the kernel's `struct termios` without its speeds, which
/// a pty ignores).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermMode {
    /// `c_iflag`.
    pub iflag: u32,
    /// `c_oflag`.
    pub oflag: u32,
    /// `c_cflag`.
    pub cflag: u32,
    /// `c_lflag`.
    pub lflag: u32,
    /// `c_cc`: the control characters.
    pub cc: Vec<u8>,
}

/// Reads and decodes `dir`'s META_FILE as config files are read (`lxc_config::read_file`): a
/// regular file of at most 1 MiB, UTF-8, so that a FIFO, a device or a huge file in a
/// checkpoint directory can neither hang nor exhaust the reader. The error names the file.
pub fn read_meta(dir: &std::path::Path) -> Result<CheckpointMeta, String> {
    let path = dir.join(META_FILE);
    let text = match lxc_config::read_file(&path) {
        Ok(text) => text,
        Err(e) if !path.exists() && path.symlink_metadata().is_err() => {
            return Err(format!("{e} (not a checkpoint directory)"))
        }
        Err(e) => return Err(e.to_string()),
    };
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// One external object: CRIU's key for it, and what stands in for it at the restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct External {
    /// CRIU's name for it: `file[MNT:INO]` or `pipe:[INO]`.
    pub key: String,
    /// What replaces it.
    pub with: Replacement,
}

/// What replaces an external object at the restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Replacement {
    /// The restoring command's descriptor 0, 1 or 2 (what COMMAND's stdio was).
    Stdio(i32),
    /// The same file, opened again by path (a mapped binary or library of the host); its
    /// size and modification time must not have changed.
    Path {
        /// The file.
        path: String,
        /// Its size at the dump.
        size: u64,
        /// Its modification time at the dump (seconds).
        mtime: i64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_wire_form() {
        let meta = CheckpointMeta {
            name: "web".into(),
            system: true,
            command: vec!["/sbin/init".into()],
            externals: vec![
                External {
                    key: "file[18:3]".into(),
                    with: Replacement::Stdio(0),
                },
                External {
                    key: "file[1b:51e876]".into(),
                    with: Replacement::Path {
                        path: "/usr/bin/lxc-execute".into(),
                        size: 10,
                        mtime: 5,
                    },
                },
            ],
            channel: None,
            interfaces: vec![],
            cgroups: vec!["/sys/fs/cgroup/lxc/web".into()],
            terminals: vec![],
        };
        let text = serde_json::to_string(&meta).unwrap();
        assert_eq!(
            text,
            r#"{"name":"web","system":true,"command":["/sbin/init"],"externals":[{"key":"file[18:3]","with":{"stdio":0}},{"key":"file[1b:51e876]","with":{"path":{"path":"/usr/bin/lxc-execute","size":10,"mtime":5}}}],"interfaces":[],"cgroups":["/sys/fs/cgroup/lxc/web"]}"#
        );
        assert_eq!(serde_json::from_str::<CheckpointMeta>(&text).unwrap(), meta);
    }

    #[test]
    fn terminal_wire_form() {
        let t = Terminal {
            tty: 1,
            key: "tty[8800001:33]".into(),
            mounts: vec!["/dev/tty1".into()],
            ctty: vec!["tty[500:14]".into()],
            size: Some((24, 80)),
            mode: Some(TermMode {
                iflag: 0x500,
                oflag: 5,
                cflag: 0xbf,
                lflag: 0x8a3b,
                cc: vec![3, 28],
            }),
        };
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(
            text,
            r#"{"tty":1,"key":"tty[8800001:33]","mounts":["/dev/tty1"],"ctty":["tty[500:14]"],"size":[24,80],"mode":{"iflag":1280,"oflag":5,"cflag":191,"lflag":35387,"cc":[3,28]}}"#
        );
        assert_eq!(serde_json::from_str::<Terminal>(&text).unwrap(), t);
        // A file without terminals (every dump before them) reads as none.
        let old = r#"{"name":"a","system":false,"command":["sh"],"externals":[]}"#;
        assert!(serde_json::from_str::<CheckpointMeta>(old)
            .unwrap()
            .terminals
            .is_empty());
    }
}
