//! The `mortar` binary: parse the command line and hand it to the library.

use clap::Parser as _;

/// mimalloc: many small allocations (a record's cells, a document's
/// values) are freed as soon as a response is written; glibc's allocator
/// spent a quarter of a large list's CPU on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    mortar::init_tracing();
    match mortar::cli::run(mortar::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mortar: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
