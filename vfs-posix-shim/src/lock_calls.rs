//! Advisory locks as `fcntl` and `flock` offer them, over [`crate::locks`].

use crate::fd_table::Fd;
use crate::file_calls::Whence;
use crate::locks::{range_from_flock, LockKind, LockRange};
use crate::ofd::OpenFileDescription;
use crate::process::Process;
use std::sync::Arc;
use vfs_core::{Errno, Result};

/// The `l_type` of a record lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockType {
    /// A shared lock (`F_RDLCK`).
    Read,
    /// An exclusive lock (`F_WRLCK`).
    Write,
    /// No lock, or a request to unlock (`F_UNLCK`).
    Unlock,
}

/// A record lock as `struct flock` describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLock {
    /// Shared, exclusive or unlock.
    pub lock_type: LockType,
    /// What `start` counts from.
    pub whence: Whence,
    /// First byte, relative to `whence`.
    pub start: i64,
    /// Length; 0 is "to the end of the file, however far it grows", negative is the
    /// `-len` bytes before `start`.
    pub len: i64,
    /// With `getlk`: the owner of the conflicting lock.
    pub pid: u64,
}

/// The operation of `flock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlockOp {
    /// `LOCK_SH`.
    Shared,
    /// `LOCK_EX`.
    Exclusive,
    /// `LOCK_UN`.
    Unlock,
}

impl Process {
    /// The description and absolute range of a record-lock request, after the
    /// checks `fcntl` makes, in Linux's order: the range, then the access mode (the
    /// descriptor must be open for reading to take a read lock and for writing to
    /// take a write lock).
    async fn lock_request(
        &self,
        fd: Fd,
        lock: &RecordLock,
    ) -> Result<(Arc<OpenFileDescription>, LockRange)> {
        let ofd = self.description(fd)?;
        let base = match lock.whence {
            Whence::Set => 0,
            Whence::Current => ofd.position.lock().await.offset,
            Whence::End => ofd.handle.getattr().await?.size,
        };
        let base = i64::try_from(base).map_err(|_| Errno::EOVERFLOW)?;
        let start = base.checked_add(lock.start).ok_or(Errno::EOVERFLOW)?;
        let range = range_from_flock(start, lock.len)?;
        let status = ofd.status();
        match lock.lock_type {
            LockType::Read if !status.readable() => {
                return Err(Errno::EBADF.with("read lock on a descriptor not open for reading"))
            }
            LockType::Write if !status.writable() => {
                return Err(Errno::EBADF.with("write lock on a descriptor not open for writing"))
            }
            _ => {}
        }
        Ok((ofd, range))
    }

    /// `fcntl(F_GETLK)`: the first lock of another process that would block `lock`,
    /// or `lock` with type [`LockType::Unlock`] when none would.
    ///
    /// Errors: `EBADF`, `EINVAL` (an unlock request, or a range before offset 0),
    /// `EOVERFLOW`.
    pub async fn getlk(&self, fd: Fd, lock: RecordLock) -> Result<RecordLock> {
        let kind = match lock.lock_type {
            LockType::Read => LockKind::Read,
            LockType::Write => LockKind::Write,
            LockType::Unlock => return Err(Errno::EINVAL.with("F_GETLK with F_UNLCK")),
        };
        let ofd = self.description(fd)?;
        let (_, range) = self
            .lock_request(
                fd,
                &RecordLock {
                    lock_type: LockType::Unlock,
                    ..lock
                },
            )
            .await?;
        Ok(
            match self.vfs.locks.test_record(ofd.file, self.pid, kind, range) {
                None => RecordLock {
                    lock_type: LockType::Unlock,
                    ..lock
                },
                Some(conflict) => RecordLock {
                    lock_type: match conflict.kind {
                        LockKind::Read => LockType::Read,
                        LockKind::Write => LockType::Write,
                    },
                    whence: Whence::Set,
                    start: conflict.range.start as i64,
                    len: conflict
                        .range
                        .end
                        .map_or(0, |end| (end - conflict.range.start) as i64),
                    pid: conflict.owner,
                },
            },
        )
    }

    /// `fcntl(F_SETLK)` (`wait` false) or `F_SETLKW` (`wait` true): takes, changes
    /// or drops this process's record lock on a range. Waiting is cancelled by
    /// dropping the future.
    ///
    /// Errors: `EBADF` (bad descriptor, or its access mode does not allow the lock),
    /// `EINVAL`, `EOVERFLOW`, `EAGAIN` (held by another process, not waiting),
    /// `EDEADLK` (waiting would deadlock).
    pub async fn setlk(&self, fd: Fd, lock: RecordLock, wait: bool) -> Result<()> {
        let (ofd, range) = self.lock_request(fd, &lock).await?;
        let kind = match lock.lock_type {
            LockType::Read => Some(LockKind::Read),
            LockType::Write => Some(LockKind::Write),
            LockType::Unlock => None,
        };
        self.vfs
            .locks
            .set_record(ofd.file, self.pid, kind, range, wait)
            .await
    }

    /// `flock`: a whole-file lock owned by the open file description, so shared by
    /// its `dup`s and released when the last of them closes.
    ///
    /// Errors: `EBADF`, `EAGAIN` (`nonblocking` and held elsewhere).
    pub async fn flock(&self, fd: Fd, op: FlockOp, nonblocking: bool) -> Result<()> {
        let ofd = self.description(fd)?;
        let kind = match op {
            FlockOp::Shared => Some(LockKind::Read),
            FlockOp::Exclusive => Some(LockKind::Write),
            FlockOp::Unlock => None,
        };
        self.vfs
            .locks
            .flock(ofd.file, ofd.flock_owner(&self.vfs), kind, !nonblocking)
            .await
    }
}
