//! The oracle: the calls made on the running kernel through `libc`.

use crate::api::{DirEntry, Flock, FsStats, Posix, Stat, SysResult, Time};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::io::{IoSlice, IoSliceMut};

/// Linux's `O_LARGEFILE` as the kernel stores it: set on every open of a 64-bit
/// process and reported by `F_GETFL`, though glibc's `O_LARGEFILE` is 0 there. The
/// shim has no such flag, so it is not part of what is compared.
const KERNEL_O_LARGEFILE: i32 = 0o100000;

/// The kernel, as this test process sees it. Not `Sync`: the cases run on one
/// thread because the working directory and umask are process-wide.
#[derive(Default)]
pub struct Kernel {
    /// The `DIR` streams `opendir` made, by descriptor.
    streams: RefCell<HashMap<i32, *mut libc::DIR>>,
}

impl Drop for Kernel {
    fn drop(&mut self) {
        for (_, dir) in self.streams.take() {
            // SAFETY: every stored stream came from `opendir` and is closed once.
            unsafe { libc::closedir(dir) };
        }
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// A C return value: negative is failure with `errno`.
fn check<T: Copy + Default + PartialOrd>(ret: T) -> SysResult<T> {
    if ret < T::default() {
        Err(errno())
    } else {
        Ok(ret)
    }
}

fn unit(ret: libc::c_int) -> SysResult<()> {
    check(ret).map(drop)
}

fn size(ret: isize) -> SysResult<usize> {
    check(ret).map(|n| n as usize)
}

/// A path as C wants it. The cases never put a NUL in a path.
fn c_path(path: &[u8]) -> CString {
    CString::new(path).expect("case paths have no NUL byte")
}

// `st_nlink` and friends differ in width between architectures.
#[allow(clippy::unnecessary_cast)]
fn stat_of(st: &libc::stat) -> Stat {
    Stat {
        mode: st.st_mode,
        nlink: st.st_nlink as u64,
        uid: st.st_uid,
        gid: st.st_gid,
        size: st.st_size,
        atime: Time {
            sec: st.st_atime,
            nsec: st.st_atime_nsec,
        },
        mtime: Time {
            sec: st.st_mtime,
            nsec: st.st_mtime_nsec,
        },
    }
}

#[allow(clippy::unnecessary_cast)]
fn fs_stats_of(st: &libc::statvfs) -> FsStats {
    FsStats {
        block_size: st.f_bsize as u64,
        blocks: st.f_blocks as u64,
        blocks_free: st.f_bfree as u64,
        blocks_available: st.f_bavail as u64,
        name_max: st.f_namemax as u64,
    }
}

fn stat_with(fill: impl FnOnce(*mut libc::stat) -> libc::c_int) -> SysResult<Stat> {
    // SAFETY: `stat` is plain data; `fill` writes it completely or fails.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    unit(fill(&mut st))?;
    Ok(stat_of(&st))
}

fn statvfs_with(fill: impl FnOnce(*mut libc::statvfs) -> libc::c_int) -> SysResult<FsStats> {
    // SAFETY: `statvfs` is plain data; `fill` writes it completely or fails.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    unit(fill(&mut st))?;
    Ok(fs_stats_of(&st))
}

fn c_flock(lock: &Flock) -> libc::flock {
    // SAFETY: `flock` is plain data; the fields that matter are set below.
    let mut c: libc::flock = unsafe { std::mem::zeroed() };
    c.l_type = lock.l_type;
    c.l_whence = lock.whence;
    c.l_start = lock.start;
    c.l_len = lock.len;
    c.l_pid = lock.pid as libc::pid_t;
    c
}

/// The soft `RLIMIT_NOFILE`.
pub fn fd_limit() -> u64 {
    // SAFETY: `getrlimit` fills the plain-data struct.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        unit(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit)).expect("getrlimit");
        limit.rlim_cur
    }
}

/// Sets the soft `RLIMIT_NOFILE`, keeping the hard one.
pub fn set_fd_limit(soft: u64) {
    // SAFETY: `getrlimit`/`setrlimit` read and write a plain-data struct.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        unit(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit)).expect("getrlimit");
        limit.rlim_cur = soft;
        unit(libc::setrlimit(libc::RLIMIT_NOFILE, &limit)).expect("setrlimit");
    }
}

impl Kernel {
    fn stream(&self, dir: i32) -> SysResult<*mut libc::DIR> {
        self.streams.borrow().get(&dir).copied().ok_or(libc::EBADF)
    }
}

// SAFETY (for every `unsafe` block below): each call gets valid C strings that
// outlive it, buffers with their true lengths, and out-structs of the right type;
// `IoSlice`/`IoSliceMut` are ABI-compatible with `struct iovec` on Unix.
impl Posix for Kernel {
    fn pid(&self) -> i64 {
        i64::from(std::process::id())
    }

    fn umask(&self, mask: u32) -> u32 {
        unsafe { libc::umask(mask) }
    }

    fn set_fd_limit(&self, limit: u64) {
        set_fd_limit(limit);
    }

    fn open(&self, path: &[u8], flags: i32, mode: u32) -> SysResult<i32> {
        check(unsafe { libc::open(c_path(path).as_ptr(), flags, mode) })
    }

    fn close(&self, fd: i32) -> SysResult<()> {
        unit(unsafe { libc::close(fd) })
    }

    fn read(&self, fd: i32, buf: &mut [u8]) -> SysResult<usize> {
        size(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })
    }

    fn write(&self, fd: i32, data: &[u8]) -> SysResult<usize> {
        size(unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) })
    }

    fn pread(&self, fd: i32, buf: &mut [u8], offset: i64) -> SysResult<usize> {
        size(unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), offset) })
    }

    fn pwrite(&self, fd: i32, data: &[u8], offset: i64) -> SysResult<usize> {
        size(unsafe { libc::pwrite(fd, data.as_ptr().cast(), data.len(), offset) })
    }

    fn readv(&self, fd: i32, bufs: &mut [IoSliceMut<'_>]) -> SysResult<usize> {
        size(unsafe { libc::readv(fd, bufs.as_ptr().cast(), bufs.len() as libc::c_int) })
    }

    fn writev(&self, fd: i32, bufs: &[IoSlice<'_>]) -> SysResult<usize> {
        size(unsafe { libc::writev(fd, bufs.as_ptr().cast(), bufs.len() as libc::c_int) })
    }

    fn lseek(&self, fd: i32, offset: i64, whence: i32) -> SysResult<i64> {
        check(unsafe { libc::lseek(fd, offset, whence) })
    }

    fn truncate(&self, path: &[u8], length: i64) -> SysResult<()> {
        unit(unsafe { libc::truncate(c_path(path).as_ptr(), length) })
    }

    fn ftruncate(&self, fd: i32, length: i64) -> SysResult<()> {
        unit(unsafe { libc::ftruncate(fd, length) })
    }

    fn stat(&self, path: &[u8]) -> SysResult<Stat> {
        let path = c_path(path);
        stat_with(|st| unsafe { libc::stat(path.as_ptr(), st) })
    }

    fn lstat(&self, path: &[u8]) -> SysResult<Stat> {
        let path = c_path(path);
        stat_with(|st| unsafe { libc::lstat(path.as_ptr(), st) })
    }

    fn fstat(&self, fd: i32) -> SysResult<Stat> {
        stat_with(|st| unsafe { libc::fstat(fd, st) })
    }

    fn mkdir(&self, path: &[u8], mode: u32) -> SysResult<()> {
        unit(unsafe { libc::mkdir(c_path(path).as_ptr(), mode) })
    }

    fn rmdir(&self, path: &[u8]) -> SysResult<()> {
        unit(unsafe { libc::rmdir(c_path(path).as_ptr()) })
    }

    fn unlink(&self, path: &[u8]) -> SysResult<()> {
        unit(unsafe { libc::unlink(c_path(path).as_ptr()) })
    }

    fn rename(&self, old: &[u8], new: &[u8]) -> SysResult<()> {
        unit(unsafe { libc::rename(c_path(old).as_ptr(), c_path(new).as_ptr()) })
    }

    fn link(&self, old: &[u8], new: &[u8]) -> SysResult<()> {
        unit(unsafe { libc::link(c_path(old).as_ptr(), c_path(new).as_ptr()) })
    }

    fn symlink(&self, target: &[u8], path: &[u8]) -> SysResult<()> {
        unit(unsafe { libc::symlink(c_path(target).as_ptr(), c_path(path).as_ptr()) })
    }

    fn readlink(&self, path: &[u8]) -> SysResult<Vec<u8>> {
        let mut buf = vec![0u8; libc::PATH_MAX as usize];
        let n = size(unsafe {
            libc::readlink(c_path(path).as_ptr(), buf.as_mut_ptr().cast(), buf.len())
        })?;
        buf.truncate(n);
        Ok(buf)
    }

    fn opendir(&self, path: &[u8]) -> SysResult<i32> {
        let dir = unsafe { libc::opendir(c_path(path).as_ptr()) };
        if dir.is_null() {
            return Err(errno());
        }
        let fd = unsafe { libc::dirfd(dir) };
        self.streams.borrow_mut().insert(fd, dir);
        Ok(fd)
    }

    fn readdir(&self, dir: i32) -> SysResult<Option<DirEntry>> {
        let dir = self.stream(dir)?;
        unsafe {
            *libc::__errno_location() = 0;
            let entry = libc::readdir64(dir);
            if entry.is_null() {
                return match errno() {
                    0 => Ok(None),
                    e => Err(e),
                };
            }
            Ok(Some(DirEntry {
                name: CStr::from_ptr((*entry).d_name.as_ptr()).to_bytes().to_vec(),
                d_type: (*entry).d_type,
            }))
        }
    }

    fn rewinddir(&self, dir: i32) -> SysResult<()> {
        let dir = self.stream(dir)?;
        unsafe { libc::rewinddir(dir) };
        Ok(())
    }

    fn closedir(&self, dir: i32) -> SysResult<()> {
        let stream = self.stream(dir)?;
        self.streams.borrow_mut().remove(&dir);
        unit(unsafe { libc::closedir(stream) })
    }

    fn chdir(&self, path: &[u8]) -> SysResult<()> {
        unit(unsafe { libc::chdir(c_path(path).as_ptr()) })
    }

    fn fchdir(&self, fd: i32) -> SysResult<()> {
        unit(unsafe { libc::fchdir(fd) })
    }

    fn getcwd(&self) -> SysResult<Vec<u8>> {
        let mut buf = vec![0u8; libc::PATH_MAX as usize];
        let ret = unsafe { libc::getcwd(buf.as_mut_ptr().cast(), buf.len()) };
        if ret.is_null() {
            return Err(errno());
        }
        let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        buf.truncate(len);
        Ok(buf)
    }

    fn dup(&self, fd: i32) -> SysResult<i32> {
        check(unsafe { libc::dup(fd) })
    }

    fn dup2(&self, old: i32, new: i32) -> SysResult<i32> {
        check(unsafe { libc::dup2(old, new) })
    }

    fn fsync(&self, fd: i32) -> SysResult<()> {
        unit(unsafe { libc::fsync(fd) })
    }

    fn fdatasync(&self, fd: i32) -> SysResult<()> {
        unit(unsafe { libc::fdatasync(fd) })
    }

    fn chmod(&self, path: &[u8], mode: u32) -> SysResult<()> {
        unit(unsafe { libc::chmod(c_path(path).as_ptr(), mode) })
    }

    fn fchmod(&self, fd: i32, mode: u32) -> SysResult<()> {
        unit(unsafe { libc::fchmod(fd, mode) })
    }

    fn chown(&self, path: &[u8], uid: u32, gid: u32) -> SysResult<()> {
        unit(unsafe { libc::chown(c_path(path).as_ptr(), uid, gid) })
    }

    fn fchown(&self, fd: i32, uid: u32, gid: u32) -> SysResult<()> {
        unit(unsafe { libc::fchown(fd, uid, gid) })
    }

    fn utimensat(&self, path: &[u8], times: Option<[Time; 2]>, flags: i32) -> SysResult<()> {
        let times = times.map(|pair| {
            pair.map(|t| libc::timespec {
                tv_sec: t.sec,
                tv_nsec: t.nsec,
            })
        });
        let times_ptr = times
            .as_ref()
            .map_or(std::ptr::null(), |pair| pair.as_ptr());
        unit(unsafe { libc::utimensat(libc::AT_FDCWD, c_path(path).as_ptr(), times_ptr, flags) })
    }

    fn access(&self, path: &[u8], mode: i32) -> SysResult<()> {
        unit(unsafe { libc::access(c_path(path).as_ptr(), mode) })
    }

    fn statvfs(&self, path: &[u8]) -> SysResult<FsStats> {
        let path = c_path(path);
        statvfs_with(|st| unsafe { libc::statvfs(path.as_ptr(), st) })
    }

    fn fstatvfs(&self, fd: i32) -> SysResult<FsStats> {
        statvfs_with(|st| unsafe { libc::fstatvfs(fd, st) })
    }

    fn fcntl_getfl(&self, fd: i32) -> SysResult<i32> {
        check(unsafe { libc::fcntl(fd, libc::F_GETFL) }).map(|flags| flags & !KERNEL_O_LARGEFILE)
    }

    fn fcntl_setfl(&self, fd: i32, flags: i32) -> SysResult<()> {
        unit(unsafe { libc::fcntl(fd, libc::F_SETFL, flags) })
    }

    fn fcntl_getfd(&self, fd: i32) -> SysResult<i32> {
        check(unsafe { libc::fcntl(fd, libc::F_GETFD) })
    }

    fn fcntl_setfd(&self, fd: i32, flags: i32) -> SysResult<()> {
        unit(unsafe { libc::fcntl(fd, libc::F_SETFD, flags) })
    }

    fn fcntl_dupfd(&self, fd: i32, min: i32, close_on_exec: bool) -> SysResult<i32> {
        let cmd = if close_on_exec {
            libc::F_DUPFD_CLOEXEC
        } else {
            libc::F_DUPFD
        };
        check(unsafe { libc::fcntl(fd, cmd, min) })
    }

    fn fcntl_getlk(&self, fd: i32, lock: Flock) -> SysResult<Flock> {
        let mut c = c_flock(&lock);
        unit(unsafe { libc::fcntl(fd, libc::F_GETLK, &mut c) })?;
        Ok(Flock {
            l_type: c.l_type,
            whence: c.l_whence,
            start: c.l_start,
            len: c.l_len,
            pid: i64::from(c.l_pid),
        })
    }

    fn fcntl_setlk(&self, fd: i32, lock: Flock, wait: bool) -> SysResult<()> {
        let cmd = if wait { libc::F_SETLKW } else { libc::F_SETLK };
        let c = c_flock(&lock);
        unit(unsafe { libc::fcntl(fd, cmd, &c) })
    }

    fn flock(&self, fd: i32, operation: i32) -> SysResult<()> {
        unit(unsafe { libc::flock(fd, operation) })
    }
}
