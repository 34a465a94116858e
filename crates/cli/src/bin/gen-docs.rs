//! `gen-docs man DIR` writes `DIR/man1/lxc-*.1` and `DIR/man5/lxc.container.conf.5`;
//! `gen-docs completion FILE` writes the bash completion of every command. A build tool
//! (`scripts/install.sh` runs it), not an installed command: see `lxc_cli::docs`.
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("man"), Some(dir)) => man(Path::new(dir)),
        (Some("completion"), Some(file)) => {
            std::fs::write(file, lxc_cli::docs::bash_completion()).map_err(|e| e.to_string())
        }
        _ => Err("usage: gen-docs man DIR | gen-docs completion FILE".to_string()),
    };
    if let Err(e) = result {
        eprintln!("gen-docs: {e}");
        std::process::exit(1);
    }
}

fn man(dir: &Path) -> Result<(), String> {
    let write = |sub: &str, file: String, text: String| {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d)
            .and_then(|_| std::fs::write(d.join(&file), text))
            .map_err(|e| format!("write {}: {e}", d.join(file).display()))
    };
    for (cmd, info) in lxc_cli::docs::commands() {
        write(
            "man1",
            format!("{cmd}.1"),
            lxc_cli::docs::man_page(cmd, &info),
        )?;
    }
    write(
        "man5",
        "lxc.container.conf.5".to_string(),
        lxc_cli::docs::container_conf_page(),
    )
}
