//! What the config asks of the host's kernel beyond namespaces, decided before the clone:
//! `lxc.arch` (a personality for the container's processes) and the security modules'
//! settings (`lxc.apparmor.*`, `lxc.selinux.*`). As LXC does, a module the host does not run
//! is no reason to refuse: its settings are logged as not applied. Where the module runs,
//! starting the container without the confinement asked for would be a lie: refused.
use lxc_config::Settings;
use std::path::Path;

/// `PER_LINUX32` (personality(2)): uname reports a 32-bit machine.
pub const PER_LINUX32: libc::c_ulong = 0x0008;

/// The personality the container's processes get, if any.
pub fn personality(settings: &Settings) -> Result<Option<libc::c_ulong>, String> {
    let Some(arch) = settings.arch.as_deref() else {
        return Ok(None);
    };
    personality_for(arch, std::env::consts::ARCH)
}

/// `arch` (one of LXC's names) on a host of Rust's `host` architecture.
fn personality_for(arch: &str, host: &str) -> Result<Option<libc::c_ulong>, String> {
    let family = |a: &str| -> &'static str {
        match a {
            "x86_64" | "amd64" => "x86_64",
            "i386" | "i486" | "i586" | "i686" | "x86" | "athlon" => "x86",
            "aarch64" | "arm64" => "aarch64",
            "arm" | "armel" | "armhf" | "armv7l" => "arm",
            "ppc64" | "ppc64el" | "ppc64le" | "powerpc64" => "powerpc64",
            "ppc" | "powerpc" => "powerpc",
            "mips64" | "mips64el" => "mips64",
            "mips" | "mipsel" => "mips",
            "riscv64" => "riscv64",
            "s390x" => "s390x",
            _ => "",
        }
    };
    // The 32-bit architecture a 64-bit host also runs.
    let compat = match host {
        "x86_64" => "x86",
        "aarch64" => "arm",
        "powerpc64" => "powerpc",
        "mips64" => "mips",
        _ => "",
    };
    match arch {
        "linux64" => return Ok(None),
        "linux32" if !compat.is_empty() => return Ok(Some(PER_LINUX32)),
        _ => {}
    }
    let want = family(arch);
    if want == host {
        Ok(None)
    } else if !want.is_empty() && want == compat {
        Ok(Some(PER_LINUX32))
    } else {
        Err(format!(
            "lxc.arch = {arch}: this host runs {host}{}; another architecture needs an emulator, which is not supported",
            if compat.is_empty() {
                String::new()
            } else {
                format!(" (and {compat} programs)")
            }
        ))
    }
}

/// Where the kernel says which security modules run (a parameter for tests).
pub struct Lsm<'a> {
    pub sys: &'a Path,
}

impl Lsm<'_> {
    /// This host's.
    pub fn host() -> Lsm<'static> {
        Lsm {
            sys: Path::new("/sys"),
        }
    }

    fn apparmor(&self) -> bool {
        std::fs::read_to_string(self.sys.join("module/apparmor/parameters/enabled"))
            .is_ok_and(|v| v.trim() == "Y")
    }

    fn selinux(&self) -> bool {
        self.sys.join("fs/selinux/enforce").exists()
    }

    /// Whether the settings can be honoured here: `Ok` with what to log (not applied), or
    /// the refusal.
    pub fn check(&self, settings: &Settings) -> Result<Vec<String>, String> {
        let mut notes = Vec::new();
        let aa = &settings.apparmor;
        let aa_set = aa.profile.is_some()
            || aa.allow_incomplete.is_some()
            || aa.allow_nesting.is_some()
            || !aa.raw.is_empty();
        if aa_set {
            if !self.apparmor() {
                notes.push(
                    "lxc.apparmor.*: AppArmor is not enabled on this host: not applied".into(),
                );
            } else if aa.profile.as_deref() != Some("unconfined") || !aa.raw.is_empty() {
                return Err(format!(
                    "lxc.apparmor.profile = {}: AppArmor is enabled on this host and applying a profile is not supported yet; refusing to run the container unconfined (lxc.apparmor.profile = unconfined runs it so on purpose)",
                    aa.profile.as_deref().unwrap_or("(default)")
                ));
            }
        }
        let se = &settings.selinux;
        if se.context.is_some() || se.context_keyring.is_some() {
            if !self.selinux() {
                notes
                    .push("lxc.selinux.*: SELinux is not enabled on this host: not applied".into());
            } else {
                return Err(format!(
                    "lxc.selinux.context = {}: SELinux is enabled on this host and applying a context is not supported yet; refusing to run the container without it",
                    se.context.as_deref().unwrap_or("(keyring only)")
                ));
            }
        }
        Ok(notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_names_map_to_personalities() {
        for a in ["x86_64", "amd64", "linux64"] {
            assert_eq!(personality_for(a, "x86_64"), Ok(None), "{a}");
        }
        for a in ["i386", "i686", "x86", "linux32", "athlon"] {
            assert_eq!(personality_for(a, "x86_64"), Ok(Some(PER_LINUX32)), "{a}");
        }
        for a in ["armhf", "armel", "arm"] {
            assert_eq!(personality_for(a, "aarch64"), Ok(Some(PER_LINUX32)), "{a}");
        }
        let e = personality_for("arm64", "x86_64").unwrap_err();
        assert!(e.contains("lxc.arch = arm64: this host runs x86_64"), "{e}");
        assert!(personality_for("i686", "riscv64").is_err());
    }

    /// Fixtures of a host's /sys with and without the modules.
    #[test]
    fn security_modules_are_honoured_or_refused() {
        let dir = std::env::temp_dir().join(format!("lsm-fixture-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let lsm = Lsm { sys: &dir };
        let mut s = Settings::default();
        assert_eq!(lsm.check(&s), Ok(vec![]));
        s.apparmor.profile = Some("generated".into());
        s.selinux.context = Some("system_u:system_r:lxc_t:s0".into());
        let notes = lsm.check(&s).unwrap();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("not applied"));

        std::fs::create_dir_all(dir.join("module/apparmor/parameters")).unwrap();
        std::fs::write(dir.join("module/apparmor/parameters/enabled"), "Y\n").unwrap();
        let e = lsm.check(&s).unwrap_err();
        assert!(
            e.starts_with("lxc.apparmor.profile = generated: AppArmor is enabled"),
            "{e}"
        );
        s.apparmor.profile = Some("unconfined".into());
        let notes = lsm.check(&s).unwrap();
        assert_eq!(notes.len(), 1, "unconfined is honoured: {notes:?}");

        std::fs::create_dir_all(dir.join("fs/selinux")).unwrap();
        std::fs::write(dir.join("fs/selinux/enforce"), "1").unwrap();
        s.selinux = Default::default();
        assert_eq!(lsm.check(&s), Ok(vec![]));
        s.selinux.context = Some("x".into());
        assert!(lsm.check(&s).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
