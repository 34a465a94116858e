//! Builds lxc-init (`reaper/main.rs`), the program an application container's init becomes
//! once COMMAND runs, and leaves it in OUT_DIR for `src/reaper.rs` to embed. It has no
//! standard library and no libc, so it is built here with the flags such a program needs
//! (abort on panic whatever the profile, its own `_start`, static, no PIE) rather than as a
//! crate of the workspace. For a target it has no system calls for (or not a glibc one, whose
//! C runtime objects rustc would link in beside our `_start`), or if it does not build, the
//! embedded program is empty and the init stays a copy of the shim (a warning says so; the
//! shim's unit test `the_program_is_built_and_is_an_elf` fails on the targets CI builds).
use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=reaper/main.rs");
    println!("cargo:rerun-if-changed=reaper/logic.rs");
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("lxc-init");
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os != "linux" || target_env != "gnu" || !matches!(arch.as_str(), "x86_64" | "aarch64") {
        println!("cargo:warning=lxc-init is not built for {arch}-{os}-{target_env}: the init stays a copy of the shim");
        std::fs::write(&out, b"").expect("write the empty lxc-init");
        return;
    }
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut cmd = Command::new(rustc);
    cmd.args([
        "--edition",
        "2021",
        "--crate-type",
        "bin",
        "--crate-name",
        "lxc_init",
    ])
    .args([
        "-C",
        "panic=abort",
        "-C",
        "opt-level=s",
        "-C",
        "relocation-model=static",
    ])
    .args(["-C", "strip=symbols", "-C", "link-arg=-nostartfiles"])
    .args(["-C", "link-arg=-nostdlib", "-C", "link-arg=-static"])
    .args(["-C", "link-arg=-Wl,--build-id=none"]);
    if let Ok(target) = env::var("TARGET") {
        cmd.args(["--target", &target]);
    }
    if let Ok(linker) = env::var("RUSTC_LINKER") {
        cmd.arg("-C").arg(format!("linker={linker}"));
    }
    cmd.arg("-o").arg(&out).arg("reaper/main.rs");
    let status = cmd.status().expect("run rustc for lxc-init");
    assert!(
        status.success(),
        "building lxc-init (crates/shim/reaper) failed"
    );
}
