//! Mount safety under a race: while containers start, a thread swaps a directory of their
//! rootfs for a symlink to a host directory and back, in a loop. Every mount target and every
//! `create=dir` is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT, mounted through the
//! descriptor), so whatever moment a start sees, nothing reaches the host's directory: each
//! start either works or fails with one line, and the host directory stays empty.
#![allow(clippy::unwrap_used)] // test code: a panic is the failure report
use lxc_tests::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Stops the racing thread when dropped, even if the test fails.
struct Racer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Racer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn a_symlink_swapped_in_a_loop_never_leads_a_mount_out_of_the_rootfs() {
    let ct = Ct::new("mrace");
    let root = ct.lxcpath.join("rootfs");
    make_rootfs(&root);
    let outside = ct.lxcpath.join("outside");
    std::fs::create_dir(&outside).unwrap();
    let swap = root.join("swap");
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicUsize::new(0));
    let racer = {
        let (stop, swaps, swap, outside) =
            (stop.clone(), swaps.clone(), swap.clone(), outside.clone());
        Racer {
            stop: stop.clone(),
            thread: Some(std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _ = std::fs::remove_file(&swap);
                    let _ = std::fs::remove_dir_all(&swap);
                    let _ = std::os::unix::fs::symlink(&outside, &swap);
                    std::thread::yield_now();
                    let _ = std::fs::remove_file(&swap);
                    let _ = std::fs::create_dir(&swap);
                    std::thread::yield_now();
                    swaps.fetch_add(1, Ordering::Relaxed);
                }
            })),
        }
    };
    let rootfs = format!("lxc.rootfs.path={}", root.display());
    let (mut worked, mut refused) = (0, 0);
    let before = host_mounts();
    for _ in 0..30 {
        let out = ct.execute(&[
            "-s",
            &rootfs,
            "-s",
            "lxc.mount.entry=tmpfs swap/sub tmpfs size=1m,create=dir 0 0",
            "-s",
            "lxc.mount.entry=tmpfs swap/deeper/file tmpfs size=1m,create=dir 0 0",
            "--",
            "/bin/true",
        ]);
        match code(&out) {
            0 => worked += 1,
            125 => {
                refused += 1;
                assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
            }
            other => panic!("exit {other}: {}", stderr(&out)),
        }
        let escaped: Vec<_> = std::fs::read_dir(&outside).unwrap().collect();
        assert!(escaped.is_empty(), "made outside the rootfs: {escaped:?}");
    }
    drop(racer);
    assert!(swaps.load(Ordering::Relaxed) > 30, "the racer hardly ran");
    assert_eq!(host_mounts(), before);
    eprintln!("30 starts under the race: {worked} worked, {refused} refused");
    ct.assert_clean();
}
