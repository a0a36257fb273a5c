//! [`ReadDir`] and [`DirEntry`]: listing a directory.

use super::{File, FileType, Fs, Metadata};
use std::ffi::OsString;
use std::fmt;
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The entries of a directory, `.` and `..` left out ([`std::fs::ReadDir`]).
/// Holds the directory open until dropped. After an error the iteration ends.
pub struct ReadDir {
    dir: File,
    /// The path given to `read_dir`, which entry paths are joined to.
    root: Arc<Path>,
    finished: bool,
}

impl ReadDir {
    /// The listing of `dir`, open on a directory, whose path was `root`.
    pub(super) fn new(dir: File, root: &Path) -> ReadDir {
        ReadDir {
            dir,
            root: root.into(),
            finished: false,
        }
    }
}

impl Iterator for ReadDir {
    type Item = io::Result<DirEntry>;

    fn next(&mut self) -> Option<io::Result<DirEntry>> {
        while !self.finished {
            match self.dir.fs.posix().readdir(self.dir.as_raw_fd()) {
                Ok(Some(entry)) if entry.name == b"." || entry.name == b".." => {}
                Ok(Some(entry)) => {
                    return Some(Ok(DirEntry {
                        fs: self.dir.fs.clone(),
                        root: self.root.clone(),
                        name: OsString::from_vec(entry.name),
                        file_type: FileType(entry.file_type),
                        ino: entry.ino,
                    }))
                }
                Ok(None) => self.finished = true,
                Err(error) => {
                    self.finished = true;
                    return Some(Err(error.into()));
                }
            }
        }
        None
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReadDir").field(&self.root).finish()
    }
}

/// One entry of a [`ReadDir`] ([`std::fs::DirEntry`]); its inode number comes
/// through [`std::os::unix::fs::DirEntryExt`].
pub struct DirEntry {
    fs: Fs,
    root: Arc<Path>,
    name: OsString,
    file_type: FileType,
    ino: u64,
}

impl DirEntry {
    /// The path given to `read_dir` joined with the entry's name.
    pub fn path(&self) -> PathBuf {
        self.root.join(&self.name)
    }

    /// The entry's name (any bytes but `/` and NUL).
    pub fn file_name(&self) -> OsString {
        self.name.clone()
    }

    /// The entry's type, as listed (a symlink is a symlink). Never fails here; the
    /// `Result` is std's signature.
    pub fn file_type(&self) -> io::Result<FileType> {
        Ok(self.file_type)
    }

    /// The entry's metadata, not following a symlink (what
    /// [`Fs::symlink_metadata`] of [`DirEntry::path`] gives).
    ///
    /// Errors: `ENOENT` (removed since listed), ...
    pub fn metadata(&self) -> io::Result<Metadata> {
        self.fs.symlink_metadata(self.path())
    }
}

impl std::os::unix::fs::DirEntryExt for DirEntry {
    fn ino(&self) -> u64 {
        self.ino
    }
}

impl fmt::Debug for DirEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DirEntry").field(&self.path()).finish()
    }
}
