//! lxc-ls's rows: what is known of one container (from its shim, its cgroups and its stored
//! configuration) and how each of LXC's `-F` columns shows it. A value that is not known is
//! `-`, as LXC prints it.
use lxc_proto::{Info, State};
use std::path::Path;

/// LXC's lxc-ls columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    State,
    Pid,
    Ram,
    Swap,
    Autostart,
    Groups,
    Interface,
    Ipv4,
    Ipv6,
    Unprivileged,
}

impl Column {
    pub const ALL: [Column; 11] = [
        Column::Name,
        Column::State,
        Column::Pid,
        Column::Ram,
        Column::Swap,
        Column::Autostart,
        Column::Groups,
        Column::Interface,
        Column::Ipv4,
        Column::Ipv6,
        Column::Unprivileged,
    ];

    /// The heading, which is also the name `-F` takes (in any case).
    pub fn header(self) -> &'static str {
        match self {
            Column::Name => "NAME",
            Column::State => "STATE",
            Column::Pid => "PID",
            Column::Ram => "RAM",
            Column::Swap => "SWAP",
            Column::Autostart => "AUTOSTART",
            Column::Groups => "GROUPS",
            Column::Interface => "INTERFACE",
            Column::Ipv4 => "IPV4",
            Column::Ipv6 => "IPV6",
            Column::Unprivileged => "UNPRIVILEGED",
        }
    }

    /// `-F NAME,state,PID`: comma-separated, spaces around names ignored.
    pub fn parse_list(list: &str) -> Result<Vec<Column>, String> {
        list.split(',')
            .map(|w| {
                let w = w.trim();
                Column::ALL
                    .into_iter()
                    .find(|c| c.header().eq_ignore_ascii_case(w))
                    .ok_or_else(|| {
                        let names: Vec<&str> = Column::ALL.iter().map(|c| c.header()).collect();
                        format!(
                            "unknown column \"{}\" (expected {})",
                            lxc_proto::printable(&lxc_proto::shorten(w, 32)),
                            names.join(", ")
                        )
                    })
            })
            .collect()
    }

    /// The column's value in `row`, as LXC writes it (sizes in MiB with two decimals).
    pub fn value(self, row: &Row) -> String {
        let dash = || "-".to_string();
        let join = |v: &[String]| if v.is_empty() { dash() } else { v.join(", ") };
        let mib =
            |b: Option<u64>| b.map_or_else(dash, |b| format!("{:.2}MB", b as f64 / 1048576.0));
        match self {
            Column::Name => row.name.clone(),
            Column::State if row.under_lxc => format!("{} (LXC 5)", row.state),
            Column::State => row.state.to_string(),
            Column::Pid => row.pid.map_or_else(dash, |p| p.to_string()),
            Column::Ram => mib(row.ram),
            Column::Swap => mib(row.swap),
            Column::Autostart => row
                .stored
                .as_ref()
                .map_or_else(dash, |s| u8::from(s.autostart).to_string()),
            Column::Groups => row.stored.as_ref().map_or_else(dash, |s| join(&s.groups)),
            Column::Interface => join(&row.interfaces),
            Column::Ipv4 => join(&row.ips(false)),
            Column::Ipv6 => join(&row.ips(true)),
            // Unprivileged: the stored config has an lxc.idmap.
            Column::Unprivileged => row
                .stored
                .as_ref()
                .is_some_and(|s| s.unprivileged)
                .to_string(),
        }
    }
}

/// What the stored configuration says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    /// `lxc.start.auto`.
    pub autostart: bool,
    /// `lxc.group`.
    pub groups: Vec<String>,
    /// Has an `lxc.idmap`.
    pub unprivileged: bool,
}

impl Stored {
    /// Reads `config`; `None` when it cannot be read or parsed (the row then shows `-`).
    pub fn load(config: &Path) -> Option<Stored> {
        let c = lxc_config::parse_file(config).ok()?;
        Some(Stored {
            autostart: c.settings.start.auto.unwrap_or(false),
            groups: c.settings.groups,
            unprivileged: !c.settings.idmaps.is_empty(),
        })
    }
}

/// One container of the listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub state: State,
    /// Host pid of the init, while it runs.
    pub pid: Option<i32>,
    pub all_ips: Vec<String>,
    pub interfaces: Vec<String>,
    /// Memory in use, bytes.
    pub ram: Option<u64>,
    /// Swap in use, bytes.
    pub swap: Option<u64>,
    /// `None`: no stored configuration (started with `-f`), or an unreadable one.
    pub stored: Option<Stored>,
    /// LXC 5 runs it (its monitor's command socket is there), not a shim of ours.
    pub under_lxc: bool,
}

impl Row {
    pub fn new(name: &str, state: State, stored: Option<Stored>) -> Row {
        Row {
            name: name.to_string(),
            state,
            pid: None,
            all_ips: Vec::new(),
            interfaces: Vec::new(),
            ram: None,
            swap: None,
            stored,
            under_lxc: false,
        }
    }

    /// Fills in what the shim and the container's cgroups tell.
    /// What the shim's `info` tells; `memory`: also read RAM and SWAP from the cgroups (files
    /// of every hierarchy: only when they are shown).
    pub fn add_info(&mut self, info: &Info, memory_too: bool) {
        self.state = info.state;
        self.pid = info.pid;
        self.all_ips = info.ips.clone();
        self.interfaces = info.interfaces.iter().map(|i| i.name.clone()).collect();
        if memory_too {
            let cgroups: Vec<&Path> = info.cgroups.iter().map(Path::new).collect();
            (self.ram, self.swap) = memory(&cgroups);
        }
    }

    fn ips(&self, v6: bool) -> Vec<String> {
        self.all_ips
            .iter()
            .filter(|ip| ip.contains(':') == v6)
            .cloned()
            .collect()
    }

    /// The object `lxc-ls --json` prints.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "state": self.state,
            "pid": self.pid,
            "ips": self.all_ips,
            "interfaces": self.interfaces,
            "ram": self.ram,
            "swap": self.swap,
            "autostart": self.stored.as_ref().map(|s| s.autostart),
            "groups": self.stored.as_ref().map(|s| &s.groups),
            "unprivileged": self.stored.as_ref().is_some_and(|s| s.unprivileged),
            "manager": if self.under_lxc { "lxc" } else { "lxc-rs" },
        })
    }
}

/// Memory and swap in use, bytes: cgroup2's `memory.current` and `memory.swap.current`, else
/// v1's `memory.usage_in_bytes` and the `swap` line of `memory.stat` (present with swap
/// accounting), from whichever of the container's cgroup directories has them.
pub fn memory(cgroups: &[&Path]) -> (Option<u64>, Option<u64>) {
    let read = |p: &Path| -> Option<u64> { std::fs::read_to_string(p).ok()?.trim().parse().ok() };
    let mut ram = None;
    let mut swap = None;
    for dir in cgroups {
        ram = ram
            .or_else(|| read(&dir.join("memory.current")))
            .or_else(|| read(&dir.join("memory.usage_in_bytes")));
        swap = swap
            .or_else(|| read(&dir.join("memory.swap.current")))
            .or_else(|| {
                let stat = std::fs::read_to_string(dir.join("memory.stat")).ok()?;
                stat.lines()
                    .find_map(|l| l.strip_prefix("swap "))
                    .and_then(|v| v.trim().parse().ok())
            });
    }
    (ram, swap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_parse_and_show() {
        assert_eq!(
            Column::parse_list("name, State,PID"),
            Ok(vec![Column::Name, Column::State, Column::Pid])
        );
        assert!(Column::parse_list("NAME,BOGUS")
            .unwrap_err()
            .contains("BOGUS"));
        assert!(Column::parse_list("").is_err());
        let mut row = Row::new("web", State::Running, None);
        row.all_ips = vec!["10.0.0.2".into(), "fd00::2".into(), "10.0.0.3".into()];
        row.ram = Some(3 * 1048576 / 2);
        let shown: Vec<String> = Column::ALL.iter().map(|c| c.value(&row)).collect();
        assert_eq!(
            shown,
            [
                "web",
                "RUNNING",
                "-",
                "1.50MB",
                "-",
                "-",
                "-",
                "-",
                "10.0.0.2, 10.0.0.3",
                "fd00::2",
                "false"
            ]
        );
        row.stored = Some(Stored {
            autostart: true,
            groups: vec!["a".into(), "b".into()],
            unprivileged: true,
        });
        assert_eq!(Column::Autostart.value(&row), "1");
        assert_eq!(Column::Groups.value(&row), "a, b");
        assert_eq!(Column::Unprivileged.value(&row), "true");
    }

    #[test]
    fn memory_from_v1_and_v2_files() {
        let dir = std::env::temp_dir().join(format!("lxc-cli-mem-{}", std::process::id()));
        let (v1, v2) = (dir.join("v1"), dir.join("v2"));
        std::fs::create_dir_all(&v1).unwrap();
        std::fs::create_dir_all(&v2).unwrap();
        std::fs::write(v1.join("memory.usage_in_bytes"), "4096\n").unwrap();
        std::fs::write(v1.join("memory.stat"), "cache 1\nswap 8192\nswapcached 0\n").unwrap();
        assert_eq!(memory(&[&v2, &v1]), (Some(4096), Some(8192)));
        std::fs::write(v2.join("memory.current"), "100\n").unwrap();
        std::fs::write(v2.join("memory.swap.current"), "0\n").unwrap();
        assert_eq!(memory(&[&v2, &v1]), (Some(100), Some(0)));
        assert_eq!(memory(&[]), (None, None));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
