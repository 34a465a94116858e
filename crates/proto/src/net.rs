//! What the shim and the `lxc-netsetup` helper exchange (JSON on the helper's stdin and
//! stdout), and what the run directory's record keeps so that a physical interface goes back
//! to the host even after the shim died.
use serde::{Deserialize, Serialize};

/// The helper's input for `setup`: the container's interfaces as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupRequest {
    /// The interfaces, in config order.
    pub networks: Vec<lxc_config::Network>,
}

/// One interface as it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    /// Its name inside the container.
    pub name: String,
    /// `veth`, `macvlan`, `phys` or `empty`.
    pub kind: String,
    /// The host-side veth end, for veth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Its MAC address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hwaddr: Option<String>,
    /// Its addresses with prefix, v4 then v6.
    #[serde(default)]
    pub addresses: Vec<String>,
}

/// A host interface moved into the container, to be given back when it stops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhysLink {
    /// Its name inside the container.
    pub name: String,
    /// Its name on the host, restored when it comes back.
    pub original: String,
    /// Whether it was up on the host.
    pub was_up: bool,
}

/// The helper's output of `setup`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupResult {
    /// The interfaces made, in config order.
    pub interfaces: Vec<Interface>,
    /// Host interfaces moved in.
    #[serde(default)]
    pub phys: Vec<PhysLink>,
}

impl SetupResult {
    /// Every address without its prefix (for `lxc-info`'s `IP:` lines).
    pub fn ips(&self) -> Vec<String> {
        self.interfaces
            .iter()
            .flat_map(|i| i.addresses.iter())
            .map(|a| a.split('/').next().unwrap_or(a).to_string())
            .collect()
    }
}

/// The helper's input for `teardown`, also what the run directory's record keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeardownRequest {
    /// A bind mount of the container's network namespace (kept while physical interfaces
    /// are inside, so that they outlive the container's processes and can be given back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netns: Option<std::path::PathBuf>,
    /// Host interfaces to give back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phys: Vec<PhysLink>,
    /// Host-side links the container made (veth ends), for the record: they leave with the
    /// container's network namespace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_links: Vec<String>,
}

impl TeardownRequest {
    /// Whether there is anything to do.
    pub fn is_empty(&self) -> bool {
        self.netns.is_none() && self.phys.is_empty() && self.host_links.is_empty()
    }
}

/// Name of the helper executable, next to the lxc-* commands.
pub const HELPER: &str = "lxc-netsetup";
