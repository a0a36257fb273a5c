//! The `vfs` command: checks backends against the shared conformance suite.
//!
//! `vfs check [URL...]` runs every case on each URL (with no URL: every built-in
//! backend on an embedded default that needs no setup) and ends each URL's report
//! with `conformance: N passed, M failed, K skipped`. `vfs check --random --seed S
//! --ops N [URL...]` runs the seeded random mode instead.

mod backends;
mod check;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Command-line interface of the VFS framework.
#[derive(Parser)]
#[command(
    name = "vfs",
    version,
    about = "Virtual file system framework: check backends against the conformance suite"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the conformance suite (or its random mode) on backend URLs.
    Check(check::CheckArgs),
    /// List the URL schemes this build knows, with their URL forms.
    Backends,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Backends => {
            for usage in backends::registry().usages() {
                println!("{usage}");
            }
            ExitCode::SUCCESS
        }
    }
}
