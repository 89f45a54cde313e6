//! The `mortar` binary: parse the command line and hand it to the library.

use clap::Parser as _;

/// mimalloc: many small allocations (a record's cells, a document's
/// values) are freed as soon as a response is written; glibc's allocator
/// spent a quarter of a large list's CPU on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Threads of tokio's blocking pool (SQLite's reads, the writer's waits,
/// file I/O). Reads wait for a reader connection before they take a
/// thread, so they hold at most one per connection; the bound keeps
/// everything else from doing what a burst of large lists once did under
/// tokio's default of 512: start 150 threads, each keeping its allocator's
/// memory (740 MB).
const BLOCKING_THREADS: usize = 32;

fn main() -> std::process::ExitCode {
    mortar::init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mortar: starting the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(mortar::cli::run(mortar::cli::Cli::parse())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mortar: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
