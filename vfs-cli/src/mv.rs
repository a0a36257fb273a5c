//! `vfs mv SRC... DST`: renames within one file system; between file systems,
//! copies and then removes the source, as mv(1) does.

use crate::cp::{copy, CopyMode, Destination};
use crate::failure::{finish_each, io_message, At, Failure};
use crate::rm::remove;
use crate::target::{Located, Mounts, Reach};
use clap::Args;
use std::ffi::OsString;
use std::process::ExitCode;

/// Arguments of `vfs mv`.
#[derive(Args)]
pub struct MvArgs {
    /// Sources, then the destination: a new name, or a directory to move into
    /// (needed with several sources). Local paths or backend URLs.
    #[arg(required = true, num_args = 2.., value_name = "PATH")]
    paths: Vec<OsString>,
}

/// Runs `vfs mv`: each source is moved, a failed one reported and the others
/// still tried.
pub fn run(args: &MvArgs) -> ExitCode {
    let mounts = Mounts::new();
    let (destination, sources) = args.paths.split_last().expect("clap asks for two paths");
    finish_each("mv", sources, |source| {
        let (source, to) = locate_pair(&mounts, source, destination)?;
        let to = Destination::new(to, sources.len())?.for_source(&source)?;
        move_one(&source, &to)
    })
}

/// Finds `source` and `destination`, in one mount when both are URLs of one
/// server (so they can be renamed), else each on its own.
fn locate_pair(
    mounts: &Mounts,
    source: &OsString,
    destination: &OsString,
) -> Result<(Located, Located), Failure> {
    match mounts.locate_together(source, destination) {
        Some(pair) => Ok(pair),
        None => Ok((
            mounts.locate(source, Reach::Entry)?,
            mounts.locate(destination, Reach::Root)?,
        )),
    }
}

/// Moves `source` to the name `destination`: a rename when both are in one file
/// system, else a copy (symlinks as symlinks, directories whole) and a removal.
fn move_one(source: &Located, destination: &Located) -> Result<(), Failure> {
    if source.name().is_none() {
        return Err(Failure::at(
            &source.shown,
            "refusing to move a root, '.' or '..'",
        ));
    }
    let stat = source
        .tree
        .symlink_metadata(&source.path)
        .at(&source.shown)?;
    if source.tree.same(&destination.tree) {
        match source.tree.rename(&source.path, &destination.path) {
            Ok(()) => return Ok(()),
            // Two local file systems: fall back on copying.
            Err(error) if error.raw_os_error() == Some(libc::EXDEV) => {}
            Err(error) => {
                return Err(Failure::at(
                    format!("{} -> {}", source.shown, destination.shown),
                    io_message(&error),
                ))
            }
        }
    }
    let mode = CopyMode {
        no_clobber: false,
        recursive: true,
    };
    copy(source, &stat, destination, mode)?;
    remove(source, &stat)
}
