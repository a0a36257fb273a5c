//! What the suite runs against: a [`Target`] offers POSIX-like calls on absolute
//! paths. The kernel target makes real system calls on a host directory; the
//! namespace target calls a [`vfs_core::Namespace`]. Cases never know which.

use vfs_core::{
    AccessMask, Attr, Capabilities, Credentials, FileType, FsStat, OpenFlags, Result, SetTime,
};

/// One entry of a directory listing as the suite compares it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The name, raw bytes.
    pub name: Vec<u8>,
    /// The type the listing reported.
    pub file_type: FileType,
    /// The inode number the listing reported.
    pub ino: u64,
}

/// A file system under test, driven synchronously with absolute paths.
///
/// Paths are absolute within the target's own namespace (for the kernel target: host
/// paths). Errors carry the errno exactly as the target produced it.
pub trait Target: Send + Sync {
    /// A human description ("kernel: /tmp/.tmpX", "ram://").
    fn describe(&self) -> String;

    /// What the file system under test supports; cases needing more are skipped.
    fn capabilities(&self) -> Capabilities;

    /// Creates and returns a fresh, empty directory (absolute path) for one case.
    fn scratch_dir(&self, case: &str) -> Result<String>;

    /// Mount control, when the target can mount file systems for the namespace cases.
    fn mounts(&self) -> Option<&dyn MountControl>;

    /// For a target without `write`: the absolute path of a directory holding the
    /// [fixture](crate::fixture) tree (every entry its capabilities can hold), where
    /// the `fixture` and `readonly` cases run. `None` (the default) skips them. A
    /// target with `write` is never asked: the runner builds the fixture itself.
    fn fixture_dir(&self) -> Option<String> {
        None
    }

    /// The same file system driven by another user: every call of the returned
    /// target (and of the files it opens) is made with `creds`, for the
    /// `permission` cases. `None` (the default) skips those cases.
    fn as_user(&self, creds: &Credentials) -> Option<Box<dyn Target + '_>> {
        let _ = creds;
        None
    }

    /// `open(path, flags, mode)`.
    fn open(&self, path: &[u8], flags: OpenFlags, mode: u32) -> Result<Box<dyn TargetFile>>;
    /// `stat(path)`.
    fn stat(&self, path: &[u8]) -> Result<Attr>;
    /// `lstat(path)`.
    fn lstat(&self, path: &[u8]) -> Result<Attr>;
    /// `mkdir(path, mode)`.
    fn mkdir(&self, path: &[u8], mode: u32) -> Result<()>;
    /// `rmdir(path)`.
    fn rmdir(&self, path: &[u8]) -> Result<()>;
    /// `unlink(path)`.
    fn unlink(&self, path: &[u8]) -> Result<()>;
    /// `rename(old, new)`.
    fn rename(&self, old: &[u8], new: &[u8]) -> Result<()>;
    /// `link(old, new)` (a final symlink in `old` is not followed).
    fn link(&self, old: &[u8], new: &[u8]) -> Result<()>;
    /// `symlink(target, path)`.
    fn symlink(&self, target: &[u8], path: &[u8]) -> Result<()>;
    /// `mknod(path, mode, rdev)`: `mode` carries the file type bits, `rdev` is
    /// Linux's encoding of a device number. The default fails with `EPERM`, as
    /// Linux does for a file system without `mknod`.
    fn mknod(&self, path: &[u8], mode: u32, rdev: u64) -> Result<()> {
        let _ = (path, mode, rdev);
        Err(vfs_core::Errno::EPERM.into())
    }
    /// `readlink(path)`.
    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>>;
    /// `truncate(path, length)`.
    fn truncate(&self, path: &[u8], length: u64) -> Result<()>;
    /// `chmod(path, mode)`.
    fn chmod(&self, path: &[u8], mode: u32) -> Result<()>;
    /// `chown` (`follow`) or `lchown`; `None` leaves that id unchanged.
    fn chown(&self, path: &[u8], uid: Option<u32>, gid: Option<u32>, follow: bool) -> Result<()>;
    /// `utimensat(path, [atime, mtime])`; `None` is `UTIME_OMIT`.
    fn utimens(
        &self,
        path: &[u8],
        atime: Option<SetTime>,
        mtime: Option<SetTime>,
        follow: bool,
    ) -> Result<()>;
    /// The entries of directory `path` without `.` and `..`, in listing order.
    fn read_dir(&self, path: &[u8]) -> Result<Vec<Entry>>;
    /// `statvfs(path)`.
    fn statfs(&self, path: &[u8]) -> Result<FsStat>;
    /// `access(path, mask)`.
    fn access(&self, path: &[u8], mask: AccessMask) -> Result<()>;
}

/// An open file of a [`Target`].
pub trait TargetFile: Send {
    /// `pread`.
    fn pread(&mut self, buf: &mut [u8], offset: u64) -> Result<usize>;
    /// `pwrite`.
    fn pwrite(&mut self, data: &[u8], offset: u64) -> Result<usize>;
    /// `write` on a descriptor opened with `O_APPEND`: lands at end of file.
    fn append(&mut self, data: &[u8]) -> Result<usize>;
    /// `ftruncate`.
    fn ftruncate(&mut self, length: u64) -> Result<()>;
    /// `fstat`.
    fn fstat(&mut self) -> Result<Attr>;
    /// `fsync`.
    fn fsync(&mut self) -> Result<()>;
    /// The entries of the open directory (`fdopendir` + `readdir`), without `.`/`..`.
    fn read_dir(&mut self) -> Result<Vec<Entry>>;
    /// `close`.
    fn close(self: Box<Self>) -> Result<()>;
}

/// What a scratch mount should be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScratchMount {
    /// Mount read-only.
    pub read_only: bool,
    /// Limit the file system to this many bytes (`ENOSPC` beyond).
    pub size_limit: Option<u64>,
}

/// Mounting fresh file systems inside a target, for the namespace cases.
pub trait MountControl: Send + Sync {
    /// Mounts a fresh, empty file system of the kind under test on directory `path`.
    ///
    /// Errors: `EOPNOTSUPP` when this target cannot honour `options` (the case is
    /// then skipped), or the mount's own errors.
    fn mount_scratch(&self, path: &[u8], options: ScratchMount) -> Result<()>;
    /// Unmounts what is mounted on `path`.
    fn unmount(&self, path: &[u8]) -> Result<()>;

    /// Makes the file system mounted on `path` (by [`MountControl::mount_scratch`])
    /// read-only from now on, keeping its contents, like `mount -o remount,ro`: every
    /// change under `path` then fails with `EROFS`. One [`MountControl::unmount`]
    /// of `path` still removes it all. The runner uses it to check the `readonly`
    /// cases on a writable target.
    ///
    /// Errors: `EOPNOTSUPP` (the default) when this target cannot (those cases are
    /// then skipped), or the remount's own errors.
    fn remount_read_only(&self, path: &[u8]) -> Result<()> {
        let _ = path;
        Err(vfs_core::Errno::EOPNOTSUPP.into())
    }
}
