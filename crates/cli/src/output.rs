//! What the commands print: tables, CPU times, and text a container chose (a command line, an
//! interface name) with its control characters escaped, so that nothing a container writes can
//! drive the user's terminal.
use std::fmt::Write;

pub use lxc_proto::printable;

/// Left-aligned columns separated by two spaces; the last column is not padded. Rows may be
/// arrays (a fixed set of columns) or vectors (lxc-ls -F); all have as many cells as the first.
pub fn table<R: AsRef<[String]>>(rows: &[R]) -> String {
    let n = rows.first().map_or(0, |r| r.as_ref().len());
    let mut widths = vec![0usize; n];
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r.as_ref()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        for (i, c) in r.as_ref().iter().enumerate() {
            if i + 1 == n {
                out.push_str(c);
            } else {
                let _ = write!(out, "{c:<w$}  ", w = widths.get(i).copied().unwrap_or(0));
            }
        }
        out.push('\n');
    }
    out
}

/// `ps`'s TIME: `[DD-]HH:MM:SS` of CPU time.
pub fn cpu_time(secs: f64) -> String {
    let s = secs as u64;
    let (d, h, m, s) = (s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}-{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_tables_and_escapes() {
        assert_eq!(cpu_time(0.4), "00:00:00");
        assert_eq!(cpu_time(3723.0), "01:02:03");
        assert_eq!(cpu_time(90061.0), "1-01:01:01");
        let rows = [
            ["A", "BB"].map(String::from),
            ["CCC", "D"].map(String::from),
        ];
        assert_eq!(table(&rows), "A    BB\nCCC  D\n");
        assert_eq!(
            printable("a\u{1b}[31mb\tc\u{7f}"),
            "a\\u{1b}[31mb\\tc\\u{7f}"
        );
        assert_eq!(printable("sleep 60 é"), "sleep 60 é");
    }
}
