//! `test-abi-call int80|syscall NR [ARG...]`: makes one raw system call, through i386's ABI
//! (`int $0x80`, which a 64-bit process may use: the kernel takes it as an i386 call) or
//! x86_64's own (`syscall`), and prints what it returned as a signed number (`-42`: errno 42).
//! An ARG is a number (decimal or 0x hex) or `s:TEXT`, the address of a NUL-terminated copy
//! of TEXT placed below 2 GiB, where an i386 call's 32-bit pointer reaches it. The seccomp
//! tests run it inside containers (tests/tests/seccomp.rs). Exit 2 on a usage error.
use std::arch::asm;

fn usage() -> ! {
    eprintln!("usage: test-abi-call int80|syscall NR [ARG...] (ARG: a number or s:TEXT)");
    std::process::exit(2)
}

fn number(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// A page below 2 GiB holding `text` and a NUL.
fn low_copy(text: &str) -> u64 {
    assert!(text.len() < 4096, "s:TEXT is one page at most");
    // SAFETY: an anonymous private mapping asks for no memory of ours; MAP_32BIT places it in
    // the first 2 GiB (x86_64), where a 32-bit pointer reaches it.
    let page = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_32BIT,
            -1,
            0,
        )
    };
    assert!(page != libc::MAP_FAILED, "mmap(MAP_32BIT) failed");
    // SAFETY: the page is 4096 writable bytes of ours and `text` is shorter; the mapping is
    // fresh (zero-filled), so the byte after the copy is the NUL.
    unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), page.cast::<u8>(), text.len()) };
    page as u64
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(abi), Some(nr)) = (args.first(), args.get(1).and_then(|n| number(n))) else {
        usage()
    };
    if args.len() > 7 {
        usage();
    }
    let mut a = [0u64; 5];
    for (slot, arg) in a.iter_mut().zip(&args[2..]) {
        *slot = match arg.strip_prefix("s:") {
            Some(text) => low_copy(text),
            None => number(arg).unwrap_or_else(|| usage()),
        };
    }
    let ret: i64 = match abi.as_str() {
        "int80" => {
            let eax: u64;
            // SAFETY: a system call takes numbers and the addresses made above; rbx is LLVM's,
            // so the first argument goes through another register swapped in and back. The
            // kernel preserves every register but eax on an int 0x80 return.
            unsafe {
                asm!(
                    "xchg {b}, rbx",
                    "int 0x80",
                    "xchg {b}, rbx",
                    b = inout(reg) a[0] => _,
                    inlateout("rax") nr => eax,
                    in("rcx") a[1],
                    in("rdx") a[2],
                    in("rsi") a[3],
                    in("rdi") a[4],
                    // Preserved since Linux 4.17; declared lost for older kernels.
                    lateout("r8") _,
                    lateout("r9") _,
                    lateout("r10") _,
                    lateout("r11") _,
                )
            };
            // An i386 call returns 32 bits.
            i64::from(eax as u32 as i32)
        }
        "syscall" => {
            let rax: i64;
            // SAFETY: as above; `syscall` clobbers rcx and r11.
            unsafe {
                asm!(
                    "syscall",
                    inlateout("rax") nr => rax,
                    in("rdi") a[0],
                    in("rsi") a[1],
                    in("rdx") a[2],
                    in("r10") a[3],
                    in("r8") a[4],
                    lateout("rcx") _,
                    lateout("r11") _,
                )
            };
            rax
        }
        _ => usage(),
    };
    println!("{ret}");
}
