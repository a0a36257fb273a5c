//! `vfs cp [-n] [-r] SRC... DST`: copies between any two places (local paths and
//! backend URLs, in any combination), and the copying `vfs mv` falls back on
//! between file systems.
//!
//! Data moves in [`CHUNK`]-sized reads and writes; a large file shows a
//! [`Progress`] bar on a terminal. An existing file is overwritten (opened
//! truncated, as cp(1) does) unless `-n`, which creates exclusively and fails on
//! an existing name. Nothing counts as copied before the destination's close (on
//! NFS: its COMMIT) succeeded.

use crate::failure::{finish, finish_each, io_message, At, Failure};
use crate::progress::Progress;
use crate::target::{Located, Mounts, Reach};
use crate::tree::{Kind, Stat, CHUNK};
use clap::Args;
use std::ffi::OsString;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

/// Arguments of `vfs cp`.
#[derive(Args)]
pub struct CpArgs {
    /// Do not overwrite an existing file: report it and fail instead.
    #[arg(short = 'n', long = "no-clobber")]
    no_clobber: bool,
    /// Copy directories with everything in them.
    #[arg(short = 'r', short_alias = 'R', long = "recursive")]
    recursive: bool,
    /// Sources, then the destination: a file's new name, or a directory to copy
    /// into (needed with several sources). Local paths or backend URLs.
    #[arg(required = true, num_args = 2.., value_name = "PATH")]
    paths: Vec<OsString>,
}

/// How a copy treats what it meets.
#[derive(Clone, Copy)]
pub struct CopyMode {
    /// Fail on an existing destination file instead of overwriting it.
    pub no_clobber: bool,
    /// Copy directories (else a directory source is an error).
    pub recursive: bool,
}

/// Runs `vfs cp`: each source is copied, a failed one reported and the others
/// still tried.
pub fn run(args: &CpArgs) -> ExitCode {
    let mounts = Mounts::new();
    let (destination, sources) = args.paths.split_last().expect("clap asks for two paths");
    let mode = CopyMode {
        no_clobber: args.no_clobber,
        recursive: args.recursive,
    };
    let destination = match mounts
        .locate(destination, Reach::Root)
        .and_then(|located| Destination::new(located, sources.len()))
    {
        Ok(destination) => destination,
        Err(failure) => return finish("cp", Err(failure)),
    };
    finish_each("cp", sources, |source| {
        let source = mounts.locate(source, Reach::Entry)?;
        // As cp(1): a symlink named as a source is copied as what it points to.
        let stat = source.tree.metadata(&source.path).at(&source.shown)?;
        copy(&source, &stat, &destination.for_source(&source)?, mode)
    })
}

/// A destination as given: a name to copy to, or a directory to copy into.
pub struct Destination {
    located: Located,
    is_dir: bool,
}

impl Destination {
    /// Looks at `located`; with more than one source it must be a directory.
    pub fn new(located: Located, sources: usize) -> Result<Destination, Failure> {
        let is_dir = located
            .tree
            .metadata(&located.path)
            .is_ok_and(|stat| stat.is_dir());
        if sources > 1 && !is_dir {
            return Err(Failure::at(
                &located.shown,
                "not a directory (needed for several sources)",
            ));
        }
        Ok(Destination { located, is_dir })
    }

    /// Where `source` goes: into the directory under its own name, else the
    /// destination itself.
    pub fn for_source(&self, source: &Located) -> Result<Located, Failure> {
        if !self.is_dir {
            return Ok(self.located.clone());
        }
        let name = source
            .name()
            .ok_or_else(|| Failure::at(&source.shown, "has no name to give it in a directory"))?;
        Ok(self.located.child(name))
    }
}

/// Copies `source` (whose metadata is `stat`) to the name `destination`: a file's
/// data, a symlink as a symlink, a directory with all it holds.
pub fn copy(
    source: &Located,
    stat: &Stat,
    destination: &Located,
    mode: CopyMode,
) -> Result<(), Failure> {
    match stat.kind() {
        Kind::File => copy_file(source, stat, destination, mode.no_clobber),
        Kind::Symlink => copy_symlink(source, destination, mode.no_clobber),
        Kind::Dir if mode.recursive => {
            refuse_copy_into_itself(source, destination)?;
            copy_dir(source, destination, mode)
        }
        Kind::Dir => Err(Failure::at(
            &source.shown,
            "is a directory (not copied without -r)",
        )),
        _ => Err(Failure::at(
            &source.shown,
            "not a regular file, directory or symlink: not copied",
        )),
    }
}

/// Copies a regular file's data and permission bits (less the umask).
fn copy_file(
    source: &Located,
    stat: &Stat,
    destination: &Located,
    no_clobber: bool,
) -> Result<(), Failure> {
    // Opening the destination truncates it: copying a file onto itself would
    // lose it.
    if let Ok(existing) = destination.tree.metadata(&destination.path) {
        if source.tree.same(&destination.tree)
            && (existing.dev, existing.ino) == (stat.dev, stat.ino)
        {
            return Err(Failure::at(
                &destination.shown,
                format!("the same file as {}", source.shown),
            ));
        }
    }
    let mut reader = source.tree.open(&source.path).at(&source.shown)?;
    let mut writer = destination
        .tree
        .create(&destination.path, stat.mode & 0o777, no_clobber)
        .map_err(|error| create_failure(destination, &error, no_clobber))?;
    let progress = Progress::copying(&source.shown, stat.size);
    // A small file needs no large buffer: one more byte than it has sees the end.
    let size = usize::try_from(stat.size).unwrap_or(usize::MAX);
    let mut buf = vec![0; CHUNK.min(size.saturating_add(1))];
    loop {
        let n = reader.fill(&mut buf).at(&source.shown)?;
        if n == 0 {
            break;
        }
        writer.write_all(&buf[..n]).at(&destination.shown)?;
        progress.advance(n);
    }
    writer.finish().at(&destination.shown)
}

/// Makes a symlink to where `source` points.
fn copy_symlink(source: &Located, destination: &Located, no_clobber: bool) -> Result<(), Failure> {
    let target = source.tree.read_link(&source.path).at(&source.shown)?;
    if !no_clobber {
        // A symlink cannot be overwritten in place: an existing non-directory goes.
        match destination.tree.symlink_metadata(&destination.path) {
            Ok(existing) if !existing.is_dir() => destination
                .tree
                .remove_file(&destination.path)
                .at(&destination.shown)?,
            _ => {}
        }
    }
    destination
        .tree
        .symlink(&target, &destination.path)
        .map_err(|error| create_failure(destination, &error, no_clobber))
}

/// Makes the directory (or uses an existing one) and copies every entry into it.
fn copy_dir(source: &Located, destination: &Located, mode: CopyMode) -> Result<(), Failure> {
    match destination.tree.create_dir(&destination.path, false) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            let existing = destination
                .tree
                .metadata(&destination.path)
                .at(&destination.shown)?;
            if !existing.is_dir() {
                return Err(Failure::at(
                    &destination.shown,
                    format!("exists and is not a directory: {} not copied", source.shown),
                ));
            }
        }
        Err(error) => return Err(Failure::at(&destination.shown, io_message(&error))),
    }
    for name in &source.tree.names(&source.path).at(&source.shown)? {
        let from = source.child(name);
        let to = destination.child(name);
        let entry = from.tree.symlink_metadata(&from.path).at(&from.shown)?;
        copy(&from, &entry, &to, mode)?;
    }
    Ok(())
}

/// Refuses to copy a directory to a name inside itself, which would never end.
fn refuse_copy_into_itself(source: &Located, destination: &Located) -> Result<(), Failure> {
    if !source.tree.same(&destination.tree) {
        return Ok(());
    }
    let from = source.tree.canonicalize(&source.path).at(&source.shown)?;
    // The destination may not exist yet: its parent does.
    let parent = match destination.path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let Ok(mut to) = destination.tree.canonicalize(parent) else {
        return Ok(());
    };
    to.extend(destination.path.file_name());
    if to.starts_with(&from) {
        return Err(Failure::at(
            &destination.shown,
            format!(
                "inside {}: a directory cannot be copied into itself",
                source.shown
            ),
        ));
    }
    Ok(())
}

/// A failure creating `destination`; with `-n`, saying why an existing name
/// stopped the copy.
fn create_failure(destination: &Located, error: &io::Error, no_clobber: bool) -> Failure {
    let message = io_message(error);
    if no_clobber && error.kind() == io::ErrorKind::AlreadyExists {
        Failure::at(
            &destination.shown,
            format!("{message}: not overwritten (-n)"),
        )
    } else {
        Failure::at(&destination.shown, message)
    }
}
