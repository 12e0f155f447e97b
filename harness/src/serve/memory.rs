//! What keeps `hashcheck serve` small: small client stacks, no transparent huge pages,
//! and memory handed back to the system after a large reply. Also how its size is read.

/// The stack of a client thread. An idle client touches about 8KB of it whatever its size,
/// so this saves address space, not resident memory: a thousand clients reserve 256MB
/// instead of 2GB, which matters under `ulimit -v` or strict overcommit. A client's deepest
/// path (a command, its reply's encoding, a caught panic's message) uses tens of KB.
pub const CLIENT_STACK: usize = 256 * 1024;

/// After a read whose replies came to at least this much, the allocator is asked to give
/// freed memory back to the system.
pub const LARGE_REPLY: usize = 1024 * 1024;

/// Opts this process out of transparent huge pages. The allocator reserves one large arena
/// and each thread takes its pages from it; with THP, the kernel backs what a thread
/// touches with whole 2MB pages. That, not the thread stacks, was the ~0.7MB per idle
/// client measured before (smaps: 731MB of AnonHugePages in the arena for 1,000 clients,
/// 8KB of each stack); without THP an idle client costs ~43KB.
pub fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and changes only this process's
    // page policy; an error (an old kernel) leaves the default, which is only larger.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Asks the allocator to return freed memory to the system now rather than keep it cached.
pub fn give_back() {
    // SAFETY: mi_collect only walks the allocator's own free lists; it is safe to call
    // from any thread at any time, whichever allocator the binary uses.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// A process's resident memory in bytes (VmRSS), or None where /proc cannot tell.
pub fn resident_bytes(pid: u32) -> Option<u64> {
    status_kb(pid, "VmRSS:").map(|kb| kb * 1024)
}

/// A process's peak resident memory in bytes (VmHWM), or None where /proc cannot tell.
pub fn peak_resident_bytes(pid: u32) -> Option<u64> {
    status_kb(pid, "VmHWM:").map(|kb| kb * 1024)
}

fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
