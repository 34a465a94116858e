//! LXC's getopt forms in front of argh: attached values (`-nfoo`, `-t0`, `--name=foo`),
//! clustered switches (`-pH`), unique prefixes of long options (`--time 5`), `-h`/`-?`,
//! `--usage`, `--version`, a NAME given as the first word when `-n` is not, and a COMMAND that
//! starts at its first word (`lxc-execute -n x ls -l` runs `ls -l`). Each command's options come
//! from its argh `ArgsInfo`, so nothing here repeats them. The output is argv as argh takes it:
//! options in their long form, then `--` and the positional words.
use argh::{CommandInfoWithArgs, FlagInfoKind, Optionality};

/// One option of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    pub short: Option<char>,
    /// Without the leading `--`.
    pub long: String,
    /// The value's name (`NAME`) for an option that takes one; `None` for a switch.
    pub value: Option<String>,
    pub required: bool,
}

/// What follows the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Positionals {
    /// At most this many words (lxc-ls: a name pattern).
    Words(usize),
    /// COMMAND and its arguments: the first word ends the options.
    Command,
}

/// A command's options, as the normalizer needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub opts: Vec<Opt>,
    pub positionals: Positionals,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Parse these with argh and run.
    Run(Vec<String>),
    Help,
    Usage,
    Version,
    /// A usage error, without the command's name.
    Error(String),
}

impl Spec {
    /// From argh's description of the struct (its implicit `--help` left out: `-h`, `-?` and
    /// `--help` are handled here).
    pub fn from_info(info: &CommandInfoWithArgs) -> Spec {
        let opts = info
            .flags
            .iter()
            .filter(|f| f.long != "--help")
            .map(|f| Opt {
                short: f.short,
                long: f.long.trim_start_matches("--").to_string(),
                value: match f.kind {
                    FlagInfoKind::Option { arg_name } => Some(arg_name.to_ascii_uppercase()),
                    FlagInfoKind::Switch => None,
                },
                required: f.optionality == Optionality::Required,
            })
            .collect();
        let command = info
            .positionals
            .iter()
            .any(|p| p.optionality == Optionality::Greedy);
        Spec {
            opts,
            positionals: if command {
                Positionals::Command
            } else {
                Positionals::Words(info.positionals.len())
            },
        }
    }

    fn has_name(&self) -> bool {
        self.opts.iter().any(|o| o.long == "name")
    }

    fn short(&self, c: char) -> Result<&Opt, String> {
        self.opts
            .iter()
            .find(|o| o.short == Some(c))
            .ok_or_else(|| format!("unknown option -{c}"))
    }

    /// An exact long name, else the one long name it is a prefix of (as getopt_long).
    fn long(&self, key: &str) -> Result<&Opt, String> {
        if let Some(o) = self.opts.iter().find(|o| o.long == key) {
            return Ok(o);
        }
        let matches: Vec<&Opt> = self
            .opts
            .iter()
            .filter(|o| !key.is_empty() && o.long.starts_with(key))
            .collect();
        match matches.as_slice() {
            [one] => Ok(one),
            [] => Err(format!("unknown option --{key}")),
            many => Err(format!(
                "ambiguous option --{key} ({})",
                many.iter()
                    .map(|o| format!("--{}", o.long))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// LXC's `--usage`: one line naming every option.
    pub fn usage_line(&self, cmd: &str) -> String {
        let mut line = format!("Usage: {cmd}");
        for o in &self.opts {
            let mut s = String::new();
            if let Some(c) = o.short {
                s.push_str(&format!("-{c}|"));
            }
            s.push_str(&format!("--{}", o.long));
            if let Some(v) = &o.value {
                s.push_str(&format!("={v}"));
            }
            if o.required {
                line.push_str(&format!(" {s}"));
            } else {
                line.push_str(&format!(" [{s}]"));
            }
        }
        line.push_str(" [-?|--help]");
        match self.positionals {
            Positionals::Command => line.push_str(" [--] COMMAND [ARG...]"),
            Positionals::Words(0) => {}
            Positionals::Words(_) => line.push_str(" [PATTERN]"),
        }
        line
    }
}

/// Normalizes `args` (without `argv[0]`). The flag says whether `-q`/`--quiet` came before
/// whatever ended the scan, so that a usage error after it is kept quiet too.
pub fn normalize(spec: &Spec, args: &[String]) -> (Outcome, bool) {
    let mut out = Out {
        spec,
        opts: Vec::new(),
        words: Vec::new(),
        seen: Vec::new(),
    };
    let outcome = scan(&mut out, args).unwrap_or_else(Outcome::Error);
    (outcome, out.seen.contains(&"quiet"))
}

struct Out<'s> {
    spec: &'s Spec,
    opts: Vec<String>,
    words: Vec<String>,
    /// Long names of the options given.
    seen: Vec<&'s str>,
}

impl<'s> Out<'s> {
    fn opt(&mut self, o: &'s Opt, value: Option<String>) {
        self.seen.push(&o.long);
        self.opts.push(format!("--{}", o.long));
        self.opts.extend(value);
    }

    /// A positional word: NAME while `-n` was not given, else a word of its own; `true` when
    /// it starts COMMAND (the rest of the line is COMMAND's too).
    fn word(&mut self, w: &str) -> Result<bool, String> {
        if self.spec.has_name() && !self.seen.contains(&"name") {
            self.seen.push("name");
            self.opts.push("--name".into());
            self.opts.push(w.into());
            return Ok(false);
        }
        match self.spec.positionals {
            Positionals::Command => Ok(true),
            Positionals::Words(n) if self.words.len() < n => {
                self.words.push(w.into());
                Ok(false)
            }
            Positionals::Words(_) => Err(format!("unexpected argument \"{}\"", shown(w))),
        }
    }
}

fn scan<'s>(out: &mut Out<'s>, args: &[String]) -> Result<Outcome, String> {
    let spec = out.spec;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            if spec.positionals == Positionals::Command {
                out.words.extend(args[i..].iter().cloned());
            } else {
                for w in &args[i..] {
                    out.word(w)?;
                }
            }
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (key, inline) = match body.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (body, None),
            };
            if key == "help" {
                return Ok(Outcome::Help);
            }
            let o = spec.long(key)?;
            match o.long.as_str() {
                "usage" => return Ok(Outcome::Usage),
                "version" => return Ok(Outcome::Version),
                _ => {}
            }
            let value = match (&o.value, inline) {
                (None, Some(_)) => return Err(format!("--{} takes no value", o.long)),
                (None, None) => None,
                (Some(_), Some(v)) => Some(v),
                (Some(_), None) => Some(next_value(args, &mut i, &format!("--{}", o.long))?),
            };
            out.opt(o, value);
        } else if a.len() > 1 && a.starts_with('-') {
            let body = &a[1..];
            for (j, c) in body.char_indices() {
                if c == 'h' || c == '?' {
                    return Ok(Outcome::Help);
                }
                let o = spec.short(c)?;
                if o.value.is_none() {
                    out.opt(o, None);
                    continue;
                }
                let rest = &body[j + c.len_utf8()..];
                let value = if rest.is_empty() {
                    next_value(args, &mut i, &format!("-{c}"))?
                } else {
                    rest.to_string()
                };
                out.opt(o, Some(value));
                break;
            }
        } else if out.word(a)? {
            out.words.extend(args[i - 1..].iter().cloned());
            break;
        }
    }
    for o in spec.opts.iter().filter(|o| o.required) {
        if !out.seen.contains(&o.long.as_str()) {
            return Err(match o.long.as_str() {
                "name" => "no container name given (-n NAME)".to_string(),
                _ => format!("missing {}", shown_opt(o)),
            });
        }
    }
    let mut argv = std::mem::take(&mut out.opts);
    if !out.words.is_empty() {
        argv.push("--".into());
        argv.append(&mut out.words);
    }
    Ok(Outcome::Run(argv))
}

/// One line from an argh error (`Error parsing option '--timeout' with value 'x': invalid
/// digit found in string`, `Required options not provided:\n    --name`): `--timeout "x":
/// invalid digit found in string`, `--name given twice`.
pub fn argh_message(output: &str) -> String {
    let line = output.split_whitespace().collect::<Vec<_>>().join(" ");
    let parsed = line
        .strip_prefix("Error parsing option '")
        .and_then(|r| r.split_once("' with value '"))
        .and_then(|(opt, r)| r.rsplit_once("': ").map(|(v, why)| (opt, v, why)));
    match parsed {
        Some((opt, _, "duplicate values provided")) => format!("{opt} given twice"),
        Some((opt, value, why)) => format!("{opt} \"{}\": {why}", shown(value)),
        None => line.trim_end_matches('.').to_string(),
    }
}

fn next_value(args: &[String], i: &mut usize, opt: &str) -> Result<String, String> {
    let v = args
        .get(*i)
        .cloned()
        .ok_or_else(|| format!("{opt} needs a value"))?;
    *i += 1;
    Ok(v)
}

/// `-s STATE` or `--state STATE`.
fn shown_opt(o: &Opt) -> String {
    let flag = o
        .short
        .map_or_else(|| format!("--{}", o.long), |c| format!("-{c}"));
    match &o.value {
        Some(v) => format!("{flag} {v}"),
        None => flag,
    }
}

/// A word the user typed, quoted in a message: short, and control characters escaped.
fn shown(w: &str) -> String {
    lxc_proto::printable(&lxc_proto::shorten(w, 64))
}

#[cfg(test)]
mod tests;
