//! The shim side: the same calls on a fresh [`Process`] over `ram://`, with C's
//! arguments decoded as a C ABI must (Linux `O_*` values, `-1` ids, `UTIME_*`).
//!
//! Where the kernel rejects an undecodable argument before or after looking at the
//! descriptor, the decoding here does the same, so the errno matches.

use crate::api::{DirEntry, Flock, FsStats, Posix, Stat, SysResult, Time};
use std::io::{IoSlice, IoSliceMut};
use std::sync::Arc;
use vfs_core::{AccessMask, Attr, Credentials, FileType, FsStat, OpenFlags, SetTime, Timespec};
use vfs_posix_shim::{FlockOp, LockType, Process, RecordLock, Vfs, Whence};

/// Where each case's shim process works, like the kernel side's temporary directory.
pub const SCRATCH: &[u8] = b"/scratch";

/// The mode of the scratch directory on both sides.
pub const SCRATCH_MODE: u32 = 0o700;

/// `O_*` bits and the flags they stand for, besides the access mode and `O_SYNC`
/// (which contains `O_DSYNC`'s bit, so it is matched whole).
const OPEN_FLAG_BITS: [(i32, OpenFlags); 9] = [
    (libc::O_CREAT, OpenFlags::CREATE),
    (libc::O_EXCL, OpenFlags::EXCLUSIVE),
    (libc::O_TRUNC, OpenFlags::TRUNCATE),
    (libc::O_APPEND, OpenFlags::APPEND),
    (libc::O_DIRECTORY, OpenFlags::DIRECTORY),
    (libc::O_NOFOLLOW, OpenFlags::NOFOLLOW),
    (libc::O_CLOEXEC, OpenFlags::CLOEXEC),
    (libc::O_NONBLOCK, OpenFlags::NONBLOCK),
    (libc::O_NOATIME, OpenFlags::NOATIME),
];

fn open_flags(flags: i32) -> OpenFlags {
    let mut out = match flags & libc::O_ACCMODE {
        libc::O_RDONLY => OpenFlags::RDONLY,
        libc::O_WRONLY => OpenFlags::WRONLY,
        libc::O_RDWR => OpenFlags::RDWR,
        // Linux's access mode 3 opens for neither reading nor writing.
        _ => OpenFlags::empty(),
    };
    for (bit, flag) in OPEN_FLAG_BITS {
        if flags & bit != 0 {
            out |= flag;
        }
    }
    if flags & libc::O_SYNC == libc::O_SYNC {
        out |= OpenFlags::SYNC;
    } else if flags & libc::O_DSYNC != 0 {
        out |= OpenFlags::DSYNC;
    }
    out
}

fn linux_flags(flags: OpenFlags) -> i32 {
    let mut out = match (flags.readable(), flags.writable()) {
        (true, true) => libc::O_RDWR,
        (false, true) => libc::O_WRONLY,
        (true, false) => libc::O_RDONLY,
        (false, false) => libc::O_ACCMODE,
    };
    for (bit, flag) in OPEN_FLAG_BITS {
        if flags.contains(flag) {
            out |= bit;
        }
    }
    if flags.contains(OpenFlags::SYNC) {
        out |= libc::O_SYNC;
    }
    if flags.contains(OpenFlags::DSYNC) {
        out |= libc::O_DSYNC;
    }
    out
}

fn whence(whence: i32) -> SysResult<Whence> {
    match whence {
        libc::SEEK_SET => Ok(Whence::Set),
        libc::SEEK_CUR => Ok(Whence::Current),
        libc::SEEK_END => Ok(Whence::End),
        _ => Err(libc::EINVAL),
    }
}

fn lock_type(l_type: i16) -> SysResult<LockType> {
    match i32::from(l_type) {
        libc::F_RDLCK => Ok(LockType::Read),
        libc::F_WRLCK => Ok(LockType::Write),
        libc::F_UNLCK => Ok(LockType::Unlock),
        _ => Err(libc::EINVAL),
    }
}

fn record_lock(lock: &Flock) -> SysResult<RecordLock> {
    Ok(RecordLock {
        lock_type: lock_type(lock.l_type)?,
        whence: whence(i32::from(lock.whence))?,
        start: lock.start,
        len: lock.len,
        pid: 0,
    })
}

fn flock_of(lock: &RecordLock, pid: i64) -> Flock {
    let l_type = match lock.lock_type {
        LockType::Read => libc::F_RDLCK,
        LockType::Write => libc::F_WRLCK,
        LockType::Unlock => libc::F_UNLCK,
    };
    let whence = match lock.whence {
        Whence::Set => libc::SEEK_SET,
        Whence::Current => libc::SEEK_CUR,
        Whence::End => libc::SEEK_END,
    };
    Flock {
        l_type: l_type as i16,
        whence: whence as i16,
        start: lock.start,
        len: lock.len,
        pid,
    }
}

fn time(t: Timespec) -> Time {
    Time {
        sec: t.sec,
        nsec: i64::from(t.nsec),
    }
}

fn stat_of(attr: Attr) -> Stat {
    Stat {
        mode: attr.st_mode(),
        nlink: attr.nlink,
        uid: attr.uid,
        gid: attr.gid,
        size: attr.size as i64,
        atime: time(attr.atime),
        mtime: time(attr.mtime),
    }
}

fn fs_stats_of(stat: FsStat) -> FsStats {
    FsStats {
        block_size: u64::from(stat.block_size),
        blocks: stat.blocks,
        blocks_free: stat.blocks_free,
        blocks_available: stat.blocks_available,
        name_max: u64::from(stat.name_max),
    }
}

fn d_type(file_type: FileType) -> u8 {
    match file_type {
        FileType::Regular => libc::DT_REG,
        FileType::Directory => libc::DT_DIR,
        FileType::Symlink => libc::DT_LNK,
        FileType::Fifo => libc::DT_FIFO,
        FileType::Socket => libc::DT_SOCK,
        FileType::CharDevice => libc::DT_CHR,
        FileType::BlockDevice => libc::DT_BLK,
    }
}

/// C's `-1` id: leave it unchanged.
fn id(value: u32) -> Option<u32> {
    (value != u32::MAX).then_some(value)
}

/// One `utimensat` time: `UTIME_OMIT` is `None`.
fn set_time(t: Time) -> SysResult<Option<SetTime>> {
    match t.nsec {
        libc::UTIME_OMIT => Ok(None),
        libc::UTIME_NOW => Ok(Some(SetTime::Now)),
        0..=999_999_999 => Ok(Some(SetTime::At(Timespec::new(t.sec, t.nsec as u32)))),
        _ => Err(libc::EINVAL),
    }
}

fn errno<T>(result: vfs_core::Result<T>) -> SysResult<T> {
    result.map_err(|e| e.errno().raw())
}

/// A shim process in a world of its own.
pub struct Shim {
    process: Process,
}

impl Shim {
    /// A process of a fresh `ram://` world, with `creds` and at most `fd_limit`
    /// descriptors, working in [`SCRATCH`] (owned by `creds`, like the kernel
    /// side's fresh temporary directory).
    pub fn new(creds: Credentials, fd_limit: usize) -> Shim {
        let vfs: Arc<Vfs> = Vfs::from_url("ram://").expect("ram:// mounts");
        let setup = vfs.process();
        let setup = setup.blocking();
        setup.mkdir(SCRATCH, SCRATCH_MODE).expect("mkdir scratch");
        setup
            .chown(SCRATCH, Some(creds.uid), Some(creds.gid))
            .expect("chown scratch");
        let process = vfs.process();
        process.set_credentials(creds);
        process.set_fd_limit(fd_limit);
        process.blocking().chdir(SCRATCH).expect("chdir scratch");
        Shim { process }
    }

    /// Fails with `EBADF` unless `fd` is open: what the kernel checks before
    /// decoding the other arguments of `lseek` and `fcntl`.
    fn open_fd(&self, fd: i32) -> SysResult<()> {
        errno(self.process.status_flags(fd)).map(drop)
    }
}

impl Posix for Shim {
    fn pid(&self) -> i64 {
        self.process.pid() as i64
    }

    fn umask(&self, mask: u32) -> u32 {
        self.process.umask(mask)
    }

    fn set_fd_limit(&self, limit: u64) {
        self.process.set_fd_limit(limit as usize);
    }

    fn open(&self, path: &[u8], flags: i32, mode: u32) -> SysResult<i32> {
        errno(self.process.blocking().open(path, open_flags(flags), mode))
    }

    fn close(&self, fd: i32) -> SysResult<()> {
        errno(self.process.blocking().close(fd))
    }

    fn read(&self, fd: i32, buf: &mut [u8]) -> SysResult<usize> {
        errno(self.process.blocking().read(fd, buf))
    }

    fn write(&self, fd: i32, data: &[u8]) -> SysResult<usize> {
        errno(self.process.blocking().write(fd, data))
    }

    fn pread(&self, fd: i32, buf: &mut [u8], offset: i64) -> SysResult<usize> {
        errno(self.process.blocking().pread(fd, buf, offset))
    }

    fn pwrite(&self, fd: i32, data: &[u8], offset: i64) -> SysResult<usize> {
        errno(self.process.blocking().pwrite(fd, data, offset))
    }

    fn readv(&self, fd: i32, bufs: &mut [IoSliceMut<'_>]) -> SysResult<usize> {
        errno(self.process.blocking().readv(fd, bufs))
    }

    fn writev(&self, fd: i32, bufs: &[IoSlice<'_>]) -> SysResult<usize> {
        errno(self.process.blocking().writev(fd, bufs))
    }

    fn lseek(&self, fd: i32, offset: i64, whence_value: i32) -> SysResult<i64> {
        self.open_fd(fd)?;
        let whence = whence(whence_value)?;
        errno(self.process.blocking().lseek(fd, offset, whence)).map(|at| at as i64)
    }

    fn truncate(&self, path: &[u8], length: i64) -> SysResult<()> {
        errno(self.process.blocking().truncate(path, length))
    }

    fn ftruncate(&self, fd: i32, length: i64) -> SysResult<()> {
        errno(self.process.blocking().ftruncate(fd, length))
    }

    fn stat(&self, path: &[u8]) -> SysResult<Stat> {
        errno(self.process.blocking().stat(path)).map(stat_of)
    }

    fn lstat(&self, path: &[u8]) -> SysResult<Stat> {
        errno(self.process.blocking().lstat(path)).map(stat_of)
    }

    fn fstat(&self, fd: i32) -> SysResult<Stat> {
        errno(self.process.blocking().fstat(fd)).map(stat_of)
    }

    fn mkdir(&self, path: &[u8], mode: u32) -> SysResult<()> {
        errno(self.process.blocking().mkdir(path, mode))
    }

    fn rmdir(&self, path: &[u8]) -> SysResult<()> {
        errno(self.process.blocking().rmdir(path))
    }

    fn unlink(&self, path: &[u8]) -> SysResult<()> {
        errno(self.process.blocking().unlink(path))
    }

    fn rename(&self, old: &[u8], new: &[u8]) -> SysResult<()> {
        errno(self.process.blocking().rename(old, new))
    }

    fn link(&self, old: &[u8], new: &[u8]) -> SysResult<()> {
        errno(self.process.blocking().link(old, new))
    }

    fn symlink(&self, target: &[u8], path: &[u8]) -> SysResult<()> {
        errno(self.process.blocking().symlink(target, path))
    }

    fn readlink(&self, path: &[u8]) -> SysResult<Vec<u8>> {
        errno(self.process.blocking().readlink(path))
    }

    fn opendir(&self, path: &[u8]) -> SysResult<i32> {
        errno(self.process.blocking().opendir(path))
    }

    fn readdir(&self, dir: i32) -> SysResult<Option<DirEntry>> {
        let entry = errno(self.process.blocking().readdir(dir))?;
        Ok(entry.map(|entry| DirEntry {
            name: entry.name,
            d_type: d_type(entry.file_type),
        }))
    }

    fn rewinddir(&self, dir: i32) -> SysResult<()> {
        errno(self.process.blocking().rewinddir(dir))
    }

    fn closedir(&self, dir: i32) -> SysResult<()> {
        errno(self.process.blocking().closedir(dir))
    }

    fn chdir(&self, path: &[u8]) -> SysResult<()> {
        errno(self.process.blocking().chdir(path))
    }

    fn fchdir(&self, fd: i32) -> SysResult<()> {
        errno(self.process.blocking().fchdir(fd))
    }

    fn getcwd(&self) -> SysResult<Vec<u8>> {
        errno(self.process.blocking().getcwd())
    }

    fn dup(&self, fd: i32) -> SysResult<i32> {
        errno(self.process.dup(fd))
    }

    fn dup2(&self, old: i32, new: i32) -> SysResult<i32> {
        errno(self.process.blocking().dup2(old, new))
    }

    fn fsync(&self, fd: i32) -> SysResult<()> {
        errno(self.process.blocking().fsync(fd))
    }

    fn fdatasync(&self, fd: i32) -> SysResult<()> {
        errno(self.process.blocking().fdatasync(fd))
    }

    fn chmod(&self, path: &[u8], mode: u32) -> SysResult<()> {
        errno(self.process.blocking().chmod(path, mode))
    }

    fn fchmod(&self, fd: i32, mode: u32) -> SysResult<()> {
        errno(self.process.blocking().fchmod(fd, mode))
    }

    fn chown(&self, path: &[u8], uid: u32, gid: u32) -> SysResult<()> {
        errno(self.process.blocking().chown(path, id(uid), id(gid)))
    }

    fn fchown(&self, fd: i32, uid: u32, gid: u32) -> SysResult<()> {
        errno(self.process.blocking().fchown(fd, id(uid), id(gid)))
    }

    fn utimensat(&self, path: &[u8], times: Option<[Time; 2]>, flags: i32) -> SysResult<()> {
        let (atime, mtime) = match times {
            None => (Some(SetTime::Now), Some(SetTime::Now)),
            Some([atime, mtime]) => (set_time(atime)?, set_time(mtime)?),
        };
        if flags & !libc::AT_SYMLINK_NOFOLLOW != 0 {
            return Err(libc::EINVAL);
        }
        // Linux returns before looking at the path when both times are omitted.
        if times.is_some() && atime.is_none() && mtime.is_none() {
            return Ok(());
        }
        let follow = flags & libc::AT_SYMLINK_NOFOLLOW == 0;
        errno(self.process.blocking().utimens(path, atime, mtime, follow))
    }

    fn access(&self, path: &[u8], mode: i32) -> SysResult<()> {
        let mask = u32::try_from(mode)
            .ok()
            .and_then(AccessMask::from_bits)
            .ok_or(libc::EINVAL)?;
        errno(self.process.blocking().access(path, mask))
    }

    fn statvfs(&self, path: &[u8]) -> SysResult<FsStats> {
        errno(self.process.blocking().statvfs(path)).map(fs_stats_of)
    }

    fn fstatvfs(&self, fd: i32) -> SysResult<FsStats> {
        errno(self.process.blocking().fstatvfs(fd)).map(fs_stats_of)
    }

    fn fcntl_getfl(&self, fd: i32) -> SysResult<i32> {
        errno(self.process.status_flags(fd)).map(linux_flags)
    }

    fn fcntl_setfl(&self, fd: i32, flags: i32) -> SysResult<()> {
        errno(self.process.set_status_flags(fd, open_flags(flags)))
    }

    fn fcntl_getfd(&self, fd: i32) -> SysResult<i32> {
        errno(self.process.close_on_exec(fd)).map(|set| if set { libc::FD_CLOEXEC } else { 0 })
    }

    fn fcntl_setfd(&self, fd: i32, flags: i32) -> SysResult<()> {
        errno(
            self.process
                .set_close_on_exec(fd, flags & libc::FD_CLOEXEC != 0),
        )
    }

    fn fcntl_dupfd(&self, fd: i32, min: i32, close_on_exec: bool) -> SysResult<i32> {
        errno(self.process.dup_from(fd, min, close_on_exec))
    }

    fn fcntl_getlk(&self, fd: i32, lock: Flock) -> SysResult<Flock> {
        self.open_fd(fd)?;
        let request = record_lock(&lock)?;
        let found = errno(self.process.blocking().getlk(fd, request))?;
        // Linux changes only `l_type` when nothing conflicts.
        Ok(match found.lock_type {
            LockType::Unlock => Flock {
                l_type: libc::F_UNLCK as i16,
                ..lock
            },
            _ => flock_of(&found, found.pid as i64),
        })
    }

    fn fcntl_setlk(&self, fd: i32, lock: Flock, wait: bool) -> SysResult<()> {
        self.open_fd(fd)?;
        let request = record_lock(&lock)?;
        errno(self.process.blocking().setlk(fd, request, wait))
    }

    fn flock(&self, fd: i32, operation: i32) -> SysResult<()> {
        let op = match operation & !libc::LOCK_NB {
            libc::LOCK_SH => FlockOp::Shared,
            libc::LOCK_EX => FlockOp::Exclusive,
            libc::LOCK_UN => FlockOp::Unlock,
            _ => return Err(libc::EINVAL),
        };
        errno(
            self.process
                .blocking()
                .flock(fd, op, operation & libc::LOCK_NB != 0),
        )
    }
}
