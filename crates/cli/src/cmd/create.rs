//! `lxc-create -n NAME [-f CONFIG] [-t TEMPLATE [-B dir] [--dir PATH] [-- TEMPLATE-OPTIONS]]`:
//! validate, then store a copy (in modern keys) as `<lxcpath>/NAME/config`; with a template,
//! make the rootfs and let LXC's template program fill it and append to the config, then
//! validate the result. Whatever fails leaves nothing behind.
use crate::container::Container;
use crate::CliError;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

crate::command!(
    required,
    /// Create a container: store its configuration under the lxcpath.
    pub struct Args {
        /// container name (or NAME as the first word)
        #[argh(option, short = 'n')]
        name: String,
        /// configuration file to store (default: the system's default.conf, else the
        /// built-in default)
        #[argh(option, short = 'f')]
        config: Option<PathBuf>,
        /// LXC template to run: a path, or NAME for /usr/share/lxc/templates/lxc-NAME
        /// (busybox, local, debian, download, ...)
        #[argh(option, short = 't')]
        template: Option<String>,
        /// backing store of the rootfs: dir (the default; best is taken as dir)
        #[argh(option, short = 'B', long = "bdev")]
        bdev: Option<String>,
        /// the rootfs directory (-B dir; default LXCPATH/NAME/rootfs)
        #[argh(option)]
        dir: Option<PathBuf>,
        /// options for the template (after --)
        #[argh(positional, greedy)]
        template_args: Vec<String>,
    }
);

const DEFAULT_CONFIG: &str = "\
# Created by lxc-create without -f: the built-in default configuration.
# New pid, mount, uts and ipc namespaces, the host's root filesystem, a private /proc and the
# container's name as hostname; the capabilities LXC's common config drops for privileged
# containers are dropped. Add keys below (see the README).
lxc.cap.drop = mac_admin mac_override sys_time sys_module sys_rawio
";

pub fn run(args: Args) -> Result<i32, CliError> {
    let ct = Container::new(&args.name, args.lxcpath.as_ref())?;
    let template = match &args.template {
        Some(t) => Some(crate::template::find(t).map_err(CliError::failed)?),
        None if !args.template_args.is_empty() => {
            return Err(CliError::usage(
                "options after -- are for a template: give one with -t",
            ))
        }
        None if args.bdev.is_some() || args.dir.is_some() => {
            return Err(CliError::usage(
                "-B and --dir make a rootfs for a template (-t)",
            ))
        }
        None => None,
    };
    match args.bdev.as_deref() {
        None | Some("dir") | Some("best") => {}
        Some(other) => {
            return Err(CliError::failed(format!(
                "-B {}: not supported yet (only dir)",
                lxc_proto::printable(&lxc_proto::shorten(other, 32))
            )))
        }
    }
    if let Some(dir) = args.dir.as_ref().filter(|d| d.is_relative()) {
        return Err(CliError::usage(format!(
            "--dir {}: not an absolute path",
            dir.display()
        )));
    }
    let mut fstab_copy = None;
    // Without -f, the system's default config (lxc.default_config) is the base, as LXC's.
    let config = match &args.config {
        Some(path) => Some(path.clone()),
        None => crate::sysconf::default_config_file()?,
    };
    let text = match &config {
        Some(path) => {
            let failed = |e: lxc_config::ConfigError| CliError::failed(e.to_string());
            // Read once, through the config's bounded reader (a FIFO or /dev/zero is refused,
            // never waited on): the text validated is the text stored.
            let text = lxc_config::read_file(path).map_err(failed)?;
            let config = lxc_config::parse_file_text(&text, path).map_err(failed)?;
            // The fstab and the mount entries are checked now, not at the first start.
            config.mounts().map_err(failed)?;
            if let Some(fstab) = config
                .settings
                .fstab
                .as_ref()
                .filter(|f| Path::new(&f.written).is_relative())
            {
                // The stored config keeps its relative path: the fstab goes along with it.
                if Path::new(&fstab.written)
                    .components()
                    .any(|c| c == std::path::Component::ParentDir)
                {
                    return Err(CliError::failed(format!(
                        "{}: lxc.mount.fstab: a relative fstab path must not leave the config's directory; use an absolute path",
                        fstab.origin
                    )));
                }
                fstab_copy = Some((fstab.path.clone(), fstab.written.clone()));
            }
            in_modern_keys(text, path)
        }
        None => DEFAULT_CONFIG.to_string(),
    };
    fs::create_dir_all(&ct.lxcpath).map_err(|e| {
        CliError::failed(format!(
            "create {}: {}",
            ct.lxcpath.display(),
            lxc_proto::strerror(&e)
        ))
    })?;
    // mkdir is the lock: of two lxc-create of one name, exactly one gets here.
    match fs::create_dir(ct.dir()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(CliError {
                names_container: true,
                ..CliError::failed(format!("{} already exists", ct.name))
            })
        }
        Err(e) => {
            return Err(CliError::failed(format!(
                "create {}: {}",
                ct.dir().display(),
                lxc_proto::strerror(&e)
            )))
        }
    }
    if let Some((from, rel)) = &fstab_copy {
        let to = ct.dir().join(rel);
        // Through the bounded reader again: the file may have changed since it was checked.
        let copied = lxc_config::read_file(from)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                to.parent()
                    .map_or(Ok(()), fs::create_dir_all)
                    .and_then(|_| fs::write(&to, text))
                    .map_err(|e| {
                        format!(
                            "copy {} to {}: {}",
                            from.display(),
                            to.display(),
                            lxc_proto::strerror(&e)
                        )
                    })
            });
        if let Err(e) = copied {
            let _ = fs::remove_dir_all(ct.dir());
            return Err(CliError::failed(e));
        }
    }
    let tmp = ct.dir().join(".config.tmp");
    let written = fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|_| f.sync_all()))
        .and_then(|_| fs::rename(&tmp, ct.config_path()));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        let _ = fs::remove_dir_all(ct.dir());
        return Err(CliError::failed(format!(
            "write {}: {}",
            ct.config_path().display(),
            lxc_proto::strerror(&e)
        )));
    }
    if let Some(program) = template {
        let rootfs = args.dir.clone().unwrap_or_else(|| ct.dir().join("rootfs"));
        let preexisting = rootfs.exists();
        let label = args.template.as_deref().unwrap_or_default();
        let made = with_template(
            &ct,
            (&program, label),
            &rootfs,
            &args.template_args,
            args.quiet,
        );
        if let Err(e) = made {
            // Nothing stays: the container's directory, and a rootfs elsewhere we made.
            if !rootfs.starts_with(ct.dir()) && !preexisting {
                let _ = fs::remove_dir_all(&rootfs);
            }
            let _ = fs::remove_dir_all(ct.dir());
            return Err(e);
        }
    }
    log::info!("created {}", ct.config_path().display());
    Ok(0)
}

/// The stored config gets the rootfs; the template fills the rootfs and appends to the
/// config; the result gets LXC's header and is validated as `-f` would be.
fn with_template(
    ct: &Container,
    (program, label): (&Path, &str),
    rootfs: &Path,
    targs: &[String],
    quiet: bool,
) -> Result<(), CliError> {
    let io = |what: &str, p: &Path, e: std::io::Error| {
        CliError::failed(format!(
            "{what} {}: {}",
            p.display(),
            lxc_proto::strerror(&e)
        ))
    };
    fs::create_dir_all(rootfs).map_err(|e| io("create", rootfs, e))?;
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(rootfs, fs::Permissions::from_mode(0o755))
            .map_err(|e| io("chmod", rootfs, e))?;
    }
    let config = ct.config_path();
    let mut text = fs::read_to_string(&config).map_err(|e| io("read", &config, e))?;
    if !text.ends_with('\n') && !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&format!("lxc.rootfs.path = dir:{}\n", rootfs.display()));
    fs::write(&config, text).map_err(|e| io("write", &config, e))?;
    crate::template::run(&crate::template::Run {
        program,
        dir: &ct.dir(),
        name: &ct.name,
        rootfs,
        args: targs,
        quiet,
        label,
    })
    .map_err(CliError::failed)?;
    let written = lxc_config::read_file(&config).map_err(|e| CliError::failed(e.to_string()))?;
    let mut text = crate::template::header(program, targs);
    text.push_str(&written);
    let failed = |e: lxc_config::ConfigError| {
        CliError::failed(format!("the template's config is not valid: {e}"))
    };
    lxc_config::parse_file_text(&text, &config)
        .and_then(|c| c.mounts().map(drop))
        .map_err(failed)?;
    let text = in_modern_keys(text, &config);
    fs::write(&config, text).map_err(|e| io("write", &config, e))
}

/// The config as stored: legacy keys in today's spelling (`lxc-update-config`'s rewrite), so
/// that LXC 5's tools read it too. Text that cannot be rewritten alone (an included file
/// continues its 2008 interfaces) is stored as written: it is valid for us all the same.
fn in_modern_keys(text: String, path: &Path) -> String {
    match lxc_config::update_text(&text, path) {
        Ok(modern) => modern,
        Err(e) => {
            log::warn!("stored as written: {e}");
            text
        }
    }
}
