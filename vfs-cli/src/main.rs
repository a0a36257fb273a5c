//! The `vfs` command: checks backends against the shared conformance suite, and
//! works on files wherever they are.
//!
//! `vfs check [URL...]` runs every case on each URL (with no URL: every built-in
//! backend on an embedded default that needs no setup) and ends each URL's report
//! with `conformance: N passed, M failed, K skipped`. `vfs check --random --seed S
//! --ops N [URL...]` runs the seeded random mode instead.
//!
//! The file commands `ls [-l]`, `stat`, `cat`, `cp [-n] [-r]`, `rm [-r]`,
//! `mkdir [-p]` and `mv` take TARGETs that are local paths or backend URLs of any
//! registered scheme (`nfs://host/export/dir/file`, `ram://`); see [`target`] for
//! how a URL is split into a file system and a path inside it. They fail with one
//! line `vfs CMD: TARGET: problem` on stderr and a non-zero exit code.
//!
//! `vfs mount URL DIR [--allow-other] [--ro]` serves a URL at a host directory
//! through FUSE (vfs-fuse) until Ctrl-C, SIGTERM or `fusermount3 -u DIR`.

mod backends;
mod cat;
mod check;
mod cp;
mod failure;
mod mkdir;
mod mount;
mod mv;
mod progress;
mod rm;
mod show;
mod target;
mod tree;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Command-line interface of the VFS framework.
#[derive(Parser)]
#[command(
    name = "vfs",
    version,
    about = "Virtual file system framework: check backends against the conformance suite, \
             and work on files at local paths and backend URLs (nfs://, ram://)"
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
    /// List a directory's entries (or name a file), sorted by name.
    Ls(show::LsArgs),
    /// Describe a file as stat(1) does.
    Stat(show::StatArgs),
    /// Print files' contents.
    Cat(cat::CatArgs),
    /// Copy files (and with -r directories), overwriting unless -n.
    #[command(override_usage = "vfs cp [-n] [-r] SRC... DST")]
    Cp(cp::CpArgs),
    /// Remove files (and with -r directories).
    Rm(rm::RmArgs),
    /// Make directories.
    Mkdir(mkdir::MkdirArgs),
    /// Move or rename files and directories.
    #[command(override_usage = "vfs mv SRC... DST")]
    Mv(mv::MvArgs),
    /// Serve a backend URL at a host directory through FUSE, in the foreground,
    /// until Ctrl-C, SIGTERM or `fusermount3 -u DIR`.
    #[command(override_usage = "vfs mount URL DIR [--allow-other] [--ro]")]
    Mount(mount::MountArgs),
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
        Command::Ls(args) => failure::finish("ls", show::ls(&args)),
        Command::Stat(args) => failure::finish("stat", show::stat(&args)),
        Command::Cat(args) => cat::run(&args),
        Command::Cp(args) => cp::run(&args),
        Command::Rm(args) => rm::run(&args),
        Command::Mkdir(args) => mkdir::run(&args),
        Command::Mv(args) => mv::run(&args),
        Command::Mount(args) => mount::run(&args),
    }
}
