//! `lxc-checkpoint`: see `lxc_cli::cmd::checkpoint` and the README.
fn main() {
    lxc_cli::main(lxc_cli::cmd::checkpoint::run)
}
