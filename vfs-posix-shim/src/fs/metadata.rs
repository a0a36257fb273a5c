//! [`Metadata`], [`FileType`] and [`Permissions`], as `std::fs` has them.

use futures::executor::block_on;
use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use vfs_core::{Attr, Location, Timespec};

/// What `stat` says about a file ([`std::fs::Metadata`]). The fields of
/// `struct stat` come through [`std::os::unix::fs::MetadataExt`].
#[derive(Clone, Debug)]
pub struct Metadata {
    attr: Attr,
    /// The mount holding the file, reported as `st_dev`.
    mount_id: u64,
}

impl Metadata {
    /// The metadata of the node at `location`.
    pub(super) fn of(location: &Location) -> io::Result<Metadata> {
        Ok(Metadata {
            attr: block_on(vfs_core::attributes(&**location.vnode()))?,
            mount_id: location.mount().id(),
        })
    }

    /// The type of the file.
    pub fn file_type(&self) -> FileType {
        FileType(self.attr.file_type)
    }

    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.file_type().is_dir()
    }

    /// True for a regular file.
    pub fn is_file(&self) -> bool {
        self.file_type().is_file()
    }

    /// True for a symlink (only [`super::Fs::symlink_metadata`] sees one).
    pub fn is_symlink(&self) -> bool {
        self.file_type().is_symlink()
    }

    /// Size in bytes (for a symlink, the length of its target).
    #[allow(clippy::len_without_is_empty)] // std's Metadata has no is_empty either
    pub fn len(&self) -> u64 {
        self.attr.size
    }

    /// The permissions: like std, all of `st_mode`, type bits included.
    pub fn permissions(&self) -> Permissions {
        Permissions {
            mode: self.attr.st_mode(),
        }
    }

    /// Last modification of the contents.
    ///
    /// Errors: `InvalidData` for a time `SystemTime` cannot hold.
    pub fn modified(&self) -> io::Result<SystemTime> {
        system_time(self.attr.mtime)
    }

    /// Last access.
    ///
    /// Errors: as [`Metadata::modified`].
    pub fn accessed(&self) -> io::Result<SystemTime> {
        system_time(self.attr.atime)
    }

    /// Creation time: never known here, so always the error std gives on Linux
    /// when the file system does not record it.
    ///
    /// Errors: `Unsupported`, always.
    pub fn created(&self) -> io::Result<SystemTime> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "creation time is not available for the filesystem",
        ))
    }
}

/// `struct stat`'s fields. `dev` is the number of the mount holding the file,
/// unique within the namespace, so `(dev, ino)` identifies a file.
impl std::os::unix::fs::MetadataExt for Metadata {
    fn dev(&self) -> u64 {
        self.mount_id
    }

    fn ino(&self) -> u64 {
        self.attr.ino
    }

    fn mode(&self) -> u32 {
        self.attr.st_mode()
    }

    fn nlink(&self) -> u64 {
        self.attr.nlink
    }

    fn uid(&self) -> u32 {
        self.attr.uid
    }

    fn gid(&self) -> u32 {
        self.attr.gid
    }

    fn rdev(&self) -> u64 {
        self.attr.rdev
    }

    fn size(&self) -> u64 {
        self.attr.size
    }

    fn atime(&self) -> i64 {
        self.attr.atime.sec
    }

    fn atime_nsec(&self) -> i64 {
        self.attr.atime.nsec.into()
    }

    fn mtime(&self) -> i64 {
        self.attr.mtime.sec
    }

    fn mtime_nsec(&self) -> i64 {
        self.attr.mtime.nsec.into()
    }

    fn ctime(&self) -> i64 {
        self.attr.ctime.sec
    }

    fn ctime_nsec(&self) -> i64 {
        self.attr.ctime.nsec.into()
    }

    fn blksize(&self) -> u64 {
        self.attr.blksize.into()
    }

    fn blocks(&self) -> u64 {
        self.attr.blocks
    }
}

/// `time` as a `SystemTime`, refused as std refuses a timestamp it cannot hold.
fn system_time(time: Timespec) -> io::Result<SystemTime> {
    let whole_seconds = Duration::from_secs(time.sec.unsigned_abs());
    let seconds = if time.sec >= 0 {
        UNIX_EPOCH.checked_add(whole_seconds)
    } else {
        UNIX_EPOCH.checked_sub(whole_seconds)
    };
    seconds
        .and_then(|at| at.checked_add(Duration::from_nanos(time.nsec.into())))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "Invalid timestamp"))
}

/// The type of a file ([`std::fs::FileType`]); the special types come through
/// [`std::os::unix::fs::FileTypeExt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileType(pub(super) vfs_core::FileType);

impl FileType {
    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.0 == vfs_core::FileType::Directory
    }

    /// True for a regular file.
    pub fn is_file(&self) -> bool {
        self.0 == vfs_core::FileType::Regular
    }

    /// True for a symlink.
    pub fn is_symlink(&self) -> bool {
        self.0 == vfs_core::FileType::Symlink
    }
}

impl std::os::unix::fs::FileTypeExt for FileType {
    fn is_block_device(&self) -> bool {
        self.0 == vfs_core::FileType::BlockDevice
    }

    fn is_char_device(&self) -> bool {
        self.0 == vfs_core::FileType::CharDevice
    }

    fn is_fifo(&self) -> bool {
        self.0 == vfs_core::FileType::Fifo
    }

    fn is_socket(&self) -> bool {
        self.0 == vfs_core::FileType::Socket
    }
}

/// Permission bits of a file ([`std::fs::Permissions`]); the mode comes through
/// [`std::os::unix::fs::PermissionsExt`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permissions {
    mode: u32,
}

impl Permissions {
    /// True when nobody (owner, group or others) has write permission.
    pub fn readonly(&self) -> bool {
        self.mode & 0o222 == 0
    }

    /// `true` removes every write permission (`chmod a-w`); `false` grants write
    /// permission to everyone (`chmod a+w`), as std does. Only changes this value:
    /// apply it with [`super::Fs::set_permissions`] or [`super::File::set_permissions`].
    pub fn set_readonly(&mut self, readonly: bool) {
        if readonly {
            self.mode &= !0o222;
        } else {
            self.mode |= 0o222;
        }
    }
}

impl std::os::unix::fs::PermissionsExt for Permissions {
    fn mode(&self) -> u32 {
        self.mode
    }

    fn set_mode(&mut self, mode: u32) {
        self.mode = mode;
    }

    fn from_mode(mode: u32) -> Permissions {
        Permissions { mode }
    }
}
