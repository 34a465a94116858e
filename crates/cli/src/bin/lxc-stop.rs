fn main() {
    lxc_cli::main(lxc_cli::cmd::stop::run)
}
