//! The `mortar` binary: parse the command line and hand it to the library.

use clap::Parser as _;

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
