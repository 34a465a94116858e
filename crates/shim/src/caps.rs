//! `lxc.cap.drop` / `lxc.cap.keep`: which capabilities the container keeps, decided before the
//! clone (`CapPlan::of`), and taking the others away from a process. The bounding set (what
//! no exec can give back), the inheritable and the ambient sets lose them before the user
//! switch; the effective and permitted sets follow at exec (root's are recomputed from the
//! bounding set, another user's from the ambient set) or, for our own init, by `restrict_self`.
use crate::sys_confine::{self, CapSets};
use lxc_config::Settings;
use nix::errno::Errno;

/// The highest capability number the sets can hold.
const MAX_CAP: u32 = 63;

/// The capabilities a container keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapPlan {
    /// Bit N set: capability N is kept.
    keep: u64,
}

impl CapPlan {
    /// What the config asks for: `None` when it names no capability (everything stays).
    /// Both keys at once is an error, as with LXC.
    pub fn of(settings: &Settings) -> Result<Option<CapPlan>, String> {
        let mask = |names: &[String]| -> u64 {
            names
                .iter()
                .filter_map(|n| lxc_config::capability_number(n))
                .fold(0, |m, n| m | (1u64 << n))
        };
        match (settings.cap_drop.is_empty(), settings.cap_keep.is_empty()) {
            (true, true) => Ok(None),
            (false, false) => Err(
                "lxc.cap.drop and lxc.cap.keep are both set: use one of them (an empty \
                 lxc.cap.drop = clears the drops of an included config)"
                    .into(),
            ),
            (false, true) => Ok(Some(CapPlan {
                keep: !mask(&settings.cap_drop),
            })),
            (true, false) if settings.cap_keep.iter().any(|k| k == "none") => {
                Ok(Some(CapPlan { keep: 0 }))
            }
            (true, false) => Ok(Some(CapPlan {
                keep: mask(&settings.cap_keep),
            })),
        }
    }

    /// This plan, keeping `cap` as well.
    pub fn also_keeping(self, cap: u32) -> CapPlan {
        CapPlan {
            keep: self.keep | (1u64 << cap.min(MAX_CAP)),
        }
    }

    /// Whether capability `cap` is kept.
    pub fn keeps(&self, cap: u32) -> bool {
        cap <= MAX_CAP && self.keep & (1 << cap) != 0
    }

    /// Takes every capability not kept out of this process's bounding, ambient and inheritable
    /// sets (what its children and anything it executes could get back). Needs CAP_SETPCAP.
    pub fn limit_inheritance(&self) -> nix::Result<()> {
        for cap in 0..=MAX_CAP {
            if self.keeps(cap) {
                continue;
            }
            match sys_confine::in_bounding(cap) {
                Ok(true) => sys_confine::drop_bounding(cap)?,
                Ok(false) => {}
                // The kernel knows no capability this high: neither does any set.
                Err(Errno::EINVAL) => break,
                Err(e) => return Err(e),
            }
            match sys_confine::lower_ambient(cap) {
                // A kernel before 4.3 has no ambient set.
                Ok(()) | Err(Errno::EINVAL) => {}
                Err(e) => return Err(e),
            }
        }
        let sets = sys_confine::capget()?;
        if sets.inheritable & !self.keep != 0 {
            sys_confine::capset(CapSets {
                inheritable: sets.inheritable & self.keep,
                ..sets
            })?;
        }
        Ok(())
    }

    /// Takes what is not kept out of this process's effective and permitted sets too (our
    /// init, which never execs, after it started COMMAND).
    pub fn restrict_self(&self) -> nix::Result<()> {
        let sets = sys_confine::capget()?;
        sys_confine::capset(CapSets {
            effective: sets.effective & self.keep,
            permitted: sets.permitted & self.keep,
            inheritable: sets.inheritable & self.keep,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(text: &str) -> Result<Option<CapPlan>, String> {
        let config = lxc_config::parse_str(text, "t.conf").unwrap();
        CapPlan::of(&config.settings)
    }

    #[test]
    fn drop_keep_and_none() {
        assert_eq!(plan("").unwrap(), None);
        let p = plan("lxc.cap.drop = CAP_SYS_ADMIN mknod\nlxc.cap.drop = 2\n")
            .unwrap()
            .unwrap();
        assert!(!p.keeps(21) && !p.keeps(27) && !p.keeps(2));
        assert!(p.keeps(0) && p.keeps(40) && !p.keeps(64));
        let p = plan("lxc.cap.keep = chown Kill\n").unwrap().unwrap();
        assert!(p.keeps(0) && p.keeps(5) && !p.keeps(21));
        let p = plan("lxc.cap.keep = none\n").unwrap().unwrap();
        assert!((0..=63).all(|c| !p.keeps(c)));
        // An empty line clears, as LXC's.
        assert_eq!(
            plan("lxc.cap.drop = sys_admin\nlxc.cap.drop =\n").unwrap(),
            None
        );
        let both = plan("lxc.cap.drop = sys_admin\nlxc.cap.keep = chown\n").unwrap_err();
        assert!(both.contains("both set"), "{both}");
    }
}
