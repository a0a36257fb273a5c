//! `vfs mkdir [-p] TARGET...`: makes directories.

use crate::failure::{finish_each, At};
use crate::target::{Mounts, Reach};
use clap::Args;
use std::ffi::OsString;
use std::process::ExitCode;

/// Arguments of `vfs mkdir`.
#[derive(Args)]
pub struct MkdirArgs {
    /// Make missing parents too, and accept a directory that exists.
    #[arg(short = 'p', long = "parents")]
    parents: bool,
    /// Directories to make: local paths or backend URLs.
    #[arg(required = true)]
    targets: Vec<OsString>,
}

/// Runs `vfs mkdir`: each directory is made (mode 0777 less the umask), a failed
/// one reported and the others still tried.
pub fn run(args: &MkdirArgs) -> ExitCode {
    let mounts = Mounts::new();
    // Without -p the directory is new, so its parent is mounted; with -p it may
    // exist already (even as the export itself), so the deepest mount is tried.
    let reach = if args.parents {
        Reach::Root
    } else {
        Reach::Entry
    };
    finish_each("mkdir", &args.targets, |text| {
        let target = mounts.locate(text, reach)?;
        target
            .tree
            .create_dir(&target.path, args.parents)
            .at(&target.shown)
    })
}
