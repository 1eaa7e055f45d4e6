//! The memory allocator: mimalloc for Rust's allocations, with settings that keep the resident
//! memory low, and glibc's arenas limited for what C libraries (SQLite) allocate.
//!
//! Sift allocates and frees at a high rate from many threads: the matches of every close, JSON
//! of every API response and signal, rows of every query. Measured on the 2-core machine
//! against glibc's malloc, with mimalloc (as set below) `sift bench engine` replayed 5-8%
//! faster and `sift bench serve` answered about twice the signal-listing requests per second.
//!
//! mimalloc keeps freed memory for a second by default (`purge_delay`) and commits its arenas
//! eagerly, so that `sift serve` peaked at 513 MB where glibc peaked at 381 MB. Returning freed
//! memory after 10 ms and committing on demand brought it back to 387-397 MB; returning it at
//! once kept the same peak but doubled the time spent in the kernel (page faults). mimalloc
//! reads its settings from the environment when the process starts, before `main`, so the
//! process starts itself again with them (once: they are then set, and a user's own settings
//! are kept).

use std::os::unix::process::CommandExt;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The allocator settings, each applied unless the environment already sets it.
const SETTINGS: [(&str, &str); 3] = [
    ("MIMALLOC_PURGE_DELAY", "10"),
    ("MIMALLOC_ARENA_EAGER_COMMIT", "0"),
    // glibc gives a thread that finds the allocator busy an arena of its own (up to eight per
    // core), and memory freed in one arena is not reused by another; two arenas kept the
    // resident memory of what still uses glibc low. Other C libraries ignore the variable.
    ("MALLOC_ARENA_MAX", "2"),
];

/// Starts the process again with [`SETTINGS`] when one is missing from the environment;
/// returns at once when none is, or when starting again failed (then the defaults apply).
pub(crate) fn tune() {
    let missing: Vec<(&str, &str)> = SETTINGS
        .into_iter()
        .filter(|(var, _)| std::env::var_os(var).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    // Returns only when the exec failed.
    let _ = command.args(args).envs(missing).exec();
}
