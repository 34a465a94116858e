//! `lxc-shim --launch-fd N --lock-fd M`: started by lxc-execute, never by hand.
fn main() {
    std::process::exit(lxc_shim::main())
}
