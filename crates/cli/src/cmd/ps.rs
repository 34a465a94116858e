//! `lxc-ps [-n NAME] [--json]`: the processes of every running container (or of NAME), one
//! header line, then CONTAINER, PID (host), PID inside the container, USER, TIME and CMD.
use crate::container::{rpc_error, run_dir_names, Container, Status};
use crate::CliError;
use serde_json::Value;
use std::collections::HashMap;

crate::command!(
    optional,
    /// List the processes of running containers.
    pub struct Args {
        /// only this container
        #[argh(option, short = 'n')]
        name: Option<String>,
        /// print one JSON object per container
        #[argh(switch)]
        json: bool,
    }
);

pub fn run(args: Args) -> Result<i32, CliError> {
    let names = match &args.name {
        Some(n) => vec![n.clone()],
        None => run_dir_names(),
    };
    let mut lists = Vec::new();
    for name in names {
        let ct = Container::new(&name, args.lxcpath.as_ref())?;
        let mut client = match ct.status()? {
            Status::Running(c) => c,
            // Only the one asked for by name is an error when it does not run.
            _ if args.name.is_some() => return Err(ct.not_running()),
            _ => continue,
        };
        match client.call("ps", serde_json::json!({})) {
            Ok(v) => lists.push(v),
            // It may have stopped since we listed it.
            Err(_) if args.name.is_none() => continue,
            Err(e) => return Err(rpc_error(e)),
        }
    }
    if args.json {
        for l in &lists {
            println!("{l}");
        }
        return Ok(0);
    }
    let users = Users::load();
    let mut rows = vec![["CONTAINER", "PID", "NSPID", "USER", "TIME", "CMD"].map(String::from)];
    for l in &lists {
        let name = l.get("name").and_then(Value::as_str).unwrap_or("?");
        for p in l
            .get("processes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let num = |k: &str| p.get(k).and_then(Value::as_i64).unwrap_or(0);
            let secs = p.get("time").and_then(Value::as_f64).unwrap_or(0.0);
            rows.push([
                name.to_string(),
                num("pid").to_string(),
                num("ns_pid").to_string(),
                users.name(num("uid") as u32),
                cpu_time(secs),
                p.get("cmd")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            ]);
        }
    }
    print!("{}", table(&rows));
    Ok(0)
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

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i + 1 == N {
                out.push_str(c);
            } else {
                out.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        out.push('\n');
    }
    out
}

/// uid to user name, from the host's /etc/passwd (the container shares the host's root).
struct Users(HashMap<u32, String>);

impl Users {
    fn load() -> Users {
        let text = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        Users(
            text.lines()
                .filter_map(|l| {
                    let mut f = l.split(':');
                    let name = f.next()?;
                    Some((f.nth(1)?.parse().ok()?, name.to_string()))
                })
                .collect(),
        )
    }

    fn name(&self, uid: u32) -> String {
        self.0.get(&uid).cloned().unwrap_or_else(|| uid.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_tables() {
        assert_eq!(cpu_time(0.4), "00:00:00");
        assert_eq!(cpu_time(3723.0), "01:02:03");
        assert_eq!(cpu_time(90061.0), "1-01:01:01");
        let rows = [
            ["A", "BB"].map(String::from),
            ["CCC", "D"].map(String::from),
        ];
        assert_eq!(table(&rows), "A    BB\nCCC  D\n");
    }
}
