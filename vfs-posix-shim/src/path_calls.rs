//! Calls on paths: stat, mkdir, mknod, rename, link, chmod and friends.

use crate::process::Process;
use vfs_core::{AccessMask, Attr, Errno, FsStat, Result, SetAttr, SetTime};

impl Process {
    /// Attributes of `path`, following symlinks.
    ///
    /// Errors: those of [`vfs_core::Namespace::stat`].
    pub async fn stat(&self, path: impl AsRef<[u8]>) -> Result<Attr> {
        self.namespace().stat(&self.caller(), path).await
    }

    /// Attributes of `path`, not following a final symlink.
    ///
    /// Errors: those of [`vfs_core::Namespace::lstat`].
    pub async fn lstat(&self, path: impl AsRef<[u8]>) -> Result<Attr> {
        self.namespace().lstat(&self.caller(), path).await
    }

    /// [`Process::stat`] (`follow`) or [`Process::lstat`] when the walk takes no
    /// wait ([`vfs_core::Namespace::stat_now`]); `None`: call the `async` one.
    pub(crate) fn stat_now(&self, path: &[u8], follow: bool) -> Option<Result<Attr>> {
        self.namespace()
            .stat_now(&self.caller_borrowed(), path, follow)
    }

    /// Creates directory `path` with `mode` minus the umask.
    ///
    /// Errors: those of [`vfs_core::Namespace::mkdir`].
    pub async fn mkdir(&self, path: impl AsRef<[u8]>, mode: u32) -> Result<()> {
        let mode = mode & 0o1777 & !self.umask.load(std::sync::atomic::Ordering::Relaxed);
        self.namespace().mkdir(&self.caller(), path, mode).await
    }

    /// Creates `path` as `mknod(2)` does: a FIFO, socket, character or block device
    /// (numbered `rdev`, as `makedev` encodes it) or regular file, by the `S_IFMT`
    /// bits of `mode`, with its permission bits minus the umask.
    ///
    /// Errors: those of [`vfs_core::Namespace::mknod`].
    pub async fn mknod(&self, path: impl AsRef<[u8]>, mode: u32, rdev: u64) -> Result<()> {
        let mode = (mode & 0o170000) | self.masked(mode);
        self.namespace()
            .mknod(&self.caller(), path, mode, rdev)
            .await
    }

    /// Creates the FIFO `path` with `mode` minus the umask (`mkfifo(3)`: a
    /// `mknod` of type `S_IFIFO`).
    ///
    /// Errors: those of [`vfs_core::Namespace::mknod`].
    pub async fn mkfifo(&self, path: impl AsRef<[u8]>, mode: u32) -> Result<()> {
        self.mknod(path, 0o010000 | (mode & 0o7777), 0).await
    }

    /// Removes the empty directory `path`.
    ///
    /// Errors: those of [`vfs_core::Namespace::rmdir`].
    pub async fn rmdir(&self, path: impl AsRef<[u8]>) -> Result<()> {
        self.namespace().rmdir(&self.caller(), path).await
    }

    /// Removes the non-directory `path`.
    ///
    /// Errors: those of [`vfs_core::Namespace::unlink`].
    pub async fn unlink(&self, path: impl AsRef<[u8]>) -> Result<()> {
        self.namespace().unlink(&self.caller(), path).await
    }

    /// Renames `old` to `new`.
    ///
    /// Errors: those of [`vfs_core::Namespace::rename`].
    pub async fn rename(&self, old: impl AsRef<[u8]>, new: impl AsRef<[u8]>) -> Result<()> {
        self.namespace().rename(&self.caller(), old, new).await
    }

    /// Adds hard link `new` for `old`.
    ///
    /// Errors: those of [`vfs_core::Namespace::link`].
    pub async fn link(&self, old: impl AsRef<[u8]>, new: impl AsRef<[u8]>) -> Result<()> {
        self.namespace().link(&self.caller(), old, new).await
    }

    /// Creates symlink `path` pointing at `target`.
    ///
    /// Errors: those of [`vfs_core::Namespace::symlink`].
    pub async fn symlink(&self, target: impl AsRef<[u8]>, path: impl AsRef<[u8]>) -> Result<()> {
        self.namespace().symlink(&self.caller(), target, path).await
    }

    /// The target of symlink `path`.
    ///
    /// Errors: those of [`vfs_core::Namespace::readlink`].
    pub async fn readlink(&self, path: impl AsRef<[u8]>) -> Result<Vec<u8>> {
        self.namespace().readlink(&self.caller(), path).await
    }

    /// Sets the size of `path`.
    ///
    /// Errors: `EINVAL` (negative length), then those of
    /// [`vfs_core::Namespace::truncate`].
    pub async fn truncate(&self, path: impl AsRef<[u8]>, length: i64) -> Result<()> {
        let length = u64::try_from(length)
            .map_err(|_| Errno::EINVAL.with(format!("negative length {length}")))?;
        self.namespace()
            .truncate(&self.caller(), path, length)
            .await
    }

    /// Changes the mode of `path` (following symlinks).
    ///
    /// Errors: those of [`vfs_core::Namespace::setattr`].
    pub async fn chmod(&self, path: impl AsRef<[u8]>, mode: u32) -> Result<()> {
        let changes = SetAttr {
            mode: Some(mode & 0o7777),
            ..SetAttr::default()
        };
        self.setattr(path, &changes, true).await
    }

    /// Changes owner and/or group of `path`, following symlinks (`None` keeps one).
    ///
    /// Errors: those of [`vfs_core::Namespace::chown`].
    pub async fn chown(
        &self,
        path: impl AsRef<[u8]>,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<()> {
        self.namespace()
            .chown(&self.caller(), path, uid, gid, true)
            .await
            .map(drop)
    }

    /// Changes owner and/or group of `path` itself, not following a final symlink.
    ///
    /// Errors: those of [`vfs_core::Namespace::chown`].
    pub async fn lchown(
        &self,
        path: impl AsRef<[u8]>,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<()> {
        self.namespace()
            .chown(&self.caller(), path, uid, gid, false)
            .await
            .map(drop)
    }

    /// Sets access and modification times of `path` (`utimensat`); `None` leaves one
    /// (`UTIME_OMIT`); `follow` false acts on a final symlink itself.
    ///
    /// Errors: those of [`vfs_core::Namespace::setattr`].
    pub async fn utimens(
        &self,
        path: impl AsRef<[u8]>,
        atime: Option<SetTime>,
        mtime: Option<SetTime>,
        follow: bool,
    ) -> Result<()> {
        self.setattr(
            path,
            &SetAttr {
                atime,
                mtime,
                ..SetAttr::default()
            },
            follow,
        )
        .await
    }

    async fn setattr(&self, path: impl AsRef<[u8]>, changes: &SetAttr, follow: bool) -> Result<()> {
        self.namespace()
            .setattr(&self.caller(), path, changes, follow)
            .await
            .map(drop)
    }

    /// Checks access to `path` for the process's credentials (an empty mask:
    /// existence only).
    ///
    /// Errors: those of [`vfs_core::Namespace::access`].
    pub async fn access(&self, path: impl AsRef<[u8]>, mask: AccessMask) -> Result<()> {
        self.namespace().access(&self.caller(), path, mask).await
    }

    /// Space figures of the file system holding `path`.
    ///
    /// Errors: those of [`vfs_core::Namespace::statfs`].
    pub async fn statvfs(&self, path: impl AsRef<[u8]>) -> Result<FsStat> {
        self.namespace().statfs(&self.caller(), path).await
    }
}
