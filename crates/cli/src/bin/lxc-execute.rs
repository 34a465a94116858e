//! `lxc-execute`: see `lxc_cli::cmd` and the README.
fn main() {
    lxc_cli::main(lxc_cli::cmd::execute::run)
}
