//! A Rust API in the shape of `std::fs`, over one [`Process`].
//!
//! # The context
//!
//! `std::fs` reaches the one kernel implicitly; here every call must say which
//! [`Process`] (descriptor table, working directory, umask, credentials) it runs in.
//! That context is an [`Fs`]: a cheap, cloneable, `Send + Sync` wrapper around the
//! `Arc<Process>` that processes are shared as. The rule for porting code is
//! mechanical:
//!
//! * std's free functions are methods of the context: `fs::read_to_string(p)` becomes
//!   `fs.read_to_string(p)` (with the context named `fs`, `::` becomes `.`);
//! * std's constructors that reach the file system take the context first:
//!   `File::open(p)` becomes `File::open(&fs, p)`, and the builders end in
//!   `.open(&fs, p)` ([`OpenOptions`]) and `.create(&fs, p)` ([`DirBuilder`]);
//! * everything else (methods of [`File`], [`Metadata`], [`ReadDir`], ...) is
//!   unchanged: a [`File`] keeps its context, so it implements `Read`, `Write` and
//!   `Seek` (also through `&File`) and closes its descriptor when dropped.
//!
//! Threads share one [`Fs`] by cloning it (or the `Arc<Process>`); descriptors
//! opened here are ordinary descriptors of the process, visible to its POSIX calls
//! ([`File::as_raw_fd`], [`File::from_raw_fd`]).
//!
//! The Unix extensions come through std's own traits, so code importing them works
//! unchanged: [`std::os::unix::fs::FileExt`] (`read_at`, `write_at`,
//! `read_exact_at`, ...), `MetadataExt`, `PermissionsExt`, `FileTypeExt`,
//! `DirEntryExt` and `DirBuilderExt`. [`OpenOptions::mode`] is an inherent method:
//! std's `OpenOptionsExt` also wants `custom_flags`, whose numbers are the host's.
//!
//! Paths are bytes, as on Unix: any `AsRef<Path>` is accepted (a NUL byte is
//! refused the way std refuses it) and paths come back as `PathBuf`s. Errors are
//! `std::io::Error`s whose `raw_os_error()` is the Linux errno the POSIX call gave,
//! and where std makes an error of its own (option validation, invalid UTF-8,
//! unsupported creation time) this module makes the same one.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::sync::Arc;
//! use vfs_posix_shim::fs::{File, Fs};
//!
//! let vfs = vfs_posix_shim::Vfs::from_url("ram://").unwrap();
//! let fs = Fs::new(Arc::new(vfs.process()));
//! fs.create_dir_all("/notes/2024")?;
//! let mut file = File::create(&fs, "/notes/2024/todo.txt")?;
//! file.write_all(b"write the docs")?;
//! assert_eq!(fs.read_to_string("/notes/2024/todo.txt")?, "write the docs");
//! assert_eq!(fs.metadata("/notes/2024/todo.txt")?.len(), 14);
//! let names: Vec<_> = fs
//!     .read_dir("/notes")?
//!     .map(|entry| entry.map(|entry| entry.file_name()))
//!     .collect::<std::io::Result<_>>()?;
//! assert_eq!(names, ["2024"]);
//! # Ok::<(), std::io::Error>(())
//! ```

mod dir_builder;
mod file;
mod metadata;
mod open_options;
mod read_dir;

pub use dir_builder::DirBuilder;
pub use file::{File, FileTimes};
pub use metadata::{FileType, Metadata, Permissions};
pub use open_options::OpenOptions;
pub use read_dir::{DirEntry, ReadDir};

use crate::blocking::Blocking;
use crate::process::Process;
use futures::executor::block_on;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vfs_core::{Errno, Location, OpenFlags, MAX_SYMLINKS};

/// The context of this module's calls: one [`Process`] shared as `Arc<Process>`.
///
/// Cloning is cheap and every clone is the same process. Methods are named as
/// `std::fs`'s free functions and behave as they do.
#[derive(Clone)]
pub struct Fs {
    process: Arc<Process>,
}

impl fmt::Debug for Fs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fs")
            .field("pid", &self.process.pid())
            .finish()
    }
}

impl Fs {
    /// The calls of `process`, in `std::fs`'s shape.
    pub fn new(process: Arc<Process>) -> Fs {
        Fs { process }
    }

    /// The process these calls run in, for its POSIX calls.
    pub fn process(&self) -> &Arc<Process> {
        &self.process
    }

    fn posix(&self) -> Blocking<'_> {
        self.process.blocking()
    }

    /// Runs one POSIX call on `path` given as bytes.
    fn on_path<T>(
        &self,
        path: &Path,
        call: impl FnOnce(Blocking<'_>, &[u8]) -> vfs_core::Result<T>,
    ) -> io::Result<T> {
        Ok(call(self.posix(), path_bytes(path)?)?)
    }

    /// Runs one POSIX call on two paths given as bytes.
    fn on_paths<T>(
        &self,
        first: &Path,
        second: &Path,
        call: impl FnOnce(Blocking<'_>, &[u8], &[u8]) -> vfs_core::Result<T>,
    ) -> io::Result<T> {
        Ok(call(self.posix(), path_bytes(first)?, path_bytes(second)?)?)
    }

    /// The node `path` names, following a final symlink when `follow` is set.
    fn resolve(&self, path: &[u8], follow: bool) -> io::Result<Location> {
        let caller = self.process.caller();
        Ok(block_on(
            self.process.namespace().resolve(&caller, path, follow),
        )?)
    }

    /// The metadata of `path`, following symlinks ([`std::fs::metadata`]).
    ///
    /// Errors: `ENOENT`, `ENOTDIR`, `ELOOP`, `ENAMETOOLONG`, `EACCES`, ...
    pub fn metadata(&self, path: impl AsRef<Path>) -> io::Result<Metadata> {
        Metadata::of(&self.resolve(path_bytes(path.as_ref())?, true)?)
    }

    /// The metadata of `path` itself, not following a final symlink
    /// ([`std::fs::symlink_metadata`]).
    ///
    /// Errors: as [`Fs::metadata`].
    pub fn symlink_metadata(&self, path: impl AsRef<Path>) -> io::Result<Metadata> {
        Metadata::of(&self.resolve(path_bytes(path.as_ref())?, false)?)
    }

    /// `Ok(true)` when `path` exists (following symlinks), `Ok(false)` when it does
    /// not, an error when that cannot be told ([`std::fs::exists`]).
    ///
    /// Errors: those of [`Fs::metadata`] other than `ENOENT` (`ENOTDIR`, `ELOOP`,
    /// `EACCES`, ...).
    pub fn exists(&self, path: impl AsRef<Path>) -> io::Result<bool> {
        match self.metadata(path) {
            Ok(_) => Ok(true),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// [`Path::try_exists`]: the same as [`Fs::exists`].
    pub fn try_exists(&self, path: impl AsRef<Path>) -> io::Result<bool> {
        self.exists(path)
    }

    /// [`Path::is_file`]: true when `path` is a regular file (following symlinks);
    /// false on any error.
    pub fn is_file(&self, path: impl AsRef<Path>) -> bool {
        self.metadata(path).is_ok_and(|metadata| metadata.is_file())
    }

    /// [`Path::is_dir`]: true when `path` is a directory (following symlinks); false
    /// on any error.
    pub fn is_dir(&self, path: impl AsRef<Path>) -> bool {
        self.metadata(path).is_ok_and(|metadata| metadata.is_dir())
    }

    /// [`Path::is_symlink`]: true when `path` itself is a symlink; false on any
    /// error.
    pub fn is_symlink(&self, path: impl AsRef<Path>) -> bool {
        self.symlink_metadata(path)
            .is_ok_and(|metadata| metadata.is_symlink())
    }

    /// The entries of directory `path`, without `.` and `..`
    /// ([`std::fs::read_dir`]).
    ///
    /// Errors: `ENOENT`, `ENOTDIR`, `EACCES`, ...; listing errors come from the
    /// iterator.
    pub fn read_dir(&self, path: impl AsRef<Path>) -> io::Result<ReadDir> {
        self.open_dir(path.as_ref(), true)
    }

    /// Opens directory `path` for listing; with `follow` false a final symlink is
    /// refused (`ELOOP` or `ENOTDIR`) rather than listed through.
    fn open_dir(&self, path: &Path, follow: bool) -> io::Result<ReadDir> {
        let mut flags = OpenFlags::RDONLY | OpenFlags::DIRECTORY | OpenFlags::CLOEXEC;
        if !follow {
            flags |= OpenFlags::NOFOLLOW;
        }
        let fd = self.on_path(path, |posix, path| posix.open(path, flags, 0))?;
        Ok(ReadDir::new(File::from_raw_fd(self, fd), path))
    }

    /// Creates directory `path` with mode `0o777` minus the umask
    /// ([`std::fs::create_dir`]).
    ///
    /// Errors: `EEXIST`, `ENOENT` (missing parent), `ENOTDIR`, `EACCES`, `EROFS`, ...
    pub fn create_dir(&self, path: impl AsRef<Path>) -> io::Result<()> {
        DirBuilder::new().create(self, path)
    }

    /// Creates directory `path` and its missing parents; an existing directory
    /// (made by anyone, even meanwhile) is fine ([`std::fs::create_dir_all`]).
    ///
    /// Errors: `EEXIST` (something other than a directory is in the way),
    /// `ENOTDIR`, `EACCES`, `EROFS`, ...
    pub fn create_dir_all(&self, path: impl AsRef<Path>) -> io::Result<()> {
        DirBuilder::new().recursive(true).create(self, path)
    }

    /// Removes the non-directory `path` ([`std::fs::remove_file`]).
    ///
    /// Errors: `ENOENT`, `EISDIR`, `ENOTDIR`, `EACCES`, `EROFS`, ...
    pub fn remove_file(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.on_path(path.as_ref(), |posix, path| posix.unlink(path))
    }

    /// Removes the empty directory `path` ([`std::fs::remove_dir`]).
    ///
    /// Errors: `ENOTEMPTY`, `ENOENT`, `ENOTDIR`, `EBUSY`, `EINVAL` (`.`), ...
    pub fn remove_dir(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.on_path(path.as_ref(), |posix, path| posix.rmdir(path))
    }

    /// Removes directory `path` with everything in it; a symlink is removed itself
    /// and never followed, at the top or below ([`std::fs::remove_dir_all`]).
    /// Entries that vanish meanwhile are not errors.
    ///
    /// Below the top, a directory is opened with `O_NOFOLLOW` before it is listed,
    /// so a directory swapped for a symlink is unlinked rather than followed. There
    /// are no `*at` calls, so (unlike std on Linux) a directory higher up swapped
    /// for a symlink during the walk is followed.
    ///
    /// Errors: `ENOENT` (`path` missing), `ENOTDIR` (`path` is a file), then the
    /// first error removing an entry.
    pub fn remove_dir_all(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        if self.symlink_metadata(path)?.is_symlink() {
            self.remove_file(path)
        } else {
            self.remove_tree(path, true)
        }
    }

    /// What [`Fs::remove_dir_all`] does to a name that was a directory when looked
    /// at: empties it, then removes it. Below the top (`is_top` false) a name that
    /// is no longer a directory is unlinked.
    fn remove_tree(&self, dir: &Path, is_top: bool) -> io::Result<()> {
        let entries = match self.open_dir(dir, false) {
            Err(error) if has_errno(&error, &[Errno::ENOTDIR, Errno::ELOOP]) => {
                return if is_top {
                    Err(error)
                } else {
                    self.remove_file(dir)
                };
            }
            opened => opened?,
        };
        for entry in entries {
            let removed = entry.and_then(|entry| {
                if entry.file_type()?.is_dir() {
                    self.remove_tree(&entry.path(), false)
                } else {
                    self.remove_file(entry.path())
                }
            });
            match removed {
                Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
        }
        ignore_not_found(self.remove_dir(dir))
    }

    /// The whole contents of file `path` ([`std::fs::read`]).
    ///
    /// Errors: those of [`File::open`] and of reading (`EISDIR`, ...).
    pub fn read(&self, path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
        let mut file = File::open(self, path)?;
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(file.size_hint())?;
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// The whole contents of file `path` as a string ([`std::fs::read_to_string`]).
    ///
    /// Errors: as [`Fs::read`]; `InvalidData` when the contents are not UTF-8.
    pub fn read_to_string(&self, path: impl AsRef<Path>) -> io::Result<String> {
        let mut file = File::open(self, path)?;
        let mut text = String::new();
        text.try_reserve_exact(file.size_hint())?;
        file.read_to_string(&mut text)?;
        Ok(text)
    }

    /// Makes `contents` the whole contents of file `path`, creating it if needed
    /// ([`std::fs::write`]).
    ///
    /// Errors: those of [`File::create`] and of writing (`ENOSPC`, ...).
    pub fn write(&self, path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
        File::create(self, path)?.write_all(contents.as_ref())
    }

    /// Copies the contents and permission bits of regular file `from` to `to`,
    /// creating or truncating `to`; returns the bytes copied ([`std::fs::copy`]).
    ///
    /// Errors: those of opening either file; `InvalidInput` when `from` is not a
    /// regular file.
    pub fn copy(&self, from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
        let mut reader = File::open(self, from)?;
        let reader_metadata = reader.metadata()?;
        if !reader_metadata.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the source path is neither a regular file nor a symlink to a regular file",
            ));
        }
        let permissions = reader_metadata.permissions();
        let mut writer = OpenOptions::new()
            .mode(permissions.mode())
            .write(true)
            .create(true)
            .truncate(true)
            .open(self, to)?;
        // The mode given to open only applies to a new file (and minus the umask):
        // set it again, as std does, unless `to` is not a regular file.
        if writer.metadata()?.is_file() {
            writer.set_permissions(permissions)?;
        }
        io::copy(&mut reader, &mut writer)
    }

    /// Renames `from` to `to`, replacing what `to` names as POSIX `rename` does
    /// ([`std::fs::rename`]).
    ///
    /// Errors: `ENOENT`, `ENOTEMPTY`, `EISDIR`, `ENOTDIR`, `EXDEV`, `EINVAL`, ...
    pub fn rename(&self, from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
        self.on_paths(from.as_ref(), to.as_ref(), |posix, from, to| {
            posix.rename(from, to)
        })
    }

    /// Makes `link` a new name of `original`; a symlink `original` is linked itself,
    /// not followed ([`std::fs::hard_link`]).
    ///
    /// Errors: `EEXIST`, `ENOENT`, `EPERM` (a directory), `EXDEV`, ...
    pub fn hard_link(&self, original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
        self.on_paths(original.as_ref(), link.as_ref(), |posix, original, link| {
            posix.link(original, link)
        })
    }

    /// Creates symlink `link` whose target is `original`
    /// ([`std::os::unix::fs::symlink`]).
    ///
    /// Errors: `EEXIST`, `ENOENT` (missing parent of `link`), `EROFS`, ...
    pub fn symlink(&self, original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
        self.on_paths(original.as_ref(), link.as_ref(), |posix, original, link| {
            posix.symlink(original, link)
        })
    }

    /// Creates the FIFO `path` with `mode` minus the umask (`mkfifo(3)`; std has
    /// none). Nothing here reads or writes through a FIFO: opening it is `ENXIO`.
    ///
    /// Errors: `EEXIST`, `ENOENT` (missing parent), `ENOTDIR`, `EROFS`, `EPERM`
    /// (the file system makes no special files), ...
    pub fn mkfifo(&self, path: impl AsRef<Path>, mode: u32) -> io::Result<()> {
        self.on_path(path.as_ref(), |posix, path| posix.mkfifo(path, mode))
    }

    /// Creates `path` as `mknod(2)` does: the type in the `S_IFMT` bits of `mode`
    /// (FIFO, socket, character or block device numbered `rdev`, or regular file),
    /// the permission bits minus the umask. [`Metadata`]'s `file_type()` and
    /// `rdev()` report them.
    ///
    /// Errors: `EPERM` (a directory type; a device made by a caller other than
    /// root; a file system without special files), `EINVAL` (no such type),
    /// `EEXIST`, `ENOENT`, `ENOTDIR`, `EROFS`, ...
    pub fn mknod(&self, path: impl AsRef<Path>, mode: u32, rdev: u64) -> io::Result<()> {
        self.on_path(path.as_ref(), |posix, path| posix.mknod(path, mode, rdev))
    }

    /// [`std::fs::soft_link`]: the same as [`Fs::symlink`].
    #[deprecated(note = "replaced with `Fs::symlink`, as std replaced `soft_link`")]
    pub fn soft_link(&self, original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
        self.symlink(original, link)
    }

    /// The target of symlink `path` ([`std::fs::read_link`]).
    ///
    /// Errors: `EINVAL` (not a symlink), `ENOENT`, `ENOTDIR`, ...
    pub fn read_link(&self, path: impl AsRef<Path>) -> io::Result<PathBuf> {
        self.on_path(path.as_ref(), |posix, path| posix.readlink(path))
            .map(path_from_bytes)
    }

    /// The absolute path of what `path` names, with no symlink, `.` or `..` in it
    /// ([`std::fs::canonicalize`], C's `realpath`).
    ///
    /// A directory's path is found from the node itself (as `getcwd` finds it); a
    /// non-directory's is its directory's path plus its name, after following
    /// symlinks in the final component.
    ///
    /// Errors: `ENOENT`, `ENOTDIR`, `ELOOP`, `EACCES`, ...
    pub fn canonicalize(&self, path: impl AsRef<Path>) -> io::Result<PathBuf> {
        let bytes = path_bytes(path.as_ref())?;
        let target = self.resolve(bytes, true)?;
        if target.vnode().file_type() == vfs_core::FileType::Directory {
            return self.path_of(&target);
        }
        let mut name = path_from_bytes(bytes.to_vec());
        let mut links_followed = 0;
        while self.is_symlink(&name) {
            links_followed += 1;
            if links_followed > MAX_SYMLINKS {
                return Err(Errno::ELOOP.into());
            }
            let link_target = self.read_link(&name)?;
            name = parent_or_dot(&name).join(link_target);
        }
        let file_name = name.file_name().ok_or(Errno::ENOENT)?;
        let dir = self.resolve(parent_or_dot(&name).as_os_str().as_bytes(), true)?;
        Ok(self.path_of(&dir)?.join(file_name))
    }

    /// The absolute path of directory `dir`.
    fn path_of(&self, dir: &Location) -> io::Result<PathBuf> {
        Ok(path_from_bytes(block_on(
            self.process.namespace().path_of(dir),
        )?))
    }

    /// Sets the permission bits of `path`, following symlinks
    /// ([`std::fs::set_permissions`]).
    ///
    /// Errors: `ENOENT`, `EPERM` (not the owner), `EROFS`, ...
    pub fn set_permissions(
        &self,
        path: impl AsRef<Path>,
        permissions: Permissions,
    ) -> io::Result<()> {
        let mode = permissions.mode();
        self.on_path(path.as_ref(), |posix, path| posix.chmod(path, mode))
    }

    /// The working directory ([`std::env::current_dir`]).
    ///
    /// Errors: `ENOENT` (it was removed).
    pub fn current_dir(&self) -> io::Result<PathBuf> {
        Ok(path_from_bytes(self.posix().getcwd()?))
    }

    /// Changes the working directory, for every thread of the process
    /// ([`std::env::set_current_dir`]).
    ///
    /// Errors: `ENOENT`, `ENOTDIR`, `EACCES`, ...
    pub fn set_current_dir(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.on_path(path.as_ref(), |posix, path| posix.chdir(path))
    }
}

/// The bytes of `path`, refused as std refuses them when they hold a NUL (C strings
/// cannot carry one).
fn path_bytes(path: &Path) -> io::Result<&[u8]> {
    let bytes = path.as_os_str().as_bytes();
    if bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "file name contained an unexpected NUL byte",
        ));
    }
    Ok(bytes)
}

fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(OsString::from_vec(bytes))
}

/// The directory `path` is in, `.` for a bare name.
fn parent_or_dot(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// True when `error` carries one of `errnos`.
fn has_errno(error: &io::Error, errnos: &[Errno]) -> bool {
    error
        .raw_os_error()
        .is_some_and(|raw| errnos.iter().any(|errno| errno.raw() == raw))
}

fn ignore_not_found(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
