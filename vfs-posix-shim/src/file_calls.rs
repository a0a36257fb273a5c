//! Calls on descriptors: open, close, read, write, seek, dup and friends.

use crate::fd_table::{Fd, FdEntry};
use crate::ofd::OpenFileDescription;
use crate::process::Process;
use std::io::{IoSlice, IoSliceMut};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use vfs_core::{
    Attr, Errno, Error, FileHandle, FileType, FsStat, OpenFlags, Result, SetAttr, SetTime,
};

/// Most buffers one `readv`/`writev` takes (Linux's `IOV_MAX`).
pub const IOV_MAX: usize = 1024;

/// Where `lseek` counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whence {
    /// From the start (`SEEK_SET`).
    Set,
    /// From the current offset (`SEEK_CUR`).
    Current,
    /// From the end of the file (`SEEK_END`).
    End,
}

/// The status flags `fcntl(F_SETFL)` may change; the others are fixed at open.
const CHANGEABLE_STATUS: OpenFlags = OpenFlags::APPEND
    .union(OpenFlags::NONBLOCK)
    .union(OpenFlags::NOATIME);

/// The open flags that act only while opening, which Linux drops from the
/// description's flags (`F_GETFL` never shows them).
const OPEN_TIME_ONLY: OpenFlags = OpenFlags::CREATE
    .union(OpenFlags::EXCLUSIVE)
    .union(OpenFlags::TRUNCATE)
    .union(OpenFlags::CLOEXEC);

/// A file offset given as `off_t`: negative is `EINVAL`.
#[inline]
fn offset_of(offset: i64) -> Result<u64> {
    u64::try_from(offset).map_err(|_| negative_offset(offset))
}

/// `EINVAL` for a negative offset (out of line: `offset_of` is inlined).
#[cold]
fn negative_offset(offset: i64) -> Error {
    Errno::EINVAL.with(format!("negative offset {offset}"))
}

/// Closes a description [`Process::install`] found no descriptor for, and
/// returns why.
pub(crate) async fn discard((error, ofd): (Error, Arc<OpenFileDescription>)) -> Error {
    let _ = ofd.handle.close().await;
    error
}

impl Process {
    /// The open file description behind `fd`. Errors: `EBADF`.
    #[inline]
    pub(crate) fn description(&self, fd: Fd) -> Result<Arc<OpenFileDescription>> {
        Ok(self.fds.lock().get(fd)?.ofd.clone())
    }

    /// Calls `use_it` with the description of `fd` and returns what it returns,
    /// for the synchronous calls. The process's sole thread borrows the
    /// description from the table, which it needs no lock for; another thread
    /// takes a reference, so a long `use_it` holds no lock. `use_it` must not use
    /// the table. Errors: `EBADF`.
    #[inline]
    fn with_description<R>(
        &self,
        fd: Fd,
        use_it: impl FnOnce(&OpenFileDescription) -> R,
    ) -> Result<R> {
        let table = self.fds.lock();
        if table.is_alone() {
            return table.get(fd).map(|entry| use_it(&entry.ofd));
        }
        let ofd = table.get(fd)?.ofd.clone();
        drop(table);
        Ok(use_it(&ofd))
    }

    /// Opens `path` and returns the lowest free descriptor. `mode` (minus the umask)
    /// is the mode of a created file.
    ///
    /// Errors: `EMFILE` (descriptor table full, checked first as Linux does), then
    /// those of [`vfs_core::Namespace::open`].
    pub async fn open(&self, path: impl AsRef<[u8]>, flags: OpenFlags, mode: u32) -> Result<Fd> {
        self.check_room()?;
        let handle = self
            .namespace()
            .open(&self.caller(), path.as_ref(), flags, self.masked(mode))
            .await?;
        match self.install(handle, flags.contains(OpenFlags::CLOEXEC)) {
            Ok(fd) => Ok(fd),
            Err(refused) => Err(discard(refused).await),
        }
    }

    /// The handle [`Process::open`] would install, when opening takes no wait
    /// ([`vfs_core::Namespace::open_now`]); `None`: call `open`.
    ///
    /// The table is looked at only when opening fails: a full table then makes it
    /// `EMFILE`, the error `open` checks first, and a handle opened meanwhile
    /// meets `EMFILE` when `install` finds no room, so the caller sees Linux's
    /// errno without an extra pass over the table on every open.
    pub(crate) fn open_now(&self, path: &[u8], flags: OpenFlags) -> Option<Result<FileHandle>> {
        let opened = self
            .namespace()
            .open_now(&self.caller_borrowed(), path, flags)?;
        Some(opened.map_err(|e| self.check_room().err().unwrap_or(e)))
    }

    /// Fails with `EMFILE` when no descriptor is free, which `open` checks first as
    /// Linux does.
    fn check_room(&self) -> Result<()> {
        if self.fds.lock().has_room() {
            Ok(())
        } else {
            Err(Errno::EMFILE.with("descriptor table full"))
        }
    }

    /// Gives `handle` the lowest free descriptor. When none is free, hands back
    /// the error with the description, for [`discard`].
    pub(crate) fn install(
        &self,
        handle: FileHandle,
        close_on_exec: bool,
    ) -> Result<Fd, (Error, Arc<OpenFileDescription>)> {
        let ofd = Arc::new(OpenFileDescription::new(handle));
        self.fds
            .lock()
            .insert(FdEntry { ofd, close_on_exec }, 0)
            .map_err(|(e, refused)| (e, refused.ofd))
    }

    /// Closes `fd`. Drops this process's record locks on the file (POSIX: any close
    /// does); the last descriptor of a description also drops its `flock` lock and
    /// flushes and releases the file, whose errors are returned.
    ///
    /// Errors: `EBADF`, the backend's flush/release errors (the descriptor is closed
    /// regardless).
    pub async fn close(&self, fd: Fd) -> Result<()> {
        let entry = self.fds.lock().remove(fd)?;
        self.release(entry.ofd).await
    }

    /// [`Process::close`] up to the backend's close, which the caller makes when
    /// this returns the description whose last descriptor went.
    pub(crate) fn close_descriptor(&self, fd: Fd) -> Result<Option<Arc<OpenFileDescription>>> {
        let entry = self.fds.lock().remove(fd)?;
        Ok(self.drop_descriptor(entry.ofd))
    }

    /// What closing one descriptor of `ofd` does.
    pub(crate) async fn release(&self, ofd: Arc<OpenFileDescription>) -> Result<()> {
        match self.drop_descriptor(ofd) {
            Some(last) => last.handle.close().await,
            None => Ok(()),
        }
    }

    /// Closing one descriptor of `ofd` short of the backend's close: drops this
    /// process's record locks on the file, and with the last descriptor the
    /// description's `flock` lock; returns the description when it was the last.
    fn drop_descriptor(&self, ofd: Arc<OpenFileDescription>) -> Option<Arc<OpenFileDescription>> {
        self.vfs.locks.release_records(ofd.file, self.pid);
        if ofd.fd_refs.fetch_sub(1, Ordering::AcqRel) != 1 {
            return None;
        }
        if let Some(owner) = ofd.flock_owner_if_any() {
            self.vfs.locks.release_flock(ofd.file, owner);
        }
        Some(ofd)
    }

    /// Reads at the file offset and advances it.
    ///
    /// Errors: `EBADF` (bad descriptor, or not open for reading), `EISDIR`, the
    /// backend's.
    pub async fn read(&self, fd: Fd, buf: &mut [u8]) -> Result<usize> {
        let ofd = self.description(fd)?;
        let mut position = ofd.position.lock().await;
        let n = ofd.handle.read_at(position.offset, buf).await?;
        position.offset += n as u64;
        Ok(n)
    }

    /// [`Process::read`] when it can finish without waiting (the backend answers
    /// [`vfs_core::OpenFile::read_at_now`] and no other read holds the offset);
    /// `None`: call `read`.
    pub(crate) fn read_now(&self, fd: Fd, buf: &mut [u8]) -> Option<Result<usize>> {
        let read = self.with_description(fd, |ofd| {
            let mut position = ofd.position.try_lock()?;
            let done = ofd.handle.read_at_now(position.offset, buf)?;
            if let Ok(n) = done {
                position.offset += n as u64;
            }
            Some(done)
        });
        read.unwrap_or_else(|e| Some(Err(e)))
    }

    /// Writes at the file offset (at the end for `O_APPEND`, atomically) and advances
    /// it; with `O_SYNC`/`O_DSYNC` the data is durable on return.
    ///
    /// Errors: `EBADF` (bad descriptor, or not open for writing), `EINVAL`/`EFBIG`
    /// (past the largest offset), `ENOSPC`, the backend's.
    pub async fn write(&self, fd: Fd, data: &[u8]) -> Result<usize> {
        let ofd = self.description(fd)?;
        let status = ofd.status();
        let mut position = ofd.position.lock().await;
        let written = if status.contains(OpenFlags::APPEND) {
            let (at, n) = ofd.handle.append(data).await?;
            position.offset = at + n as u64;
            n
        } else {
            let n = ofd.handle.write_at(position.offset, data).await?;
            position.offset += n as u64;
            n
        };
        drop(position);
        Self::sync_if_asked(&ofd, status).await?;
        Ok(written)
    }

    async fn sync_if_asked(ofd: &OpenFileDescription, status: OpenFlags) -> Result<()> {
        if status.contains(OpenFlags::SYNC) {
            ofd.handle.fsync(false).await
        } else if status.contains(OpenFlags::DSYNC) {
            ofd.handle.fsync(true).await
        } else {
            Ok(())
        }
    }

    /// Reads at `offset` without moving the file offset.
    ///
    /// Errors: `EBADF`, `EISDIR`, `EINVAL` (negative offset), the backend's.
    pub async fn pread(&self, fd: Fd, buf: &mut [u8], offset: i64) -> Result<usize> {
        let offset = offset_of(offset)?;
        let ofd = self.description(fd)?;
        ofd.handle.read_at(offset, buf).await
    }

    /// [`Process::pread`] when the backend answers without waiting
    /// ([`vfs_core::OpenFile::read_at_now`]); `None`: call `pread`.
    ///
    /// The whole path down to the backend's copy is inlined with its errors out
    /// of line: random small reads from memory overlap one copy's cache misses
    /// with the next call only while the instructions between two copies fit the
    /// CPU's reorder window, so each instruction here costs more than its own
    /// cycle (500 -> 290 instructions took a random 4 KiB read from 340 to 300 ns).
    #[inline]
    pub(crate) fn pread_now(&self, fd: Fd, buf: &mut [u8], offset: i64) -> Option<Result<usize>> {
        let read = offset_of(offset).and_then(|offset| {
            self.with_description(fd, |ofd| ofd.handle.read_at_now(offset, buf))
        });
        read.unwrap_or_else(|e| Some(Err(e)))
    }

    /// Writes at `offset` without moving the file offset. As on Linux, a descriptor
    /// open with `O_APPEND` appends regardless of `offset`.
    ///
    /// Errors: `EBADF`, `EINVAL` (negative offset, or past the largest offset), the
    /// backend's.
    pub async fn pwrite(&self, fd: Fd, data: &[u8], offset: i64) -> Result<usize> {
        let offset = offset_of(offset)?;
        let ofd = self.description(fd)?;
        let status = ofd.status();
        let written = if status.contains(OpenFlags::APPEND) {
            ofd.handle.append(data).await?.1
        } else {
            ofd.handle.write_at(offset, data).await?
        };
        Self::sync_if_asked(&ofd, status).await?;
        Ok(written)
    }

    /// Fails with `EBADF` unless `fd` is open with `access`: what Linux's
    /// `readv`/`writev` check before looking at the buffers.
    fn check_access(&self, fd: Fd, access: OpenFlags) -> Result<()> {
        if self.description(fd)?.status().contains(access) {
            Ok(())
        } else {
            Err(Errno::EBADF.with(format!("descriptor {fd} lacks the access mode")))
        }
    }

    /// Reads into several buffers in order, as one read.
    ///
    /// Errors: as [`Process::read`]; `EINVAL` (more than [`IOV_MAX`] buffers, checked
    /// after the descriptor and its access mode, as Linux does).
    pub async fn readv(&self, fd: Fd, bufs: &mut [IoSliceMut<'_>]) -> Result<usize> {
        self.check_access(fd, OpenFlags::READ)?;
        let total = iov_total(bufs.len(), bufs.iter().map(|b| b.len()))?;
        let mut gathered = vec![0u8; total];
        let n = self.read(fd, &mut gathered).await?;
        let mut rest = &gathered[..n];
        for buf in bufs.iter_mut() {
            let take = rest.len().min(buf.len());
            buf[..take].copy_from_slice(&rest[..take]);
            rest = &rest[take..];
        }
        Ok(n)
    }

    /// Writes several buffers in order, as one write (so an `O_APPEND` writev lands
    /// in one piece).
    ///
    /// Errors: as [`Process::write`]; `EINVAL` (more than [`IOV_MAX`] buffers, checked
    /// after the descriptor and its access mode, as Linux does).
    pub async fn writev(&self, fd: Fd, bufs: &[IoSlice<'_>]) -> Result<usize> {
        self.check_access(fd, OpenFlags::WRITE)?;
        iov_total(bufs.len(), bufs.iter().map(|b| b.len()))?;
        let joined: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
        self.write(fd, &joined).await
    }

    /// Moves the file offset; returns the new one. On a directory only a rewind to 0
    /// (or asking the current offset) is possible.
    ///
    /// Errors: `EBADF`, `EINVAL` (a negative result, or past the largest offset;
    /// also when the sum overflows, which Linux computes wrapping to a negative
    /// offset), `EOVERFLOW` (a file size past `off_t`).
    pub async fn lseek(&self, fd: Fd, offset: i64, whence: Whence) -> Result<u64> {
        let ofd = self.description(fd)?;
        let mut position = ofd.position.lock().await;
        let base = match whence {
            Whence::Set => 0,
            Whence::Current => position.offset,
            Whence::End => ofd.handle.getattr().await?.size,
        };
        let base = i64::try_from(base).map_err(|_| Errno::EOVERFLOW)?;
        let target = base
            .checked_add(offset)
            .ok_or_else(|| Errno::EINVAL.with(format!("{base} + {offset} overflows off_t")))?;
        let target = u64::try_from(target)
            .map_err(|_| Errno::EINVAL.with(format!("seek to negative offset {target}")))?;
        if ofd.file_type() == FileType::Directory && target != position.offset {
            if target != 0 {
                return Err(Errno::EINVAL.with("a directory can only be rewound"));
            }
            position.dir = Default::default();
        }
        position.offset = target;
        Ok(target)
    }

    /// Sets the file's size through `fd`.
    ///
    /// Errors: `EBADF`, `EINVAL` (negative length, not open for writing, not a
    /// regular file), `EROFS`, `EFBIG`, the backend's.
    pub async fn ftruncate(&self, fd: Fd, length: i64) -> Result<()> {
        let length = u64::try_from(length)
            .map_err(|_| Errno::EINVAL.with(format!("negative length {length}")))?;
        self.description(fd)?.handle.truncate(length).await
    }

    /// Attributes of the open file.
    ///
    /// Errors: `EBADF`, the backend's.
    pub async fn fstat(&self, fd: Fd) -> Result<Attr> {
        self.description(fd)?.handle.getattr().await
    }

    /// [`Process::fstat`] when the backend answers at once; `None`: call `fstat`.
    pub(crate) fn fstat_now(&self, fd: Fd) -> Option<Result<Attr>> {
        self.with_description(fd, |ofd| ofd.handle.getattr_now())
            .unwrap_or_else(|e| Some(Err(e)))
    }

    /// Space figures of the file system holding the open file.
    ///
    /// Errors: `EBADF`, the backend's.
    pub async fn fstatvfs(&self, fd: Fd) -> Result<FsStat> {
        let ofd = self.description(fd)?;
        ofd.handle.location().mount().filesystem().statfs().await
    }

    /// Makes the file durable.
    ///
    /// Errors: `EBADF`, the backend's.
    pub async fn fsync(&self, fd: Fd) -> Result<()> {
        self.description(fd)?.handle.fsync(false).await
    }

    /// Makes the file's data durable.
    ///
    /// Errors: `EBADF`, the backend's.
    pub async fn fdatasync(&self, fd: Fd) -> Result<()> {
        self.description(fd)?.handle.fsync(true).await
    }

    /// Changes the mode of the open file.
    ///
    /// Errors: `EBADF`, `EROFS`, the backend's.
    pub async fn fchmod(&self, fd: Fd, mode: u32) -> Result<()> {
        let changes = SetAttr {
            mode: Some(mode & 0o7777),
            ..SetAttr::default()
        };
        self.description(fd)?
            .handle
            .setattr(&changes)
            .await
            .map(drop)
    }

    /// Changes the owner and/or group of the open file (`None` keeps it).
    ///
    /// Errors: `EBADF`, `EROFS`, the backend's.
    pub async fn fchown(&self, fd: Fd, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
        self.description(fd)?.handle.chown(uid, gid).await.map(drop)
    }

    /// Sets the open file's access and modification times (`None` leaves one).
    ///
    /// Errors: `EBADF`, `EROFS`, the backend's.
    pub async fn futimens(
        &self,
        fd: Fd,
        atime: Option<SetTime>,
        mtime: Option<SetTime>,
    ) -> Result<()> {
        let changes = SetAttr {
            atime,
            mtime,
            ..SetAttr::default()
        };
        self.description(fd)?
            .handle
            .setattr(&changes)
            .await
            .map(drop)
    }

    /// A new descriptor (the lowest free) for the same open file description.
    ///
    /// Errors: `EBADF`, `EMFILE`.
    pub fn dup(&self, fd: Fd) -> Result<Fd> {
        self.dup_from(fd, 0, false)
    }

    /// `fcntl(F_DUPFD)` / `F_DUPFD_CLOEXEC`: like `dup`, at the lowest free number
    /// at or above `min`.
    ///
    /// Errors: `EBADF`, `EINVAL` (`min` negative or past the limit), `EMFILE`.
    pub fn dup_from(&self, fd: Fd, min: Fd, close_on_exec: bool) -> Result<Fd> {
        let mut fds = self.fds.lock();
        let ofd = fds.get(fd)?.ofd.clone();
        let min = usize::try_from(min).map_err(|_| Errno::EINVAL.with("negative descriptor"))?;
        ofd.fd_refs.fetch_add(1, Ordering::AcqRel);
        match fds.insert(FdEntry { ofd, close_on_exec }, min) {
            Ok(new) => Ok(new),
            Err((e, refused)) => {
                refused.ofd.fd_refs.fetch_sub(1, Ordering::AcqRel);
                Err(e)
            }
        }
    }

    /// Makes `new` refer to `old`'s open file description, closing what `new` was
    /// first (its close errors are ignored, as POSIX says). `dup2(fd, fd)` returns
    /// `fd` if it is open.
    ///
    /// Errors: `EBADF` (`old` not open, or `new` out of range).
    pub async fn dup2(&self, old: Fd, new: Fd) -> Result<Fd> {
        let replaced = {
            let mut fds = self.fds.lock();
            let ofd = fds.get(old)?.ofd.clone();
            if old == new {
                return Ok(new);
            }
            ofd.fd_refs.fetch_add(1, Ordering::AcqRel);
            match fds.replace(
                new,
                FdEntry {
                    ofd: ofd.clone(),
                    close_on_exec: false,
                },
            ) {
                Ok(replaced) => replaced,
                Err(e) => {
                    ofd.fd_refs.fetch_sub(1, Ordering::AcqRel);
                    return Err(e);
                }
            }
        };
        if let Some(entry) = replaced {
            let _ = self.release(entry.ofd).await;
        }
        Ok(new)
    }

    /// `fcntl(F_GETFD)`: true when close-on-exec is set.
    ///
    /// Errors: `EBADF`.
    pub fn close_on_exec(&self, fd: Fd) -> Result<bool> {
        Ok(self.fds.lock().get(fd)?.close_on_exec)
    }

    /// `fcntl(F_SETFD)`.
    ///
    /// Errors: `EBADF`.
    pub fn set_close_on_exec(&self, fd: Fd, close_on_exec: bool) -> Result<()> {
        self.fds.lock().get_mut(fd)?.close_on_exec = close_on_exec;
        Ok(())
    }

    /// `fcntl(F_GETFL)`: access mode and status flags.
    ///
    /// Errors: `EBADF`.
    pub fn status_flags(&self, fd: Fd) -> Result<OpenFlags> {
        Ok(self.description(fd)?.status() - OPEN_TIME_ONLY)
    }

    /// `fcntl(F_SETFL)`: changes `O_APPEND`, `O_NONBLOCK` and `O_NOATIME`; other
    /// bits of `flags` are ignored, as on Linux.
    ///
    /// Errors: `EBADF`.
    pub fn set_status_flags(&self, fd: Fd, flags: OpenFlags) -> Result<()> {
        let ofd = self.description(fd)?;
        let mut status = ofd.status.lock();
        *status = (*status - CHANGEABLE_STATUS) | (flags & CHANGEABLE_STATUS);
        Ok(())
    }
}

fn iov_total(count: usize, lengths: impl Iterator<Item = usize>) -> Result<usize> {
    if count > IOV_MAX {
        return Err(Errno::EINVAL.with(format!("{count} buffers (max {IOV_MAX})")));
    }
    let mut total = 0usize;
    for len in lengths {
        total = total
            .checked_add(len)
            .filter(|&t| t <= isize::MAX as usize)
            .ok_or_else(|| Errno::EINVAL.with("buffers longer than ssize_t"))?;
    }
    Ok(total)
}
