//! The shim's side of networking: it runs the `lxc-netsetup` helper (next to lxc-execute) once
//! the init exists, and again after the container stopped. With a physical interface inside,
//! the container's network namespace is bind-mounted in the run directory first, so that the
//! interface outlives the container's processes (even a killed shim's) and can be given back.
use lxc_config::NetType;
use lxc_proto::launch::LaunchSpec;
use lxc_proto::net::{SetupRequest, SetupResult, TeardownRequest, HELPER};
use lxc_proto::rundir::{Record, RunDir};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::unistd::Pid;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn helper() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("find own executable: {e}"))?;
    let path = exe.with_file_name(HELPER);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} is missing", path.display()))
    }
}

fn run_helper(args: &[String], input: &[u8]) -> Result<Vec<u8>, String> {
    let mut child = Command::new(helper()?)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("run {HELPER}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("run {HELPER}: {e}"))?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let err = String::from_utf8_lossy(&out.stderr);
    Err(err
        .lines()
        .next()
        .unwrap_or("network set-up failed")
        .trim()
        .to_string())
}

/// Sets up the configured interfaces for the init `init`; `record` learns what must be taken
/// down later and is written before anything that would need it.
pub fn set_up(
    spec: &LaunchSpec,
    init: Pid,
    rundir: &RunDir,
    record: &mut Record,
) -> Result<SetupResult, String> {
    // Every interface but `none`, which stands for the host's network and is nothing to make.
    let networks = spec.config.settings.interfaces();
    if networks.iter().any(|n| n.kind == NetType::Phys) {
        let file = rundir.netns_path();
        std::fs::File::create(&file).map_err(|e| format!("create {}: {e}", file.display()))?;
        mount(
            Some(&PathBuf::from(format!("/proc/{init}/ns/net"))),
            &file,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| {
            format!(
                "keep the network namespace at {}: {}",
                file.display(),
                e.desc()
            )
        })?;
        record.net.netns = Some(file);
        rundir
            .write_record(record)
            .map_err(|e| format!("write {}: {e}", rundir.record_path().display()))?;
    }
    let req = SetupRequest { networks };
    let input = serde_json::to_vec(&req).map_err(|e| e.to_string())?;
    let out = run_helper(&["setup".into(), init.to_string()], &input)?;
    let result: SetupResult =
        serde_json::from_slice(&out).map_err(|e| format!("bad answer from {HELPER}: {e}"))?;
    record.net.phys = result.phys.clone();
    record.net.host_links = result
        .interfaces
        .iter()
        .filter_map(|i| i.host.clone())
        .collect();
    rundir
        .write_record(record)
        .map_err(|e| format!("write {}: {e}", rundir.record_path().display()))?;
    Ok(result)
}

/// Gives physical interfaces back and releases the namespace's bind mount. Used by the shim
/// after the stop and after a failed start.
pub fn tear_down(req: &TeardownRequest) -> Result<(), String> {
    let mut result = Ok(());
    if !req.phys.is_empty() {
        let input = serde_json::to_vec(req).map_err(|e| e.to_string())?;
        result = run_helper(&["teardown".into()], &input).map(drop);
    }
    if let Some(file) = &req.netns {
        let _ = umount2(file, MntFlags::MNT_DETACH);
        let _ = std::fs::remove_file(file);
    }
    result
}
