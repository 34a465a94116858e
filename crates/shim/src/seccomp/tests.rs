use super::*;
use lxc_config::seccomp::parse_profile;

fn programs(text: &str) -> Result<Programs, String> {
    compile(&parse_profile(text, "p").unwrap(), "x86_64")
}

#[test]
fn lxc_common_profile_compiles_to_one_program_per_action() {
    let p = programs(
        "2\ndenylist\nreject_force_umount  # comment\n[all]\nkexec_load errno 1\n\
         open_by_handle_at errno 1\ninit_module errno 1\nfinit_module errno 1\n\
         delete_module errno 1\n",
    )
    .unwrap();
    // The x32 guard, errno 1, errno 13 (reject_force_umount).
    assert_eq!(p.len(), 3);
    assert!(p.iter().all(|prog| !prog.is_empty() && prog.len() < 4096));
}

#[test]
fn allowlists_get_a_default_program() {
    let p = programs("2\nallowlist errno 38\nread\nwrite\nexit_group\nmkdir trap\n").unwrap();
    // The guard, the default's (errno 38 for what is not named), trap's.
    assert_eq!(p.len(), 3);
    let v1 = programs("1\nallowlist\n0\n1\n60\n231\n").unwrap();
    assert_eq!(v1.len(), 2);
}

#[test]
fn what_cannot_be_built_is_refused() {
    // notify compiles (to a program of its own; see seccomp_notify.rs).
    assert_eq!(programs("2\ndenylist\nmount notify\n").unwrap().len(), 2);
    let arch = compile(&parse_profile("2\ndenylist\n", "p").unwrap(), "aarch64").unwrap_err();
    assert!(arch.contains("x86_64 hosts only"), "{arch}");
    // Unknown names and other architectures' sections are skipped, as LXC skips them.
    assert_eq!(
        programs("2\ndenylist\nfrobnicate errno 1\n[arm64]\nread errno 1\n")
            .unwrap()
            .len(),
        1
    );
}
