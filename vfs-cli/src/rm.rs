//! `vfs rm [-r] TARGET...`: removes files, and with `-r` directories with all
//! they hold.

use crate::failure::{finish_each, At, Failure};
use crate::target::{Located, Mounts, Reach};
use crate::tree::Stat;
use clap::Args;
use std::ffi::OsString;
use std::process::ExitCode;

/// Arguments of `vfs rm`.
#[derive(Args)]
pub struct RmArgs {
    /// Remove directories and everything in them.
    #[arg(short = 'r', short_alias = 'R', long = "recursive")]
    recursive: bool,
    /// What to remove: local paths or backend URLs. A symlink is removed itself.
    #[arg(required = true)]
    targets: Vec<OsString>,
}

/// Runs `vfs rm`: each target is removed, a failed one reported and the others
/// still tried.
pub fn run(args: &RmArgs) -> ExitCode {
    let mounts = Mounts::new();
    finish_each("rm", &args.targets, |text| {
        let target = mounts.locate(text, Reach::Entry)?;
        if target.name().is_none() {
            return Err(Failure::at(
                &target.shown,
                "refusing to remove a root, '.' or '..'",
            ));
        }
        let stat = target
            .tree
            .symlink_metadata(&target.path)
            .at(&target.shown)?;
        if stat.is_dir() && !args.recursive {
            return Err(Failure::at(&target.shown, "Is a directory (use -r)"));
        }
        remove(&target, &stat)
    })
}

/// Removes `target`, whose `lstat` is `stat`: a directory with all it holds.
pub fn remove(target: &Located, stat: &Stat) -> Result<(), Failure> {
    if stat.is_dir() {
        target.tree.remove_dir_all(&target.path)
    } else {
        target.tree.remove_file(&target.path)
    }
    .at(&target.shown)
}
