//! The calls both sides implement: POSIX at the descriptor level, in C's shape
//! (Linux `O_*`/`F_*` values, `-1` meaning "no change" where C has it) with Rust
//! types, and the errno instead of `-1` on failure.

use std::io::{IoSlice, IoSliceMut};

/// A call's outcome: its value, or the errno (Linux numbering).
pub type SysResult<T> = Result<T, i32>;

/// A `struct timespec`; as input to `utimensat` its `nsec` may be `UTIME_NOW` or
/// `UTIME_OMIT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time {
    pub sec: i64,
    pub nsec: i64,
}

/// The fields of `struct stat` the cases look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// `st_mode`: type bits and permission bits.
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub size: i64,
    pub atime: Time,
    pub mtime: Time,
}

/// The fields of `struct statvfs` the cases look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FsStats {
    pub block_size: u64,
    pub blocks: u64,
    pub blocks_free: u64,
    pub blocks_available: u64,
    pub name_max: u64,
}

/// One `struct dirent`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: Vec<u8>,
    /// `DT_*`.
    pub d_type: u8,
}

/// A `struct flock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flock {
    /// `F_RDLCK`, `F_WRLCK` or `F_UNLCK`.
    pub l_type: i16,
    /// `SEEK_SET`, `SEEK_CUR` or `SEEK_END`.
    pub whence: i16,
    pub start: i64,
    pub len: i64,
    pub pid: i64,
}

/// POSIX as one process sees it: the kernel's, or a shim process's.
///
/// Directory streams are named by their descriptor (`dirfd`), so both sides can
/// show them in a trace alike.
pub trait Posix {
    /// What `F_GETLK` reports as this process's own pid.
    fn pid(&self) -> i64;
    fn umask(&self, mask: u32) -> u32;
    /// Sets the most descriptors the process may hold (`RLIMIT_NOFILE`'s soft
    /// limit): descriptors from 0 to `limit - 1`.
    fn set_fd_limit(&self, limit: u64);
    fn open(&self, path: &[u8], flags: i32, mode: u32) -> SysResult<i32>;
    fn close(&self, fd: i32) -> SysResult<()>;
    fn read(&self, fd: i32, buf: &mut [u8]) -> SysResult<usize>;
    fn write(&self, fd: i32, data: &[u8]) -> SysResult<usize>;
    fn pread(&self, fd: i32, buf: &mut [u8], offset: i64) -> SysResult<usize>;
    fn pwrite(&self, fd: i32, data: &[u8], offset: i64) -> SysResult<usize>;
    fn readv(&self, fd: i32, bufs: &mut [IoSliceMut<'_>]) -> SysResult<usize>;
    fn writev(&self, fd: i32, bufs: &[IoSlice<'_>]) -> SysResult<usize>;
    fn lseek(&self, fd: i32, offset: i64, whence: i32) -> SysResult<i64>;
    fn truncate(&self, path: &[u8], length: i64) -> SysResult<()>;
    fn ftruncate(&self, fd: i32, length: i64) -> SysResult<()>;
    fn stat(&self, path: &[u8]) -> SysResult<Stat>;
    fn lstat(&self, path: &[u8]) -> SysResult<Stat>;
    fn fstat(&self, fd: i32) -> SysResult<Stat>;
    fn mkdir(&self, path: &[u8], mode: u32) -> SysResult<()>;
    fn rmdir(&self, path: &[u8]) -> SysResult<()>;
    fn unlink(&self, path: &[u8]) -> SysResult<()>;
    fn rename(&self, old: &[u8], new: &[u8]) -> SysResult<()>;
    fn link(&self, old: &[u8], new: &[u8]) -> SysResult<()>;
    fn symlink(&self, target: &[u8], path: &[u8]) -> SysResult<()>;
    fn readlink(&self, path: &[u8]) -> SysResult<Vec<u8>>;
    /// `opendir`, returning the stream's descriptor.
    fn opendir(&self, path: &[u8]) -> SysResult<i32>;
    /// `readdir`: `None` at the end.
    fn readdir(&self, dir: i32) -> SysResult<Option<DirEntry>>;
    fn rewinddir(&self, dir: i32) -> SysResult<()>;
    fn closedir(&self, dir: i32) -> SysResult<()>;
    fn chdir(&self, path: &[u8]) -> SysResult<()>;
    fn fchdir(&self, fd: i32) -> SysResult<()>;
    fn getcwd(&self) -> SysResult<Vec<u8>>;
    fn dup(&self, fd: i32) -> SysResult<i32>;
    fn dup2(&self, old: i32, new: i32) -> SysResult<i32>;
    fn fsync(&self, fd: i32) -> SysResult<()>;
    fn fdatasync(&self, fd: i32) -> SysResult<()>;
    fn chmod(&self, path: &[u8], mode: u32) -> SysResult<()>;
    fn fchmod(&self, fd: i32, mode: u32) -> SysResult<()>;
    /// `chown`; `u32::MAX` (C's `-1`) leaves an id unchanged.
    fn chown(&self, path: &[u8], uid: u32, gid: u32) -> SysResult<()>;
    /// `fchown`; `u32::MAX` (C's `-1`) leaves an id unchanged.
    fn fchown(&self, fd: i32, uid: u32, gid: u32) -> SysResult<()>;
    /// `utimensat(AT_FDCWD, ...)`: `None` is a null `times` (both now).
    fn utimensat(&self, path: &[u8], times: Option<[Time; 2]>, flags: i32) -> SysResult<()>;
    fn access(&self, path: &[u8], mode: i32) -> SysResult<()>;
    fn statvfs(&self, path: &[u8]) -> SysResult<FsStats>;
    fn fstatvfs(&self, fd: i32) -> SysResult<FsStats>;
    fn fcntl_getfl(&self, fd: i32) -> SysResult<i32>;
    fn fcntl_setfl(&self, fd: i32, flags: i32) -> SysResult<()>;
    fn fcntl_getfd(&self, fd: i32) -> SysResult<i32>;
    fn fcntl_setfd(&self, fd: i32, flags: i32) -> SysResult<()>;
    /// `F_DUPFD`, or `F_DUPFD_CLOEXEC` when `close_on_exec`.
    fn fcntl_dupfd(&self, fd: i32, min: i32, close_on_exec: bool) -> SysResult<i32>;
    fn fcntl_getlk(&self, fd: i32, lock: Flock) -> SysResult<Flock>;
    /// `F_SETLK`, or `F_SETLKW` when `wait`.
    fn fcntl_setlk(&self, fd: i32, lock: Flock, wait: bool) -> SysResult<()>;
    fn flock(&self, fd: i32, operation: i32) -> SysResult<()>;
}
