//! `lxc-cgroup`: see `lxc_cli::cmd` and the README.
fn main() {
    lxc_cli::main(lxc_cli::cmd::cgroup::run)
}
