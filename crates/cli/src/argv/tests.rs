//! The normalizer on the real commands' option tables: argv in, argv for argh (or what the
//! line asks for) out.
use super::*;
use crate::cmd;
use argh::ArgsInfo;

fn spec_of(command: &str) -> Spec {
    Spec::from_info(&match command {
        "info" => cmd::info::Args::get_args_info(),
        "execute" => cmd::execute::Args::get_args_info(),
        "start" => cmd::start::Args::get_args_info(),
        "stop" => cmd::stop::Args::get_args_info(),
        "ls" => cmd::ls::Args::get_args_info(),
        "wait" => cmd::wait::Args::get_args_info(),
        "monitor" => cmd::monitor::Args::get_args_info(),
        _ => panic!("{command}"),
    })
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn run(v: &[&str]) -> Outcome {
    Outcome::Run(strings(v))
}

fn err(m: &str) -> Outcome {
    Outcome::Error(m.to_string())
}

#[test]
fn argv_to_argv() {
    let cases: &[(&str, &[&str], Outcome)] = &[
        // Attached values, `=`, clusters.
        ("info", &["-nfoo"], run(&["--name", "foo"])),
        (
            "info",
            &["--name=foo", "-sH"],
            run(&["--name", "foo", "--state", "--no-humanize"]),
        ),
        (
            "info",
            &["-n", "foo", "-pH"],
            run(&["--name", "foo", "--pid", "--no-humanize"]),
        ),
        (
            "info",
            &["-n", "foo", "-Hclxc.uts.name"],
            run(&["--name", "foo", "--no-humanize", "--config", "lxc.uts.name"]),
        ),
        (
            "info",
            &["-n", "foo", "-c", "a", "--config=b"],
            run(&["--name", "foo", "--config", "a", "--config", "b"]),
        ),
        (
            "wait",
            &["-nx", "-sRUNNING", "-t0"],
            run(&["--name", "x", "--state", "RUNNING", "--timeout", "0"]),
        ),
        (
            "wait",
            &["-n", "x", "-t", "-1", "-s", "RUNNING|FROZEN"],
            run(&[
                "--name",
                "x",
                "--timeout",
                "-1",
                "--state",
                "RUNNING|FROZEN",
            ]),
        ),
        (
            "stop",
            &["-n", "x", "-kW"],
            run(&["--name", "x", "--kill", "--nowait"]),
        ),
        (
            "stop",
            &["-n", "x", "-Wt5"],
            run(&["--name", "x", "--nowait", "--timeout", "5"]),
        ),
        // Unique prefixes of long options, as getopt_long.
        (
            "stop",
            &["--na", "x", "--time=5"],
            run(&["--name", "x", "--timeout", "5"]),
        ),
        ("ls", &["--run", "-1"], run(&["--running", "--line"])),
        // NAME as the first word, before or after options, or after `--`.
        ("info", &["foo", "-s"], run(&["--name", "foo", "--state"])),
        (
            "info",
            &["-s", "--", "foo"],
            run(&["--state", "--name", "foo"]),
        ),
        (
            "stop",
            &["-P", "/srv", "foo"],
            run(&["--lxcpath", "/srv", "--name", "foo"]),
        ),
        // COMMAND from its first word on.
        (
            "execute",
            &["-n", "x", "help"],
            run(&["--name", "x", "--", "help"]),
        ),
        (
            "execute",
            &["-n", "x", "ls", "-l"],
            run(&["--name", "x", "--", "ls", "-l"]),
        ),
        (
            "execute",
            &["-n", "x", "--", "ls", "-l"],
            run(&["--name", "x", "--", "ls", "-l"]),
        ),
        (
            "execute",
            &["x", "sh", "-c", "exit 3"],
            run(&["--name", "x", "--", "sh", "-c", "exit 3"]),
        ),
        (
            "execute",
            &["x", "-d", "--", "-weird"],
            run(&["--name", "x", "--daemon", "--", "-weird"]),
        ),
        (
            "execute",
            &["-nx", "-sa=b", "-s", "c=d", "true"],
            run(&[
                "--name", "x", "--define", "a=b", "--define", "c=d", "--", "true",
            ]),
        ),
        (
            "execute",
            &["-n", "x", "true", "--help"],
            run(&["--name", "x", "--", "true", "--help"]),
        ),
        (
            "start",
            &["-n", "x", "-p", "/run/x.pid"],
            run(&["--name", "x", "--pidfile", "/run/x.pid"]),
        ),
        (
            "start",
            &["-nx", "-f/etc/x.conf", "/bin/sh"],
            run(&["--name", "x", "--rcfile", "/etc/x.conf", "--", "/bin/sh"]),
        ),
        // lxc-ls: a pattern among the options, as getopt permutes.
        ("ls", &["web", "-1"], run(&["--line", "--", "web"])),
        (
            "ls",
            &["--filter=^a", "-F", "NAME,PID"],
            run(&["--filter", "^a", "--fancy-format", "NAME,PID"]),
        ),
        (
            "ls",
            &["-q", "-Fname"],
            run(&["--quiet", "--fancy-format", "name"]),
        ),
        (
            "monitor",
            &["-n", ".*", "-Q"],
            run(&["--name", ".*", "--quit-on-stop"]),
        ),
        // Help, usage, version: in order, as getopt meets them.
        ("info", &["-h"], Outcome::Help),
        ("info", &["-?"], Outcome::Help),
        ("info", &["-n", "x", "--help"], Outcome::Help),
        ("info", &["-sh"], Outcome::Help),
        ("stop", &["--usage"], Outcome::Usage),
        ("stop", &["--version", "--bogus"], Outcome::Version),
        (
            "stop",
            &["--bogus", "--version"],
            err("unknown option --bogus"),
        ),
        // Errors name what was wrong.
        (
            "stop",
            &["-n", "x", "--frobnicate"],
            err("unknown option --frobnicate"),
        ),
        ("stop", &["-n", "x", "-Z"], err("unknown option -Z")),
        ("info", &["-n", "x", "-pZ"], err("unknown option -Z")),
        ("info", &["-n"], err("-n needs a value")),
        (
            "info",
            &["-n", "x", "--config"],
            err("--config needs a value"),
        ),
        (
            "info",
            &["-n", "x", "--json=yes"],
            err("--json takes no value"),
        ),
        ("info", &[], err("no container name given (-n NAME)")),
        ("info", &["-s"], err("no container name given (-n NAME)")),
        (
            "info",
            &["-n", "x", "extra"],
            err("unexpected argument \"extra\""),
        ),
        ("ls", &["a", "b"], err("unexpected argument \"b\"")),
        ("wait", &["-n", "x"], err("missing -s STATE")),
        (
            "ls",
            &["--fa"],
            err("ambiguous option --fa (--fancy, --fancy-format)"),
        ),
        ("ls", &["--fancy"], run(&["--fancy"])),
        ("execute", &[], err("no container name given (-n NAME)")),
    ];
    for (command, argv, want) in cases {
        let (got, _) = normalize(&spec_of(command), &strings(argv));
        assert_eq!(&got, want, "lxc-{command} {argv:?}");
    }
}

#[test]
fn quiet_before_an_error_keeps_it_quiet() {
    let spec = spec_of("stop");
    let (_, quiet) = normalize(&spec, &strings(&["-q", "--bogus"]));
    assert!(quiet);
    let (_, quiet) = normalize(&spec, &strings(&["-n", "x", "-kq"]));
    assert!(quiet);
    let (_, quiet) = normalize(&spec, &strings(&["--bogus", "-q"]));
    assert!(!quiet);
    // A COMMAND's own -q is COMMAND's.
    let (_, quiet) = normalize(
        &spec_of("execute"),
        &strings(&["-n", "x", "grep", "-q", "a"]),
    );
    assert!(!quiet);
}

#[test]
fn usage_lines() {
    let line = spec_of("wait").usage_line("lxc-wait");
    assert!(
        line.starts_with("Usage: lxc-wait -n|--name=NAME -s|--state=STATE [-t|--timeout=TIMEOUT]"),
        "{line}"
    );
    assert!(
        line.contains(" [-q|--quiet] ") && line.ends_with("[-?|--help]"),
        "{line}"
    );
    let line = spec_of("execute").usage_line("lxc-execute");
    assert!(line.contains("[-f|--rcfile=RCFILE]"), "{line}");
    assert!(line.ends_with("[--] COMMAND [ARG...]"), "{line}");
    assert!(spec_of("ls").usage_line("lxc-ls").ends_with(" [PATTERN]"));
}

#[test]
fn argh_errors_on_one_line() {
    for (output, want) in [
        (
            "Error parsing option '--timeout' with value 'abc': invalid digit found in string\n",
            "--timeout \"abc\": invalid digit found in string",
        ),
        (
            "Error parsing option '--name' with value 'b': duplicate values provided\n",
            "--name given twice",
        ),
        (
            "Required options not provided:\n    --name\n",
            "Required options not provided: --name",
        ),
    ] {
        assert_eq!(argh_message(output), want);
    }
}
