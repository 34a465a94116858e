//! When the init may go on: `go` once the container's network is set up (and the init is in
//! its cgroups). With `lxc.hook.start-host`, which LXC runs after the container is set up and
//! right before its init starts, the init also reports its filesystem ready, and the hooks run
//! once both are done, before the last `go`. An init that mounts the container's cgroups needs
//! a `go` before its filesystem set-up (the cgroups must exist): it then gets two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoGate {
    /// The init waits for a `go` before its filesystem set-up too.
    early: bool,
    /// start-host hooks are to run (and have not yet).
    start_host: bool,
    net_ready: bool,
    fs_ready: bool,
}

/// What to do now, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateStep {
    /// Send `go`.
    Go,
    /// Run the start-host hooks (then `go` follows, unless they failed).
    StartHost,
}

impl GoGate {
    pub fn new(early: bool, start_host: bool) -> GoGate {
        GoGate {
            early,
            start_host,
            net_ready: false,
            fs_ready: false,
        }
    }

    /// The network is set up (or there is none).
    pub fn network_ready(&mut self) -> Vec<GateStep> {
        self.net_ready = true;
        let mut steps = Vec::new();
        if self.early || !self.start_host {
            steps.push(GateStep::Go);
        }
        steps.extend(self.both());
        steps
    }

    /// The init says its filesystem is set up (it does only with start-host hooks).
    pub fn fs_ready(&mut self) -> Vec<GateStep> {
        self.fs_ready = true;
        self.both()
    }

    fn both(&mut self) -> Vec<GateStep> {
        if self.start_host && self.net_ready && self.fs_ready {
            self.start_host = false;
            vec![GateStep::StartHost, GateStep::Go]
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use GateStep::*;

    #[test]
    fn start_host_runs_once_both_are_ready_whatever_the_order() {
        let mut g = GoGate::new(false, false);
        assert_eq!(g.network_ready(), [Go]);
        assert_eq!(g.fs_ready(), []);

        let mut g = GoGate::new(false, true);
        assert_eq!(g.network_ready(), []);
        assert_eq!(g.fs_ready(), [StartHost, Go]);
        let mut g = GoGate::new(false, true);
        assert_eq!(g.fs_ready(), []);
        assert_eq!(g.network_ready(), [StartHost, Go]);
        assert_eq!(g.fs_ready(), [], "once");

        // Early: a go before the filesystem, one more after the hooks.
        let mut g = GoGate::new(true, true);
        assert_eq!(g.network_ready(), [Go]);
        assert_eq!(g.fs_ready(), [StartHost, Go]);
    }
}
