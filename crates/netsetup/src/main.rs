//! `lxc-netsetup`: the networking helper the shim runs once per start (and anyone once per
//! clean-up after a dead shim). Not for users.
//!   lxc-netsetup setup PID         stdin: SetupRequest JSON; stdout: SetupResult JSON
//!   lxc-netsetup teardown          stdin: TeardownRequest JSON; gives physical interfaces
//!                                  back from the kept network namespace
//!   lxc-netsetup up NAME...        brings host links up (a restored veth's host end)
//! Errors: one line on stderr naming the interface and the cause, exit 1.
use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("up") {
        return match lxc_netsetup::up(&args[2..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(1)
            }
        };
    }
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("read stdin: {}", lxc_proto::strerror(&e));
        return ExitCode::from(1);
    }
    let result = match args.get(1..).unwrap_or_default() {
        [cmd, pid] if cmd == "setup" => match (pid.parse::<i32>(), serde_json::from_str(&input)) {
            (Ok(pid), Ok(req)) => lxc_netsetup::setup(pid, &req)
                .map_err(|e| e.to_string())
                .and_then(|r| serde_json::to_string(&r).map_err(|e| e.to_string()))
                .map(|json| println!("{json}")),
            (Err(_), _) => Err(format!("bad pid {pid:?}")),
            (_, Err(e)) => Err(format!("bad request: {e}")),
        },
        [cmd] if cmd == "teardown" => match serde_json::from_str(&input) {
            Ok(req) => lxc_netsetup::teardown(&req).map_err(|e| e.to_string()),
            Err(e) => Err(format!("bad request: {e}")),
        },
        _ => Err(
            "usage: lxc-netsetup setup PID | lxc-netsetup teardown (run by the shim)".to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
