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
        };
        let text = serde_json::to_string(&meta).unwrap();
        assert_eq!(
            text,
            r#"{"name":"web","system":true,"command":["/sbin/init"],"externals":[{"key":"file[18:3]","with":{"stdio":0}},{"key":"file[1b:51e876]","with":{"path":{"path":"/usr/bin/lxc-execute","size":10,"mtime":5}}}],"interfaces":[],"cgroups":["/sys/fs/cgroup/lxc/web"]}"#
        );
        assert_eq!(serde_json::from_str::<CheckpointMeta>(&text).unwrap(), meta);
    }
}
