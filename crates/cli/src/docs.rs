//! Man pages and bash completion, generated from the sources the commands themselves use, so
//! that they cannot drift: each command's options and their descriptions are its argh struct
//! (what `--help` prints), its description is its row of the README's command table, and the
//! config keys are the key table of `lxc-config` (crate `lxc_config`). `gen-docs` (a build
//! tool, not installed) writes them; `scripts/install.sh` installs what it wrote.
use argh::{ArgsInfo, CommandInfoWithArgs, FlagInfoKind};

/// The README, as built.
const README: &str = include_str!("../../../README.md");

/// Every command with its options, as `--help` knows them.
pub fn commands() -> Vec<(&'static str, CommandInfoWithArgs)> {
    use crate::cmd::*;
    vec![
        ("lxc-attach", attach::Args::get_args_info()),
        ("lxc-autostart", autostart::Args::get_args_info()),
        ("lxc-cgroup", cgroup::Args::get_args_info()),
        ("lxc-checkconfig", checkconfig::Args::get_args_info()),
        ("lxc-checkpoint", checkpoint::Args::get_args_info()),
        ("lxc-config", config::Args::get_args_info()),
        ("lxc-console", console::Args::get_args_info()),
        ("lxc-copy", copy::Args::get_args_info()),
        ("lxc-create", create::Args::get_args_info()),
        ("lxc-destroy", destroy::Args::get_args_info()),
        ("lxc-execute", execute::Args::get_args_info()),
        ("lxc-freeze", freeze::FreezeArgs::get_args_info()),
        ("lxc-info", info::Args::get_args_info()),
        ("lxc-kill", kill::Args::get_args_info()),
        ("lxc-ls", ls::Args::get_args_info()),
        ("lxc-monitor", monitor::Args::get_args_info()),
        ("lxc-ps", ps::Args::get_args_info()),
        ("lxc-snapshot", snapshot::Args::get_args_info()),
        ("lxc-start", start::Args::get_args_info()),
        ("lxc-state", state::Args::get_args_info()),
        ("lxc-stop", stop::Args::get_args_info()),
        ("lxc-top", top::Args::get_args_info()),
        ("lxc-unfreeze", freeze::UnfreezeArgs::get_args_info()),
        ("lxc-update-config", update_config::Args::get_args_info()),
        ("lxc-usernsexec", usernsexec::Args::get_args_info()),
        ("lxc-wait", wait::Args::get_args_info()),
    ]
}

/// The README's description of `cmd`: the second cell of the command table's row whose first
/// cell names it.
pub fn readme_description(cmd: &str) -> Option<String> {
    let tick = format!("`{cmd} ");
    let alone = format!("`{cmd}`");
    README
        .lines()
        .filter(|l| l.starts_with("| `lxc-"))
        .find_map(|l| {
            let mut cells = split_cells(l);
            let first = cells.next()?;
            (first.contains(&tick) || first.contains(&alone))
                .then(|| cells.next().map(str::to_string))
                .flatten()
        })
}

/// The cells of a markdown table row (a `|` inside backticks or escaped is text).
fn split_cells(row: &str) -> impl Iterator<Item = &str> {
    let mut cells = Vec::new();
    let (mut start, mut code, mut prev) = (1, false, ' ');
    for (i, c) in row.char_indices() {
        match c {
            '`' => code = !code,
            '|' if i > 0 && !code && prev != '\\' => {
                if let Some(cell) = row.get(start..i) {
                    cells.push(cell.trim());
                }
                start = i + 1;
            }
            _ => {}
        }
        prev = c;
    }
    cells.into_iter()
}

/// Text for roff: backslashes and leading dots escaped, `code` in bold.
fn roff(text: &str) -> String {
    let mut out = String::new();
    let mut bold = false;
    for c in text.replace("\\|", "|").chars() {
        match c {
            '`' => {
                out.push_str(if bold { "\\fR" } else { "\\fB" });
                bold = !bold;
            }
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            _ => out.push(c),
        }
    }
    if bold {
        out.push_str("\\fR");
    }
    let out = out.replace("→", "\\(->").replace("**", "");
    if out.starts_with('.') || out.starts_with('\'') {
        format!("\\&{out}")
    } else {
        out
    }
}

fn option_words(info: &CommandInfoWithArgs) -> Vec<String> {
    let mut words = Vec::new();
    for f in info.flags {
        if let Some(c) = f.short {
            words.push(format!("-{c}"));
        }
        words.push(f.long.to_string());
    }
    words
}

/// The man page of `cmd` (section 1).
pub fn man_page(cmd: &str, info: &CommandInfoWithArgs) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut m = format!(
        ".TH {} 1 \"\" \"lxc-rs {version}\" \"lxc-rs commands\"\n.SH NAME\n{} \\- {}\n",
        cmd.to_uppercase(),
        cmd,
        roff(info.description.trim_end_matches('.'))
    );
    let spec = crate::argv::Spec::from_info(info);
    let mut usage = spec.usage_line(cmd);
    if let Some(p) = info.positionals.first().filter(|p| p.name != "command") {
        usage = usage.replace("COMMAND [ARG...]", &format!("{}...", p.name.to_uppercase()));
    }
    m.push_str(&format!(
        ".SH SYNOPSIS\n.nf\n{}\n.fi\n",
        roff(usage.strip_prefix("Usage: ").unwrap_or(&usage))
    ));
    m.push_str(".SH DESCRIPTION\n");
    match readme_description(cmd) {
        Some(d) => m.push_str(&format!("{}\n", roff(&d))),
        None => m.push_str(&format!(
            "{}.\n",
            roff(info.description.trim_end_matches('.'))
        )),
    }
    m.push_str(".SH OPTIONS\n");
    for f in info.flags.iter().filter(|f| f.long != "--help") {
        let value = match f.kind {
            FlagInfoKind::Option { arg_name } => format!(" \\fI{}\\fR", arg_name.to_uppercase()),
            FlagInfoKind::Switch => String::new(),
        };
        let names = match f.short {
            Some(c) => format!("\\fB\\-{c}\\fR, \\fB{}\\fR", roff(f.long)),
            None => format!("\\fB{}\\fR", roff(f.long)),
        };
        m.push_str(&format!(".TP\n{names}{value}\n{}\n", roff(f.description)));
    }
    m.push_str(".TP\n\\fB\\-h\\fR, \\fB\\-?\\fR, \\fB\\-\\-help\\fR\nthe options, on stdout\n");
    for p in info.positionals {
        m.push_str(&format!(
            ".TP\n\\fI{}\\fR\n{}\n",
            p.name.to_uppercase(),
            roff(p.description)
        ));
    }
    m.push_str(
        ".SH EXIT STATUS\n0 on success, 1 on failure, 2 on a usage error (see the README for \
         lxc\\-execute, lxc\\-start and lxc\\-stop).\n.SH SEE ALSO\n\\fBlxc.container.conf\\fR(5), \
         the README of lxc\\-rs\n",
    );
    m
}

/// `lxc.container.conf(5)`: the format and every key, with its older spellings and status.
pub fn container_conf_page() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut m = format!(
        ".TH LXC.CONTAINER.CONF 5 \"\" \"lxc-rs {version}\" \"lxc-rs file formats\"\n\
         .SH NAME\nlxc.container.conf \\- the configuration of a container (lxc-rs)\n\
         .SH DESCRIPTION\nOne \\fBkey = value\\fR per line; \\fB#\\fR starts a comment line; \
         blank lines and spaces around \\fB=\\fR are fine; a value in matching quotes is taken \
         without them; an empty value resets the key. \\fBlxc.include\\fR reads another file, or \
         every *.conf of a directory. Keys written for the 2008 LXC (spec 3.2) and for LXC 2 are \
         read as their modern spelling; \\fBlxc\\-update\\-config\\fR rewrites them. A key nobody \
         knows is an error naming the file, the line and the key. A key marked \\fInot supported \
         yet\\fR is read and checked, stored by \\fBlxc\\-create\\fR, and refused by \
         \\fBlxc\\-execute\\fR and \\fBlxc\\-start\\fR naming it.\n.SH KEYS\n"
    );
    for k in lxc_config::known_keys() {
        let status = match (k.status, k.partly) {
            (lxc_config::Status::Implemented, _) => "works",
            (lxc_config::Status::NotYet, true) => {
                "works for some values or SUBs, the others are not supported yet (see the README)"
            }
            (lxc_config::Status::NotYet, false) => "not supported yet",
        };
        m.push_str(&format!(".TP\n\\fB{}\\fR\n", roff(&k.name)));
        if !k.aliases.is_empty() {
            m.push_str(&format!(
                "Older spellings: {}.\n.br\n",
                roff(&k.aliases.join(", "))
            ));
        }
        if !k.subs.is_empty() {
            m.push_str(&format!("SUB: {}.\n.br\n", roff(&k.subs.join(", "))));
        }
        m.push_str(&format!("Status: {status}.\n"));
    }
    m.push_str(".SH SEE ALSO\n\\fBlxc\\-create\\fR(1), \\fBlxc\\-update\\-config\\fR(1), the README of lxc\\-rs (what each key does)\n");
    m
}

/// LXC's states, for `lxc-wait -s` and `lxc-ls` filters.
const STATES: &str = "STOPPED STARTING RUNNING STOPPING ABORTING FREEZING FROZEN THAWED";
/// Signals `lxc-kill -s` takes (names, with and without SIG).
const SIGNALS: &str = "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM \
                       STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO \
                       PWR SYS";
const LEVELS: &str = "ERROR WARN INFO DEBUG TRACE NOTICE CRIT ALERT FATAL";

/// The bash completion script of every command.
pub fn bash_completion() -> String {
    let cmds = commands();
    let mut keys: Vec<String> = Vec::new();
    for k in lxc_config::known_keys() {
        for name in std::iter::once(&k.name).chain(&k.aliases) {
            match name.strip_suffix(".SUB") {
                Some(family) if !k.subs.is_empty() => {
                    keys.extend(k.subs.iter().map(|s| format!("{family}.{s}")))
                }
                Some(family) => keys.push(format!("{family}.")),
                None => keys.push(name.clone()),
            }
        }
    }
    let signals: Vec<String> = SIGNALS
        .split_whitespace()
        .flat_map(|s| [s.to_string(), format!("SIG{s}")])
        .collect();
    let mut s = String::from(
        "# bash completion for the lxc-rs commands (generated by gen-docs; do not edit)\n\
         _lxc_rs_names() {\n    lxc-ls ${1:+-P \"$1\"} -1 2>/dev/null\n}\n\
         _lxc_rs() {\n    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n\
         \x20   local cmd=${COMP_WORDS[0]##*/} lxcpath= i\n\
         \x20   for ((i = 1; i < COMP_CWORD; i++)); do\n\
         \x20       case ${COMP_WORDS[i]} in\n\
         \x20           -P|--lxcpath) lxcpath=${COMP_WORDS[i+1]} ;;\n\
         \x20           --lxcpath=*) lxcpath=${COMP_WORDS[i]#--lxcpath=} ;;\n\
         \x20       esac\n    done\n    COMPREPLY=()\n    case $prev in\n",
    );
    s.push_str(
        "        -n|--name|-N|--newname)\n            [ \"$prev\" = -N ] || [ \"$prev\" = --newname ] && return\n            COMPREPLY=($(compgen -W \"$(_lxc_rs_names \"$lxcpath\")\" -- \"$cur\")); return ;;\n",
    );
    s.push_str("        -P|--lxcpath|-o|--logfile|--rcfile|-p|--pidfile|--newpath|--dir|--comment)\n            COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
    s.push_str(&format!(
        "        -l|--logpriority)\n            [ \"$cmd\" = lxc-config ] && return\n            COMPREPLY=($(compgen -W \"{LEVELS}\" -- \"$cur\")); return ;;\n"
    ));
    s.push_str(&format!(
        "        -s|--state|--signal)\n            case $cmd in\n\
         \x20               lxc-wait) COMPREPLY=($(compgen -W \"{STATES}\" -- \"$cur\")); return ;;\n\
         \x20               lxc-kill) COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")); return ;;\n\
         \x20               lxc-execute|lxc-start) compopt -o nospace 2>/dev/null\n\
         \x20                   COMPREPLY=($(compgen -W \"$_lxc_rs_keys\" -S = -- \"$cur\")); return ;;\n\
         \x20           esac ;;\n",
        signals.join(" ")
    ));
    s.push_str("        -c|--config)\n            [ \"$cmd\" = lxc-info ] && COMPREPLY=($(compgen -W \"$_lxc_rs_keys\" -- \"$cur\")) && return ;;\n");
    s.push_str("        -t|--template)\n            if [ \"$cmd\" = lxc-create ]; then\n                COMPREPLY=($(compgen -W \"$(cd /usr/share/lxc/templates 2>/dev/null && ls lxc-* 2>/dev/null | sed 's/^lxc-//')\" -- \"$cur\")); return\n            fi ;;\n");
    s.push_str("        -f)\n            case $cmd in lxc-execute|lxc-start|lxc-create) COMPREPLY=($(compgen -f -- \"$cur\")); return ;; esac ;;\n");
    s.push_str("    esac\n    local opts\n    case $cmd in\n");
    for (cmd, info) in &cmds {
        s.push_str(&format!(
            "        {cmd}) opts=\"{} -h --help\" ;;\n",
            option_words(info).join(" ")
        ));
    }
    s.push_str(
        "    esac\n    if [[ $cur == -* ]]; then\n        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")); return\n    fi\n\
         \x20   case $cmd in lxc-checkconfig|lxc-config|lxc-update-config|lxc-autostart) return ;; esac\n\
         \x20   COMPREPLY=($(compgen -W \"$(_lxc_rs_names \"$lxcpath\")\" -- \"$cur\"))\n}\n",
    );
    s.push_str(&format!("_lxc_rs_keys=\"{}\"\n", keys.join(" ")));
    let names: Vec<&str> = cmds.iter().map(|(c, _)| *c).collect();
    s.push_str(&format!("complete -F _lxc_rs {}\n", names.join(" ")));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README describes every command: its man page takes the description from there.
    #[test]
    fn every_command_has_its_readme_row() {
        for (cmd, _) in commands() {
            assert!(
                readme_description(cmd).is_some(),
                "{cmd} has no row in the README's command table"
            );
        }
    }

    #[test]
    fn cells_keep_code_with_bars() {
        let cells: Vec<&str> = split_cells("| `a \\| b` | x `c|d` y |").collect();
        assert_eq!(cells, ["`a \\| b`", "x `c|d` y"]);
    }
}
