//! `lxc-update-config`: a config in 2008 or LXC 2 spelling rewritten in today's keys, line by
//! line, so that LXC 5 reads it. Only keys change: comments, blank lines, spacing, values and
//! order stay. The text is parsed first (a key nobody knows, or any other error, stops the
//! update), and the result is parsed again and must give the same settings, so a rewrite
//! never changes what a config means.

use std::path::Path;

use crate::error::ConfigError;
use crate::model::Config;
use crate::netkeys::fields::modern_field;
use crate::parse::Parser;
use crate::table::def::Apply;
use crate::table::Table;

/// `text`, read from the file at `path` (which names it in errors; relative includes are
/// relative to its directory), with every legacy key in its modern spelling: `lxc.utsname`
/// becomes `lxc.uts.name`, `lxc.limit.nofile` `lxc.prlimit.nofile`, and each 2008
/// `lxc.network.FIELD` becomes `lxc.net.N.FIELD` for the interface N it addressed (each
/// `lxc.network.type` opens the next one), `lxc.network.ipv4` `lxc.net.N.ipv4.address`.
/// Text with no legacy key comes back as it is. Included files are read, not rewritten.
pub fn update_text(text: &str, path: &Path) -> Result<String, ConfigError> {
    let source = path.display().to_string();
    let mut config = Config::default();
    // (line, key, the 2008 interface it addressed): for each key line of this file.
    let mut keys: Vec<(usize, String, Option<u32>)> = Vec::new();
    let settings = {
        let mut parser = Parser::new(&mut config);
        parser.text_of_file_seen(text, path, &mut |net, line, key| {
            keys.push((line, key.to_owned(), net.legacy_index()));
        })?;
        parser.finish()?;
        config.settings
    };
    let table = Table::new();
    let mut renamed = keys.into_iter().filter_map(|(line, key, index)| {
        let modern = modern_key(&table, &key, index)?;
        Some((line, key, modern))
    });
    let mut next = renamed.next();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (number, raw) in text.split_inclusive('\n').enumerate() {
        match &next {
            Some((line, key, modern)) if *line == number + 1 => {
                // The parser trimmed the line, and the key starts what is left (after a
                // byte-order mark on the first line).
                let bom = if number == 0 && raw.starts_with('\u{feff}') {
                    '\u{feff}'.len_utf8()
                } else {
                    0
                };
                let body = &raw[bom..];
                let lead = body.len() - body.trim_start().len();
                let at = bom + lead;
                out.push_str(&raw[..at]);
                out.push_str(modern);
                out.push_str(&raw[at + key.len()..]);
                next = renamed.next();
            }
            _ => out.push_str(raw),
        }
    }
    let same = crate::parse_file_text(&out, path).map(|c| c.settings == settings);
    if same != Ok(true) {
        // An included file that continues a 2008 interface of this one (`lxc.network.*`
        // after its `lxc.network.type`) cannot follow a rewrite of this file alone.
        return Err(ConfigError::new(
            &source,
            0,
            None,
            "in modern keys this config would not mean the same (an included file continues \
             its 2008 network interfaces?): update the included files along with it by hand",
        ));
    }
    Ok(out)
}

/// The LXC 5 spelling of a known key (`lxc.utsname` -> `lxc.uts.name`; a modern key is its
/// own). The error says why there is none: a key nobody knows (with the known key it probably
/// meant), or a 2008 `lxc.network.*` key, whose `lxc.net.N.*` name depends on the interfaces
/// before it in its file.
pub fn modern_spelling(key: &str) -> Result<String, String> {
    let table = Table::new();
    if !table.resolve(key)?.legacy {
        return Ok(key.to_owned());
    }
    modern_key(&table, key, None)
        .ok_or_else(|| "a 2008 interface key: ask for its lxc.net.N.* name".to_owned())
}

/// The modern spelling of `key` when it is a legacy one; `index` is the interface a 2008
/// network key addressed.
fn modern_key(table: &Table, key: &str, index: Option<u32>) -> Option<String> {
    let resolved = table.resolve(key).ok()?;
    if !resolved.legacy {
        return None;
    }
    let def = resolved.def;
    if matches!(def.apply, Apply::Net) {
        if resolved.sub.is_empty() {
            return Some(def.name.to_owned());
        }
        let field = modern_field(resolved.sub)?;
        return Some(format!("{}.{}.{field}", def.name, index?));
    }
    if resolved.sub.is_empty() {
        Some(def.name.to_owned())
    } else {
        Some(format!("{}.{}", def.name, resolved.sub))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{TempDir, SPEC_EXAMPLE};

    fn update(text: &str) -> Result<String, ConfigError> {
        update_text(text, Path::new("/nonexistent/c.conf"))
    }

    #[test]
    fn modern_spellings() {
        for (key, modern) in [
            ("lxc.uts.name", "lxc.uts.name"),
            ("lxc.utsname", "lxc.uts.name"),
            ("lxc.rootfs", "lxc.rootfs.path"),
            ("lxc.limit.core", "lxc.prlimit.core"),
            ("lxc.cgroup.memory.max", "lxc.cgroup.memory.max"),
            ("lxc.net.0.type", "lxc.net.0.type"),
        ] {
            assert_eq!(modern_spelling(key).as_deref(), Ok(modern), "{key}");
        }
        assert!(modern_spelling("lxc.network.ipv4").is_err());
        assert_eq!(
            modern_spelling("lxc.utsnme"),
            Err("unknown key (did you mean lxc.utsname?)".to_owned())
        );
    }

    #[test]
    fn the_spec_example_in_modern_keys() {
        let dir = TempDir::new("update-spec");
        dir.write("fstab", "");
        let path = dir.write("spec.conf", SPEC_EXAMPLE);
        let out = update_text(SPEC_EXAMPLE, &path).unwrap();
        let keys: Vec<&str> = out
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split(" = ").next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "lxc.mount.fstab",
                "lxc.uts.name",
                "lxc.net.0.type",
                "lxc.net.0.flags",
                "lxc.net.0.link",
                "lxc.net.0.hwaddr",
                "lxc.net.0.ipv4.address",
                "lxc.net.0.ipv6.address",
            ]
        );
        // Comments, blank lines and values stay, line for line.
        assert_eq!(out.lines().count(), SPEC_EXAMPLE.lines().count());
        for (old, new) in SPEC_EXAMPLE.lines().zip(out.lines()) {
            if old.starts_with('#') || old.is_empty() {
                assert_eq!(old, new);
            } else {
                assert_eq!(
                    old.split_once('=').unwrap().1,
                    new.split_once('=').unwrap().1
                );
            }
        }
        let before = crate::parse_file_text(SPEC_EXAMPLE, &path).unwrap();
        let after = crate::parse_file_text(&out, &path).unwrap();
        assert_eq!(before.settings, after.settings);
    }

    #[test]
    fn interfaces_are_counted_and_lxc2_keys_renamed() {
        let text = "\u{feff}lxc.utsname=a\r\n\
            \tlxc.network.type = veth\n\
            lxc.network.link = br0\n\
            lxc.net.5.type = empty\n\
            lxc.network.type = macvlan\n\
            lxc.network.link = eth0\n\
            lxc.network.ipv4 = 10.0.0.2/24\n\
            lxc.network.ipv4.gateway = 10.0.0.1\n\
            lxc.network.ipv6 = fd00::2/64\n\
            lxc.limit.nofile = 1024\n\
            lxc.tty = 4\n\
            lxc.haltsignal = SIGUSR1\n\
            lxc.rootfs = /srv/r\n\
            lxc.aa_profile = unconfined\n\
            lxc.network =\n\
            lxc.network.type = empty\n";
        let out = update(text).unwrap();
        let want = "\u{feff}lxc.uts.name=a\r\n\
            \tlxc.net.0.type = veth\n\
            lxc.net.0.link = br0\n\
            lxc.net.5.type = empty\n\
            lxc.net.6.type = macvlan\n\
            lxc.net.6.link = eth0\n\
            lxc.net.6.ipv4.address = 10.0.0.2/24\n\
            lxc.net.6.ipv4.gateway = 10.0.0.1\n\
            lxc.net.6.ipv6.address = fd00::2/64\n\
            lxc.prlimit.nofile = 1024\n\
            lxc.tty.max = 4\n\
            lxc.signal.halt = SIGUSR1\n\
            lxc.rootfs.path = /srv/r\n\
            lxc.apparmor.profile = unconfined\n\
            lxc.net =\n\
            lxc.net.0.type = empty\n";
        assert_eq!(out, want);
        let path = Path::new("/nonexistent/c.conf");
        let before = crate::parse_file_text(text, path).unwrap();
        let after = crate::parse_file_text(&out, path).unwrap();
        assert_eq!(before.settings, after.settings);
        // Modern text is left as it is.
        assert_eq!(update(&out).unwrap(), out);
        assert_eq!(update("").unwrap(), "");
    }

    #[test]
    fn errors_leave_nothing_half_done() {
        let err = update("lxc.utsname = a\n\nlxc.utsnme = b\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/nonexistent/c.conf:3: lxc.utsnme: unknown key (did you mean lxc.utsname?)"
        );
        let err = update("lxc.network.link = br0\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "/nonexistent/c.conf:1: lxc.network.link: lxc.network.type must come first"
        );
    }

    #[test]
    fn an_include_that_continues_an_interface_is_refused() {
        let dir = TempDir::new("update-include");
        dir.write("more.conf", "lxc.network.flags = up\n");
        let text = "lxc.network.type = veth\nlxc.network.link = br0\nlxc.include = more.conf\n";
        let path = dir.write("c.conf", text);
        let err = update_text(text, &path).unwrap_err();
        assert!(err.message.contains("would not mean the same"), "{err}");
        // An include that opens interfaces of its own is fine.
        dir.write("own.conf", "lxc.network.type = empty\n");
        let text = "lxc.network.type = veth\nlxc.network.link = br0\nlxc.include = own.conf\n\
            lxc.network.name = x0\n";
        let path = dir.write("d.conf", text);
        let out = update_text(text, &path).unwrap();
        assert!(out.ends_with("lxc.net.1.name = x0\n"), "{out}");
    }
}
