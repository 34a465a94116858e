//! Statistics as LXC's tools print them: `lxc-info -S` lines (`CPU use:`, `BlkIO use:`,
//! `Memory use:`, `KMem use:`, and per veth `Link:`, ` TX bytes:`, ` RX bytes:`,
//! ` Total bytes:`), humanized (`312.00 KiB`, `0.14 seconds`) or raw (`-H`); shared with
//! `lxc-top`.
use lxc_proto::resources::StatsReply;

/// A byte count as LXC humanizes it: `N bytes` below 1 KiB, else two decimals of the largest
/// binary unit (`312.00 KiB`, `1.50 GiB`).
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}

/// CPU nanoseconds as seconds with two decimals.
pub fn seconds(ns: u64) -> String {
    format!("{:.2} seconds", ns as f64 / 1e9)
}

/// The `lxc-info -S` lines of `s` (label, value): a figure the host does not keep is left
/// out, as LXC leaves out what it cannot read.
pub fn lines(s: &StatsReply, humanize: bool) -> Vec<(String, String)> {
    let bytes = |n: u64| if humanize { size(n) } else { n.to_string() };
    let mut out = Vec::new();
    if let Some(ns) = s.cpu_ns {
        let v = if humanize {
            seconds(ns)
        } else {
            ns.to_string()
        };
        out.push(("CPU use:".to_owned(), v));
    }
    for (label, value) in [
        ("BlkIO use:", s.blkio),
        ("Memory use:", s.memory),
        ("KMem use:", s.kmem),
    ] {
        if let Some(n) = value {
            out.push((label.to_owned(), bytes(n)));
        }
    }
    for link in &s.links {
        out.push(("Link:".to_owned(), link.link.clone()));
        out.push((" TX bytes:".to_owned(), bytes(link.tx_bytes)));
        out.push((" RX bytes:".to_owned(), bytes(link.rx_bytes)));
        let total = link.tx_bytes.saturating_add(link.rx_bytes);
        out.push((" Total bytes:".to_owned(), bytes(total)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lxc_proto::resources::LinkStats;

    #[test]
    fn as_lxc_prints_them() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(1023), "1023 bytes");
        assert_eq!(size(319488), "312.00 KiB");
        assert_eq!(size(118784), "116.00 KiB");
        assert_eq!(size(3 << 29), "1.50 GiB");
        assert_eq!(seconds(1867325), "0.00 seconds");
        assert_eq!(seconds(140_000_000), "0.14 seconds");
        let s = StatsReply {
            cpu_ns: Some(1867325),
            memory: Some(319488),
            kmem: Some(118784),
            blkio: Some(0),
            links: vec![LinkStats {
                link: "vethA".into(),
                tx_bytes: 1024,
                rx_bytes: 2048,
            }],
            ..StatsReply::default()
        };
        let text: Vec<String> = lines(&s, true)
            .iter()
            .map(|(l, v)| format!("{l:<16}{v}"))
            .collect();
        assert_eq!(
            text,
            [
                "CPU use:        0.00 seconds",
                "BlkIO use:      0 bytes",
                "Memory use:     312.00 KiB",
                "KMem use:       116.00 KiB",
                "Link:           vethA",
                " TX bytes:      1.00 KiB",
                " RX bytes:      2.00 KiB",
                " Total bytes:   3.00 KiB",
            ]
        );
        let raw = lines(&s, false);
        assert_eq!(raw[0], ("CPU use:".into(), "1867325".into()));
        assert_eq!(raw[2], ("Memory use:".into(), "319488".into()));
    }
}
