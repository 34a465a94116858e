//! Syscall numbers by name for the two ABIs a filter answers for (x86_64 and i386), each as
//! one string of words (no table of pointers: see CONVENTIONS.md): the Nth word is syscall N,
//! `-` a number not in use. Made from the kernel's `asm/unistd_64.h` and `asm/unistd_32.h`
//! (Linux 6.1 headers) plus the calls added up to Linux 6.15 (`syscall_*.tbl`).

const X86_64: &str = "\
    read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction \
    rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select \
    sched_yield mremap msync mincore madvise shmget shmat shmctl dup dup2 pause nanosleep \
    getitimer alarm setitimer getpid sendfile socket connect accept sendto recvfrom sendmsg \
    recvmsg shutdown bind listen getsockname getpeername socketpair setsockopt getsockopt clone \
    fork vfork execve exit wait4 kill uname semget semop semctl shmdt msgget msgsnd msgrcv \
    msgctl fcntl flock fsync fdatasync truncate ftruncate getdents getcwd chdir fchdir rename \
    mkdir rmdir creat link unlink symlink readlink chmod fchmod chown fchown lchown umask \
    gettimeofday getrlimit getrusage sysinfo times ptrace getuid syslog getgid setuid setgid \
    geteuid getegid setpgid getppid getpgrp setsid setreuid setregid getgroups setgroups \
    setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid getsid capget capset \
    rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack utime mknod uselib \
    personality ustat statfs fstatfs sysfs getpriority setpriority sched_setparam \
    sched_getparam sched_setscheduler sched_getscheduler sched_get_priority_max \
    sched_get_priority_min sched_rr_get_interval mlock munlock mlockall munlockall vhangup \
    modify_ldt pivot_root _sysctl prctl arch_prctl adjtimex setrlimit chroot sync acct \
    settimeofday mount umount2 swapon swapoff reboot sethostname setdomainname iopl ioperm \
    create_module init_module delete_module get_kernel_syms query_module quotactl nfsservctl \
    getpmsg putpmsg afs_syscall tuxcall security gettid readahead setxattr lsetxattr fsetxattr \
    getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr removexattr lremovexattr \
    fremovexattr tkill time futex sched_setaffinity sched_getaffinity set_thread_area io_setup \
    io_destroy io_getevents io_submit io_cancel get_thread_area lookup_dcookie epoll_create \
    epoll_ctl_old epoll_wait_old remap_file_pages getdents64 set_tid_address restart_syscall \
    semtimedop fadvise64 timer_create timer_settime timer_gettime timer_getoverrun timer_delete \
    clock_settime clock_gettime clock_getres clock_nanosleep exit_group epoll_wait epoll_ctl \
    tgkill utimes vserver mbind set_mempolicy get_mempolicy mq_open mq_unlink mq_timedsend \
    mq_timedreceive mq_notify mq_getsetattr kexec_load waitid add_key request_key keyctl \
    ioprio_set ioprio_get inotify_init inotify_add_watch inotify_rm_watch migrate_pages openat \
    mkdirat mknodat fchownat futimesat newfstatat unlinkat renameat linkat symlinkat readlinkat \
    fchmodat faccessat pselect6 ppoll unshare set_robust_list get_robust_list splice tee \
    sync_file_range vmsplice move_pages utimensat epoll_pwait signalfd timerfd_create eventfd \
    fallocate timerfd_settime timerfd_gettime accept4 signalfd4 eventfd2 epoll_create1 dup3 \
    pipe2 inotify_init1 preadv pwritev rt_tgsigqueueinfo perf_event_open recvmmsg fanotify_init \
    fanotify_mark prlimit64 name_to_handle_at open_by_handle_at clock_adjtime syncfs sendmmsg \
    setns getcpu process_vm_readv process_vm_writev kcmp finit_module sched_setattr \
    sched_getattr renameat2 seccomp getrandom memfd_create kexec_file_load bpf execveat \
    userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc \
    pkey_free statx io_pgetevents rseq - - - - - - - - - - - - - - - - - - - - - - - - - - - - \
    - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - \
    - - - - - - - - - - - - - - - pidfd_send_signal io_uring_setup io_uring_enter \
    io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open clone3 \
    close_range openat2 pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr \
    quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret \
    process_mrelease futex_waitv set_mempolicy_home_node cachestat fchmodat2 map_shadow_stack \
    futex_wake futex_wait futex_requeue statmount listmount lsm_get_self_attr lsm_set_self_attr \
    lsm_list_modules mseal setxattrat getxattrat listxattrat removexattrat open_tree_attr";

const I386: &str = "\
    restart_syscall exit fork read write open close waitpid creat link unlink execve chdir time \
    mknod chmod lchown break oldstat lseek getpid mount umount setuid getuid stime ptrace alarm \
    oldfstat pause utime stty gtty access nice ftime sync kill rename mkdir rmdir dup pipe \
    times prof brk setgid getgid signal geteuid getegid acct umount2 lock ioctl fcntl mpx \
    setpgid ulimit oldolduname umask chroot ustat dup2 getppid getpgrp setsid sigaction \
    sgetmask ssetmask setreuid setregid sigsuspend sigpending sethostname setrlimit getrlimit \
    getrusage gettimeofday settimeofday getgroups setgroups select symlink oldlstat readlink \
    uselib swapon reboot readdir mmap munmap truncate ftruncate fchmod fchown getpriority \
    setpriority profil statfs fstatfs ioperm socketcall syslog setitimer getitimer stat lstat \
    fstat olduname iopl vhangup idle vm86old wait4 swapoff sysinfo ipc fsync sigreturn clone \
    setdomainname uname modify_ldt adjtimex mprotect sigprocmask create_module init_module \
    delete_module get_kernel_syms quotactl getpgid fchdir bdflush sysfs personality afs_syscall \
    setfsuid setfsgid _llseek getdents _newselect flock msync readv writev getsid fdatasync \
    _sysctl mlock munlock mlockall munlockall sched_setparam sched_getparam sched_setscheduler \
    sched_getscheduler sched_yield sched_get_priority_max sched_get_priority_min \
    sched_rr_get_interval nanosleep mremap setresuid getresuid vm86 query_module poll \
    nfsservctl setresgid getresgid prctl rt_sigreturn rt_sigaction rt_sigprocmask rt_sigpending \
    rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend pread64 pwrite64 chown getcwd capget capset \
    sigaltstack sendfile getpmsg putpmsg vfork ugetrlimit mmap2 truncate64 ftruncate64 stat64 \
    lstat64 fstat64 lchown32 getuid32 getgid32 geteuid32 getegid32 setreuid32 setregid32 \
    getgroups32 setgroups32 fchown32 setresuid32 getresuid32 setresgid32 getresgid32 chown32 \
    setuid32 setgid32 setfsuid32 setfsgid32 pivot_root mincore madvise getdents64 fcntl64 - - \
    gettid readahead setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr \
    llistxattr flistxattr removexattr lremovexattr fremovexattr tkill sendfile64 futex \
    sched_setaffinity sched_getaffinity set_thread_area get_thread_area io_setup io_destroy \
    io_getevents io_submit io_cancel fadvise64 - exit_group lookup_dcookie epoll_create \
    epoll_ctl epoll_wait remap_file_pages set_tid_address timer_create timer_settime \
    timer_gettime timer_getoverrun timer_delete clock_settime clock_gettime clock_getres \
    clock_nanosleep statfs64 fstatfs64 tgkill utimes fadvise64_64 vserver mbind get_mempolicy \
    set_mempolicy mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr \
    kexec_load waitid - add_key request_key keyctl ioprio_set ioprio_get inotify_init \
    inotify_add_watch inotify_rm_watch migrate_pages openat mkdirat mknodat fchownat futimesat \
    fstatat64 unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll \
    unshare set_robust_list get_robust_list splice sync_file_range tee vmsplice move_pages \
    getcpu epoll_pwait utimensat signalfd timerfd_create eventfd fallocate timerfd_settime \
    timerfd_gettime signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1 preadv pwritev \
    rt_tgsigqueueinfo perf_event_open recvmmsg fanotify_init fanotify_mark prlimit64 \
    name_to_handle_at open_by_handle_at clock_adjtime syncfs sendmmsg setns process_vm_readv \
    process_vm_writev kcmp finit_module sched_setattr sched_getattr renameat2 seccomp getrandom \
    memfd_create bpf execveat socket socketpair bind connect listen accept4 getsockopt \
    setsockopt getsockname getpeername sendto sendmsg recvfrom recvmsg shutdown userfaultfd \
    membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc pkey_free statx \
    arch_prctl io_pgetevents rseq - - - - - - semget semctl shmget shmctl shmat shmdt msgget \
    msgsnd msgrcv msgctl clock_gettime64 clock_settime64 clock_adjtime64 clock_getres_time64 \
    clock_nanosleep_time64 timer_gettime64 timer_settime64 timerfd_gettime64 timerfd_settime64 \
    utimensat_time64 pselect6_time64 ppoll_time64 - io_pgetevents_time64 recvmmsg_time64 \
    mq_timedsend_time64 mq_timedreceive_time64 semtimedop_time64 rt_sigtimedwait_time64 \
    futex_time64 sched_rr_get_interval_time64 pidfd_send_signal io_uring_setup io_uring_enter \
    io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open clone3 \
    close_range openat2 pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr \
    quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret \
    process_mrelease futex_waitv set_mempolicy_home_node cachestat fchmodat2 map_shadow_stack \
    futex_wake futex_wait futex_requeue statmount listmount lsm_get_self_attr lsm_set_self_attr \
    lsm_list_modules mseal setxattrat getxattrat listxattrat removexattrat open_tree_attr";

/// i386's socket calls also go through `socketcall(CALL, ARGS)`: the Nth word is CALL N
/// (`SYS_SOCKET` = 1 ... `SYS_SENDMMSG` = 20, linux/net.h).
const SOCKETCALL: &str = "- socket bind connect listen accept getsockname getpeername socketpair \
    send recv sendto recvfrom shutdown setsockopt getsockopt sendmsg recvmsg accept4 recvmmsg \
    sendmmsg";
/// ... and its System V IPC calls through `ipc(CALL, ...)` (linux/ipc.h: `SEMOP` = 1 ...
/// `SHMCTL` = 24).
const IPC: &str = "- semop semget semctl semtimedop - - - - - - msgsnd msgrcv msgget msgctl \
    - - - - - - shmat shmdt shmget shmctl";
/// i386 calls that stand in for another name's, and that i386's libc makes in its place:
/// 32-bit ids (`chown32`), large files (`fcntl64`, `stat64`, `mmap2`) and 64-bit time
/// (`clock_gettime64`). `NAME=VARIANT`, or `NAME=VARIANT:LAYOUT` when VARIANT passes NAME's
/// arguments otherwise (see `I386_LAYOUTS`).
const I386_VARIANTS: &str = "\
    chown=chown32 lchown=lchown32 fchown=fchown32 getuid=getuid32 getgid=getgid32 \
    geteuid=geteuid32 getegid=getegid32 setreuid=setreuid32 setregid=setregid32 \
    getgroups=getgroups32 setgroups=setgroups32 setresuid=setresuid32 getresuid=getresuid32 \
    setresgid=setresgid32 getresgid=getresgid32 setuid=setuid32 setgid=setgid32 \
    setfsuid=setfsuid32 setfsgid=setfsgid32 fcntl=fcntl64 stat=stat64 lstat=lstat64 \
    fstat=fstat64 newfstatat=fstatat64 sendfile=sendfile64 getrlimit=ugetrlimit \
    select=_newselect mmap=mmap2:01234- statfs=statfs64:02 fstatfs=fstatfs64:02 \
    truncate=truncate64:0- ftruncate=ftruncate64:0- fadvise64=fadvise64_64:0--5 \
    clock_gettime=clock_gettime64 clock_settime=clock_settime64 clock_adjtime=clock_adjtime64 \
    clock_getres=clock_getres_time64 clock_nanosleep=clock_nanosleep_time64 \
    timer_gettime=timer_gettime64 timer_settime=timer_settime64 \
    timerfd_gettime=timerfd_gettime64 timerfd_settime=timerfd_settime64 \
    utimensat=utimensat_time64 pselect6=pselect6_time64 ppoll=ppoll_time64 \
    io_pgetevents=io_pgetevents_time64 recvmmsg=recvmmsg_time64 \
    mq_timedsend=mq_timedsend_time64 mq_timedreceive=mq_timedreceive_time64 \
    semtimedop=semtimedop_time64 rt_sigtimedwait=rt_sigtimedwait_time64 futex=futex_time64 \
    sched_rr_get_interval=sched_rr_get_interval_time64";
/// i386 calls of x86_64's names that pass its arguments otherwise: a 64-bit value in two
/// arguments (which moves those after it), or all of them in memory (the old `mmap` and
/// `select`). `NAME:LAYOUT`: the Nth character of LAYOUT is the i386 argument that holds
/// x86_64's argument N, `-` where no one argument does (one past LAYOUT: the same index).
const I386_LAYOUTS: &str = "\
    fadvise64:0-34 readahead:0-3 pread64:012- pwrite64:012- fallocate:01-- \
    sync_file_range:0--5 fanotify_mark:01-45 clone:01243 mmap:------ select:-----";
/// i386's `socketcall` and `ipc`.
pub const I386_SOCKETCALL: u32 = 102;
pub const I386_IPC: u32 = 117;

/// The position of `name` among `words`, `-` never.
fn lookup(words: &str, name: &str) -> Option<u32> {
    if name == "-" {
        return None;
    }
    let index = words.split_ascii_whitespace().position(|w| w == name)?;
    u32::try_from(index).ok()
}

/// The number of syscall `name` on x86_64.
pub fn x86_64(name: &str) -> Option<u32> {
    lookup(X86_64, name)
}

/// Every x86_64 syscall's name.
#[cfg(test)]
pub fn x86_64_names() -> impl Iterator<Item = &'static str> {
    X86_64.split_ascii_whitespace().filter(|w| *w != "-")
}

/// The number of syscall `name` on i386 (its own number: `socket` is 359; see `multiplexed`).
pub fn i386(name: &str) -> Option<u32> {
    lookup(I386, name)
}

/// The i386 calls that stand in for `name` (see `I386_VARIANTS`): each one's number and
/// layout (empty: it passes `name`'s arguments as x86_64 does).
pub fn i386_variants(name: &str) -> impl Iterator<Item = (u32, &'static str)> + '_ {
    I386_VARIANTS.split_ascii_whitespace().filter_map(move |w| {
        let (of, rest) = w.split_once('=')?;
        if of != name {
            return None;
        }
        let (variant, layout) = rest.split_once(':').unwrap_or((rest, ""));
        Some((i386(variant)?, layout))
    })
}

/// How i386's own `name` passes x86_64's arguments (see `I386_LAYOUTS`; empty: alike).
pub fn i386_layout(name: &str) -> &'static str {
    I386_LAYOUTS
        .split_ascii_whitespace()
        .find_map(|w| w.split_once(':').filter(|(of, _)| *of == name))
        .map_or("", |(_, layout)| layout)
}

/// For a socket or System V IPC call, the i386 multiplexer that also reaches it and the call
/// number it takes as its first argument: `socket` is `socketcall(1, ...)`.
pub fn multiplexed(name: &str) -> Option<(u32, u32)> {
    lookup(SOCKETCALL, name)
        .map(|call| (I386_SOCKETCALL, call))
        .or_else(|| lookup(IPC, name).map(|call| (I386_IPC, call)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_the_kernels() {
        assert_eq!(x86_64("read"), Some(0));
        assert_eq!(x86_64("umount2"), Some(166));
        assert_eq!(x86_64("kexec_load"), Some(246));
        assert_eq!(x86_64("io_pgetevents"), Some(333));
        assert_eq!(x86_64("pidfd_send_signal"), Some(424));
        assert_eq!(x86_64("mseal"), Some(462));
        assert_eq!(x86_64("-"), None);
        assert_eq!(x86_64("frobnicate"), None);
        assert_eq!(x86_64("socketcall"), None);
    }

    #[test]
    fn i386_numbers_are_the_kernels() {
        assert_eq!(i386("restart_syscall"), Some(0));
        assert_eq!(i386("mkdir"), Some(39));
        assert_eq!(i386("umount2"), Some(52));
        assert_eq!(i386("ioctl"), Some(54));
        assert_eq!(i386("socketcall"), Some(I386_SOCKETCALL));
        assert_eq!(i386("ipc"), Some(I386_IPC));
        assert_eq!(i386("mmap2"), Some(192));
        assert_eq!(i386("socket"), Some(359));
        assert_eq!(i386("semget"), Some(393));
        assert_eq!(i386("set_mempolicy_home_node"), Some(450));
        assert_eq!(i386("mseal"), Some(462));
        assert_eq!(i386("open_tree_attr"), Some(467));
        // Unused numbers, and calls i386 reaches only through a multiplexer.
        assert_eq!(i386("-"), None);
        assert_eq!(i386("accept"), None);
        assert_eq!(i386("semop"), None);
        assert_eq!(i386("arch_prctl"), Some(384));
    }

    #[test]
    fn i386_variants_and_layouts_are_calls_of_i386() {
        let layout_ok = |l: &str| l.bytes().all(|b| b == b'-' || (b'0'..=b'5').contains(&b));
        for w in I386_VARIANTS.split_ascii_whitespace() {
            let (of, rest) = w.split_once('=').unwrap();
            let (variant, layout) = rest.split_once(':').unwrap_or((rest, ""));
            assert!(x86_64(of).is_some(), "{of}");
            assert!(i386(variant).is_some(), "{variant}");
            assert!(layout_ok(layout), "{w}");
            assert_eq!(i386_variants(of).count(), 1, "{of}");
        }
        for w in I386_LAYOUTS.split_ascii_whitespace() {
            let (of, layout) = w.split_once(':').unwrap();
            assert!(x86_64(of).is_some() && i386(of).is_some(), "{of}");
            assert!(layout_ok(layout) && !layout.is_empty(), "{w}");
        }
        assert_eq!(i386_variants("fchown").collect::<Vec<_>>(), [(207, "")]);
        assert_eq!(i386_variants("mmap").collect::<Vec<_>>(), [(192, "01234-")]);
        assert_eq!(
            i386_variants("clock_gettime").collect::<Vec<_>>(),
            [(403, "")]
        );
        assert_eq!(i386_variants("mkdir").count(), 0);
        assert_eq!(i386_layout("fadvise64"), "0-34");
        assert_eq!(i386_layout("mmap"), "------");
        assert_eq!(i386_layout("mkdir"), "");
    }

    #[test]
    fn multiplexed_calls_are_the_kernels() {
        assert_eq!(multiplexed("socket"), Some((I386_SOCKETCALL, 1)));
        assert_eq!(multiplexed("accept"), Some((I386_SOCKETCALL, 5)));
        assert_eq!(multiplexed("sendmmsg"), Some((I386_SOCKETCALL, 20)));
        assert_eq!(multiplexed("semop"), Some((I386_IPC, 1)));
        assert_eq!(multiplexed("semtimedop"), Some((I386_IPC, 4)));
        assert_eq!(multiplexed("msgsnd"), Some((I386_IPC, 11)));
        assert_eq!(multiplexed("shmctl"), Some((I386_IPC, 24)));
        assert_eq!(multiplexed("mkdir"), None);
        assert_eq!(multiplexed("-"), None);
    }
}
