use std::process::ExitCode;

use clap::Parser;
use routeguard::cli::{run, Cli, Outcome};

#[cfg(not(any(target_env = "msvc", target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(error) => {
            // Several problems (a config with three mistakes) are one line each.
            for line in error.to_string().lines() {
                eprintln!("routeguard: error: {line}");
            }
            ExitCode::from(2)
        }
    }
}
