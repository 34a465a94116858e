fn main() {
    lxc_cli::main(lxc_cli::cmd::start::run)
}
