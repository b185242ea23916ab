//! The process's memory: which allocator serves Rust's allocations, how it is tuned,
//! and how what was freed goes back to the system.
//!
//! Rust's allocations go to jemalloc (`tikv-jemallocator`). With glibc's malloc the
//! threads of a poll (the async workers, the parse threads, the one database writer,
//! which frees what the parse threads allocated) queued on the locks of its shared
//! arenas: on a 1,000-feed first pass 4% of the CPU went to those locks' futex calls
//! alone, and more arenas cost 5-11 MiB of peak memory. jemalloc gives every thread a
//! cache and frees into the allocating thread's arena without taking a lock in the
//! common case: the same pass takes some 15-20% less CPU at the same peak (README,
//! "Benchmark").
//!
//! SQLite keeps glibc's malloc (the bundled library calls `malloc`): it allocates
//! almost only on the writer's thread, and [`limit_c_arenas`] keeps its arenas few.

/// Every Rust allocation of the process.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read once before its first allocation (`_RJEM_MALLOC_CONF` in
/// the environment overrides them, as jemalloc documents):
/// - `narenas:1`: one arena; each thread's cache takes the contention away, and one
///   arena keeps the peak lowest (memory freed by the writer is reused by the parses);
/// - `tcache_max:512`: threads cache blocks up to 512 bytes (the default is 32 KiB; at
///   1 KiB the 1,000-feed pass already peaked about 1 MiB higher);
/// - `dirty_decay_ms:1000`, `muzzy_decay_ms:0`: pages freed are kept a second for
///   reuse, then returned at once (`MADV_DONTNEED`) rather than kept "muzzy". At 0 ms
///   every large free became a system call and the pass took 20% longer; at jemalloc's
///   10 s the peak of one pass stayed resident into the next.
///
/// Pages freed while the process does nothing more are not returned by the decay
/// (it runs on allocations): [`release_free`] returns them.
#[unsafe(export_name = "_rjem_malloc_conf")]
#[allow(
    unsafe_code,
    reason = "jemalloc reads its options from a C symbol of this name"
)]
static MALLOC_CONF: Conf =
    Conf(c"narenas:1,tcache_max:512,dirty_decay_ms:1000,muzzy_decay_ms:0".as_ptr());

/// A `const char *`, the type jemalloc declares `malloc_conf` with.
#[repr(transparent)]
struct Conf(*const std::ffi::c_char);

// SAFETY: the pointer is to a string literal, never written, valid for the whole
// program: any thread may read it.
#[allow(unsafe_code, reason = "a raw pointer is not Sync by itself")]
unsafe impl Sync for Conf {}

/// Keeps glibc's malloc, which SQLite uses, to two arenas. glibc gives every thread
/// that allocates its own arena (up to 8 per core) and freed memory stays in the arena
/// it came from; two are plenty for SQLite's writer and its readers. Called before any
/// thread starts.
#[allow(
    unsafe_code,
    reason = "mallopt is a C call; it only sets an allocator parameter"
)]
pub(crate) fn limit_c_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Returns the memory both allocators hold free to the system: jemalloc's dirty pages
/// (of every arena) and glibc's free pages (SQLite's). Called after a peak is over
/// (the config's compile, a publish), so that it does not stay resident while the
/// daemon waits for the next poll.
#[allow(
    unsafe_code,
    reason = "mallctl and malloc_trim are C calls that only release free pages"
)]
pub fn release_free() {
    // SAFETY: `arena.<MALLCTL_ARENAS_ALL>.purge` takes no value and returns none (all
    // pointers null, length 0); jemalloc takes its own locks.
    let purged = unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
    if purged != 0 {
        tracing::debug!(error = purged, "jemalloc did not purge its arenas");
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of glibc's arenas (it takes their
    // locks), callable from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    /// Reads one of jemalloc's options.
    #[allow(unsafe_code, reason = "mallctl is a C call")]
    fn option<T: Default + Copy>(name: &std::ffi::CStr) -> T {
        let mut value = T::default();
        let mut len = size_of::<T>();
        // SAFETY: `value` is a T of `len` bytes, the type jemalloc documents for the
        // options read below; no new value is written.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                (&raw mut value).cast(),
                &raw mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(rc, 0, "mallctl {name:?}");
        assert_eq!(len, size_of::<T>(), "{name:?}'s size");
        value
    }

    /// The options are those of [`super::MALLOC_CONF`]: jemalloc found the symbol (a
    /// wrong name or layout would be ignored in silence, leaving jemalloc's defaults).
    #[test]
    fn jemalloc_reads_the_options() {
        if std::env::var_os("_RJEM_MALLOC_CONF").is_some() {
            eprintln!("SKIPPED: _RJEM_MALLOC_CONF overrides the options");
            return;
        }
        assert_eq!(option::<u32>(c"opt.narenas"), 1);
        assert_eq!(option::<usize>(c"opt.tcache_max"), 512);
        assert_eq!(option::<isize>(c"opt.dirty_decay_ms"), 1000);
        assert_eq!(option::<isize>(c"opt.muzzy_decay_ms"), 0);
    }
}
