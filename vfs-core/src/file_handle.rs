//! An open file as the namespace hands it out.

use crate::attr::{Attr, FileType, SetAttr};
use crate::errno::{Errno, Error, Result};
use crate::flags::{Credentials, OpenFlags};
use crate::mount::Location;
use crate::namespace::truncate_checks;
use crate::open_file::OpenFile;
use crate::permission;
use crate::vnode::{attributes, DirEntry, DirPage};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// How many entries one backend `readdir` call is asked for when listing a whole
/// directory.
const READDIR_PAGE: usize = 512;

/// One open of a node: the node, where it was reached, the backend's per-open state
/// and the open flags. It has no file offset: frontends keep that (an fd table's open
/// file description wraps a `FileHandle`).
///
/// Holding a handle keeps its mount busy. Call [`FileHandle::close`] when done: it
/// flushes and releases the backend's state and reports their errors.
///
/// The handle acts with the credentials of whoever opened it (Linux's
/// `file->f_cred`): `fchmod`, `fchown`, `futimens` are judged by them, and a write
/// or truncation by a caller other than root drops the file's set-user-ID bit
/// (and set-group-ID as Linux's `file_remove_privs` does).
pub struct FileHandle {
    location: Location,
    /// The backend's per-open state; `None` for a directory. Not behind a lock:
    /// `closed` says whether it may still be used, and it goes with the handle,
    /// after every call that borrowed it has returned (as Linux's last `fput`
    /// comes after the calls that held the file).
    file: Option<Arc<dyn OpenFile>>,
    flags: OpenFlags,
    /// The node's type, fixed for its life, asked once rather than on every read.
    directory: bool,
    closed: AtomicBool,
    /// Who opened it.
    creds: Credentials,
    /// The file may have set-ID bits a write by `creds` must drop. Known from the
    /// mode seen at open (and after a `setattr` through this handle), so a write
    /// to an ordinary file costs no `getattr`, which on NFS would wait for the
    /// write-behind.
    set_id: AtomicBool,
    /// The file system's names counter ([`Filesystem::names_version`], which also
    /// counts mode changes) when `set_id` was last made sure of by a `getattr`:
    /// while it stands there, no other handle can have given the file set-ID
    /// bits. On a file system without the counter (NFS), a mode changed by
    /// another handle after this one's last look is not seen.
    ///
    /// [`Filesystem::names_version`]: crate::Filesystem::names_version
    mode_checked_at: AtomicU64,
}

impl FileHandle {
    /// A handle opened by `creds`; `mode` is the file's mode when the opener's
    /// writes may have to drop set-ID bits (`None`: they never do).
    pub(crate) fn new(
        location: Location,
        file: Option<Arc<dyn OpenFile>>,
        flags: OpenFlags,
        creds: Credentials,
        mode: Option<u32>,
    ) -> FileHandle {
        FileHandle {
            directory: location.vnode.file_type() == FileType::Directory,
            location,
            file,
            flags,
            closed: AtomicBool::new(false),
            creds,
            set_id: AtomicBool::new(mode.is_some_and(permission::has_set_id)),
            // Never a count yet: the first write looks at the mode.
            mode_checked_at: AtomicU64::new(u64::MAX),
        }
    }

    /// A handle for listing a directory, with no opener to act for.
    pub(crate) fn listing(location: Location) -> FileHandle {
        FileHandle::new(location, None, OpenFlags::RDONLY, Credentials::root(), None)
    }

    /// Drops the set-ID bits a write by the opener must drop (Linux's
    /// `file_remove_privs`), when the file may have them.
    async fn remove_privs(&self) -> Result<()> {
        let unseen = self.mode_changes_unseen();
        if self.set_id.load(Ordering::Acquire) || unseen.is_some() {
            permission::remove_privs(&self.location, &self.creds).await?;
            self.set_id.store(false, Ordering::Release);
            if let Some(count) = unseen {
                self.mode_checked_at.store(count, Ordering::Release);
            }
        }
        Ok(())
    }

    /// The file system's names counter, read before a look at the mode, when it
    /// moved since this handle's last look and the opener's writes drop set-ID
    /// bits: another handle may have given them. `None` otherwise, or when the
    /// file system keeps no counter.
    fn mode_changes_unseen(&self) -> Option<u64> {
        if !permission::write_drops_set_id(&self.location, &self.creds) {
            return None;
        }
        let count = self.location.mount.names_version()?.current();
        (count != self.mode_checked_at.load(Ordering::Acquire)).then_some(count)
    }

    /// The flags the file was opened with.
    pub fn flags(&self) -> OpenFlags {
        self.flags
    }

    /// The node and its mount.
    pub fn location(&self) -> &Location {
        &self.location
    }

    #[inline]
    fn live(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        Ok(())
    }

    /// Fails unless `len` bytes at `offset` may be read, checked in Linux's order:
    /// access mode, then the range (`rw_verify_area`), then the type (`->read`).
    #[inline]
    fn check_readable(&self, offset: u64, len: usize) -> Result<()> {
        self.live()?;
        if !self.flags.readable() {
            return Err(not_readable());
        }
        check_range(offset, len)?;
        if self.is_directory() {
            return Err(Errno::EISDIR.with("read of a directory"));
        }
        Ok(())
    }

    fn writable_file(&self) -> Result<&Arc<dyn OpenFile>> {
        if !self.flags.writable() || self.is_directory() {
            return Err(Errno::EBADF.with("not open for writing"));
        }
        self.open_file()
    }

    fn is_directory(&self) -> bool {
        self.directory
    }

    /// The backend's open file; `EBADF` once closed.
    fn open_file(&self) -> Result<&Arc<dyn OpenFile>> {
        self.live()?;
        self.file.as_ref().ok_or_else(closed)
    }

    /// Reads at `offset` (`pread`): the backend's [`OpenFile::read_at_now`] when it
    /// answers, else its [`OpenFile::read_at`].
    ///
    /// Errors: `EBADF` (not open for reading), `EISDIR` (a directory), `EINVAL` (the
    /// range would end past `i64::MAX`), the backend's.
    pub async fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if let Some(done) = self.read_at_now(offset, buf) {
            return done;
        }
        let file = self.open_file()?;
        file.read_at(offset, buf).await
    }

    /// [`FileHandle::read_at`] when it can finish without waiting: `None` when the
    /// backend would have to wait (then call `read_at`), else its result, the
    /// handle's own checks included. Lets a blocking frontend read an in-memory
    /// file with no executor and no future.
    ///
    /// Errors: as [`FileHandle::read_at`].
    #[inline]
    pub fn read_at_now(&self, offset: u64, buf: &mut [u8]) -> Option<Result<usize>> {
        if let Err(e) = self.check_readable(offset, buf.len()) {
            return Some(Err(e));
        }
        match &self.file {
            Some(file) => file.read_at_now(offset, buf),
            None => Some(Err(closed())),
        }
    }

    /// Writes at `offset` (`pwrite`), ignoring `APPEND`. A caller other than root
    /// drops the file's set-user-ID bit first (and set-group-ID when group execute
    /// is set or it is not in the file's group), as Linux does.
    ///
    /// Errors: `EBADF` (not open for writing), `EINVAL` (the write would end past
    /// `i64::MAX`), the backend's.
    pub async fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize> {
        let file = self.writable_file()?;
        check_range(offset, data.len())?;
        self.remove_privs().await?;
        file.write_at(offset, data).await
    }

    /// Appends at the end of the file; returns the offset written at and the byte
    /// count. Atomic when the backend declares `atomic_append`; otherwise it reads
    /// the size and writes there, so appends racing from other handles may overlap.
    /// Set-ID bits go as for [`FileHandle::write_at`].
    ///
    /// Errors: as [`FileHandle::write_at`].
    pub async fn append(&self, data: &[u8]) -> Result<(u64, usize)> {
        let file = self.writable_file()?;
        if self.location.mount.capabilities().atomic_append {
            self.remove_privs().await?;
            return file.append(data).await;
        }
        let offset = attributes(&*self.location.vnode).await?.size;
        let written = self.write_at(offset, data).await?;
        Ok((offset, written))
    }

    /// Sets the file's size (`ftruncate`), after pushing this handle's buffered
    /// writes so they cannot land past the new end. No permission is asked (the
    /// handle is open for writing); set-ID bits go as for a write.
    ///
    /// Errors: `EINVAL` (not open for writing, or not a regular file), `EROFS`,
    /// `EFBIG`, the backend's.
    pub async fn truncate(&self, length: u64) -> Result<()> {
        if !self.flags.writable() || self.is_directory() {
            return Err(Errno::EINVAL.with("ftruncate of a file not open for writing"));
        }
        let file = self.open_file()?;
        truncate_checks(&self.location, length)?;
        file.flush().await?;
        let change = permission::truncation(&self.location, &self.creds, length, false).await?;
        self.location.vnode.setattr(&change).await?;
        if change.mode.is_some() {
            self.set_id.store(false, Ordering::Release);
        }
        Ok(())
    }

    /// Attributes (`fstat`).
    ///
    /// Errors: the backend's.
    pub async fn getattr(&self) -> Result<Attr> {
        self.live()?;
        attributes(&*self.location.vnode).await
    }

    /// [`FileHandle::getattr`] when the backend answers at once
    /// ([`crate::Vnode::getattr_now`]); `None`: call `getattr`.
    pub fn getattr_now(&self) -> Option<Result<Attr>> {
        if let Err(e) = self.live() {
            return Some(Err(e));
        }
        self.location.vnode.getattr_now()
    }

    /// Changes attributes (`fchmod`, `fchown`, `futimens`) with the opener's
    /// credentials, judged as [`Namespace::setattr`](crate::Namespace::setattr)
    /// judges them; a size goes through [`FileHandle::truncate`] first.
    ///
    /// Errors, in Linux's order: as `truncate` for a size; `EROFS`; `EACCES` (both
    /// times now, by a caller neither owner nor allowed to write); `EPERM` (a new
    /// owner by anyone but root, a group the owner is not in, a mode or explicit
    /// times by anyone but the owner or root); the backend's.
    pub async fn setattr(&self, changes: &SetAttr) -> Result<Attr> {
        self.change(changes, permission::is_chown(changes)).await
    }

    /// Changes the owner and/or group (`fchown`); `None` keeps one. As
    /// [`Namespace::chown`](crate::Namespace::chown) judges it: the set-ID bits
    /// of a non-directory go even when neither id is given.
    ///
    /// Errors: as [`FileHandle::setattr`].
    pub async fn chown(&self, uid: Option<u32>, gid: Option<u32>) -> Result<Attr> {
        let changes = SetAttr {
            uid,
            gid,
            ..SetAttr::default()
        };
        self.change(&changes, true).await
    }

    /// [`FileHandle::setattr`], for a `chown` call when `chown`.
    async fn change(&self, changes: &SetAttr, chown: bool) -> Result<Attr> {
        let rest = SetAttr {
            size: None,
            ..changes.clone()
        };
        if let Some(length) = changes.size {
            self.truncate(length).await?;
            if rest.is_empty() {
                return self.getattr().await;
            }
        }
        self.location.mount.check_writable()?;
        let effective =
            permission::prepare_setattr_at(&self.location, &self.creds, &rest, chown).await?;
        let attr = self.location.vnode.setattr(&effective).await?;
        if effective.mode.is_some() && permission::write_drops_set_id(&self.location, &self.creds) {
            self.set_id
                .store(permission::has_set_id(attr.mode), Ordering::Release);
        }
        Ok(attr)
    }

    /// Makes the file durable (`fsync`, or `fdatasync` with `data_only`).
    ///
    /// Errors: the backend's.
    pub async fn fsync(&self, data_only: bool) -> Result<()> {
        self.live()?;
        if self.is_directory() {
            return self.location.vnode.fsync().await;
        }
        self.open_file()?.fsync(data_only).await
    }

    /// One page of this directory's listing from `cookie` (0 for the start).
    ///
    /// Errors: `ENOTDIR`, the backend's.
    pub async fn readdir(&self, cookie: u64, max_entries: usize) -> Result<DirPage> {
        self.live()?;
        if !self.directory {
            return Err(Errno::ENOTDIR.into());
        }
        self.location
            .vnode
            .readdir(cookie, max_entries.max(1))
            .await
    }

    /// The whole listing of this directory.
    ///
    /// Errors: as [`FileHandle::readdir`].
    pub async fn read_dir_all(&self) -> Result<Vec<DirEntry>> {
        let mut entries = Vec::new();
        let mut cookie = 0;
        loop {
            let page = self.readdir(cookie, READDIR_PAGE).await?;
            if let Some(last) = page.entries.last() {
                cookie = last.cookie;
            }
            let stalled = page.entries.is_empty();
            entries.extend(page.entries);
            if page.eof || stalled {
                return Ok(entries);
            }
        }
    }

    /// Closes: flushes buffered writes, then releases the backend's per-open state.
    /// The first error is returned; release happens regardless.
    ///
    /// Every later call on the handle, a second `close` included, fails with `EBADF`.
    /// The backend's open-file object and the node stay referenced until the
    /// handle is dropped.
    ///
    /// Errors: the backend's `flush` and `release` errors; `EBADF` when closed already.
    pub async fn close(&self) -> Result<()> {
        if let Some(closed_at_once) = self.close_now() {
            return closed_at_once;
        }
        if self.closed.swap(true, Ordering::AcqRel) {
            return Err(closed());
        }
        let Some(file) = &self.file else {
            return Ok(());
        };
        let flushed = file.flush().await;
        let released = file.release().await;
        flushed.and(released)
    }

    /// [`FileHandle::close`] when the backend's file has nothing to flush or
    /// release ([`OpenFile::needs_close`] is false, or there is none: a
    /// directory); `None`: call `close`.
    ///
    /// Errors: `EBADF` when closed already.
    pub fn close_now(&self) -> Option<Result<()>> {
        if self.file.as_ref().is_some_and(|file| file.needs_close()) {
            return None;
        }
        if self.closed.swap(true, Ordering::AcqRel) {
            return Some(Err(closed()));
        }
        Some(Ok(()))
    }
}

/// The error of any call on a closed handle.
#[cold]
fn closed() -> Error {
    Errno::EBADF.with("file handle already closed")
}

/// What Linux's `rw_verify_area` checks before any `pread`/`pwrite`: the range
/// must end within `off_t`, else `EINVAL` (not `EFBIG`, which is a file system's own
/// size limit).
#[inline]
fn check_range(offset: u64, len: usize) -> Result<()> {
    if offset
        .checked_add(len as u64)
        .is_none_or(|end| end > i64::MAX as u64)
    {
        return Err(past_off_t(offset, len));
    }
    Ok(())
}

/// `EINVAL` for a range ending past `off_t` (out of line: the inlined checks
/// stay small).
#[cold]
fn past_off_t(offset: u64, len: usize) -> Error {
    Errno::EINVAL.with(format!(
        "{len} bytes at offset {offset} end past the largest off_t"
    ))
}

/// `EBADF` for a read of a handle not open for reading.
#[cold]
fn not_readable() -> Error {
    Errno::EBADF.with("not open for reading")
}

impl std::fmt::Debug for FileHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileHandle")
            .field("location", &self.location)
            .field("flags", &self.flags)
            .finish()
    }
}
