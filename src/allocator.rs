//! Settings of the C library's allocator (glibc on Linux), made once at the start of a process.
//! Elsewhere these are no-ops: other allocators neither have nor need them.

/// Keeps glibc's threshold for serving an allocation from its own memory mapping at 256 KiB,
/// for a process that reads, judges and exits (every command but `watch`).
///
/// glibc starts it at 128 KiB and raises it, up to 32 MiB, to the size of each mapped block a
/// process frees. A check builds vectors that grow past megabytes (the resources of a root, the
/// results), frees them and builds more; once the threshold has risen, each such vector lives
/// in the main heap, where growing it copies it whole and freeing it leaves holes that later
/// allocations scatter into. Kept fixed, a large vector stays mapped: it grows in place
/// (`mremap`) and goes back to the system when freed. Measured on the Terraform benchmarks
/// (release build, runs interleaved with the default): peak memory 394 MB instead of 421 MB
/// at 200,000 resources and 48 MB instead of 56 MB at 20,000, in every run; the time did not
/// change beyond this machine's noise (about a tenth, either way).
pub fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter, before anything depends on it; a
    // refusal (0) leaves glibc's default in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

/// Caps glibc's malloc arenas at two. glibc gives each thread that allocates its own arena
/// (up to eight per core) and keeps what is freed in it; the watcher's database connections
/// each run on a thread of their own, and with 10,000 checks the arenas held a third more
/// memory than the live data, growing for as long as the process ran (measured: 87 MB after a
/// minute against 57 MB with two arenas). Call it before any thread starts.
pub fn bound_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: as above; called before the runtime starts any thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
