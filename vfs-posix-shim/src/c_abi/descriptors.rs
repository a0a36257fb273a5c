//! The calls on descriptors: `vfs_open`, `vfs_read`, `vfs_pread`, `vfs_fstat`,
//! `vfs_fcntl_*`, `vfs_flock`, ...

use super::convert::{
    flags_of, open_flags_of, record_lock_of, stat_location, status_bits, statvfs_location,
    store_lock, time_changes, whence_of,
};
use super::{
    c_path, check_offset, check_open, id_change, in_bytes, iovecs, location_of, out_bytes, read_in,
    with_context, write_out,
};
use crate::lock_calls::FlockOp;
use libc::{c_char, c_int, c_void, gid_t, mode_t, off_t, size_t, ssize_t, uid_t};
use std::io::{IoSlice, IoSliceMut};
use vfs_core::{Errno, Result};

/// `open(2)`: opens `path` with Linux `O_*` `flags`; `mode` (minus the umask) is the
/// mode of a created file. Returns the lowest free descriptor.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_open(path: *const c_char, flags: c_int, mode: mode_t) -> c_int {
    with_context(|posix| posix.open(c_path(path)?, open_flags_of(flags)?, mode))
}

/// `close(2)`.
#[no_mangle]
pub extern "C" fn vfs_close(fd: c_int) -> c_int {
    with_context(|posix| posix.close(fd))
}

/// `read(2)`.
///
/// # Safety
/// `buf` is NULL or points to `count` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_read(fd: c_int, buf: *mut c_void, count: size_t) -> ssize_t {
    with_context(|posix| {
        check_open(&posix, fd)?;
        posix.read(fd, out_bytes(buf, count)?)
    })
}

/// `write(2)`.
///
/// # Safety
/// `buf` is NULL or points to `count` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_write(fd: c_int, buf: *const c_void, count: size_t) -> ssize_t {
    with_context(|posix| {
        check_open(&posix, fd)?;
        posix.write(fd, in_bytes(buf, count)?)
    })
}

/// `pread(2)`.
///
/// # Safety
/// `buf` is NULL or points to `count` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_pread(
    fd: c_int,
    buf: *mut c_void,
    count: size_t,
    offset: off_t,
) -> ssize_t {
    with_context(|posix| {
        check_offset(offset)?;
        check_open(&posix, fd)?;
        posix.pread(fd, out_bytes(buf, count)?, offset)
    })
}

/// `pwrite(2)`.
///
/// # Safety
/// `buf` is NULL or points to `count` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_pwrite(
    fd: c_int,
    buf: *const c_void,
    count: size_t,
    offset: off_t,
) -> ssize_t {
    with_context(|posix| {
        check_offset(offset)?;
        check_open(&posix, fd)?;
        posix.pwrite(fd, in_bytes(buf, count)?, offset)
    })
}

/// `readv(2)`.
///
/// # Safety
/// `iov` is NULL or points to `iovcnt` `struct iovec`s, each of whose `iov_base` is
/// NULL or points to `iov_len` writable bytes, no two overlapping.
#[no_mangle]
pub unsafe extern "C" fn vfs_readv(fd: c_int, iov: *const libc::iovec, iovcnt: c_int) -> ssize_t {
    with_context(|posix| {
        check_open(&posix, fd)?;
        let mut buffers = iovecs(iov, iovcnt)?
            .iter()
            .map(|v| out_bytes(v.iov_base, v.iov_len).map(IoSliceMut::new))
            .collect::<Result<Vec<_>>>()?;
        posix.readv(fd, &mut buffers)
    })
}

/// `writev(2)`.
///
/// # Safety
/// `iov` is NULL or points to `iovcnt` `struct iovec`s, each of whose `iov_base` is
/// NULL or points to `iov_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_writev(fd: c_int, iov: *const libc::iovec, iovcnt: c_int) -> ssize_t {
    with_context(|posix| {
        check_open(&posix, fd)?;
        let buffers = iovecs(iov, iovcnt)?
            .iter()
            .map(|v| in_bytes(v.iov_base, v.iov_len).map(IoSlice::new))
            .collect::<Result<Vec<_>>>()?;
        posix.writev(fd, &buffers)
    })
}

/// `lseek(2)` with `SEEK_SET`, `SEEK_CUR` or `SEEK_END`.
#[no_mangle]
pub extern "C" fn vfs_lseek(fd: c_int, offset: off_t, whence: c_int) -> off_t {
    with_context(|posix| {
        check_open(&posix, fd)?;
        posix.lseek(fd, offset, whence_of(whence)?)
    })
}

/// `truncate(2)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_truncate(path: *const c_char, length: off_t) -> c_int {
    with_context(|posix| {
        check_offset(length)?;
        posix.truncate(c_path(path)?, length)
    })
}

/// `ftruncate(2)`.
#[no_mangle]
pub extern "C" fn vfs_ftruncate(fd: c_int, length: off_t) -> c_int {
    with_context(|posix| {
        check_offset(length)?;
        posix.ftruncate(fd, length)
    })
}

/// `fstat(2)`; `st_dev` is the id of the mount holding the file.
///
/// # Safety
/// `buf` is NULL or points to a writable `struct stat`.
#[no_mangle]
pub unsafe extern "C" fn vfs_fstat(fd: c_int, buf: *mut libc::stat) -> c_int {
    with_context(|posix| write_out(buf, stat_location(&location_of(&posix, fd)?)?))
}

/// `fstatvfs(3)`.
///
/// # Safety
/// `buf` is NULL or points to a writable `struct statvfs`.
#[no_mangle]
pub unsafe extern "C" fn vfs_fstatvfs(fd: c_int, buf: *mut libc::statvfs) -> c_int {
    with_context(|posix| write_out(buf, statvfs_location(&location_of(&posix, fd)?)?))
}

/// `fsync(2)`.
#[no_mangle]
pub extern "C" fn vfs_fsync(fd: c_int) -> c_int {
    with_context(|posix| posix.fsync(fd))
}

/// `fdatasync(2)`.
#[no_mangle]
pub extern "C" fn vfs_fdatasync(fd: c_int) -> c_int {
    with_context(|posix| posix.fdatasync(fd))
}

/// `fchmod(2)`.
#[no_mangle]
pub extern "C" fn vfs_fchmod(fd: c_int, mode: mode_t) -> c_int {
    with_context(|posix| posix.fchmod(fd, mode))
}

/// `fchown(2)`; an id of `-1` is left unchanged.
#[no_mangle]
pub extern "C" fn vfs_fchown(fd: c_int, owner: uid_t, group: gid_t) -> c_int {
    with_context(|posix| posix.fchown(fd, id_change(owner), id_change(group)))
}

/// `futimens(3)`: `times` NULL sets both to now; `UTIME_NOW`/`UTIME_OMIT` work.
///
/// # Safety
/// `times` is NULL or points to two `struct timespec`s.
#[no_mangle]
pub unsafe extern "C" fn vfs_futimens(fd: c_int, times: *const libc::timespec) -> c_int {
    with_context(|posix| {
        // glibc refuses a negative descriptor before the kernel sees the times.
        if fd < 0 {
            return Err(Errno::EBADF.with(format!("descriptor {fd}")));
        }
        match time_changes(times)? {
            None => Ok(()),
            Some((atime, mtime)) => posix.futimens(fd, atime, mtime),
        }
    })
}

/// `dup(2)`.
#[no_mangle]
pub extern "C" fn vfs_dup(fd: c_int) -> c_int {
    with_context(|posix| posix.dup(fd))
}

/// `dup2(2)`.
#[no_mangle]
pub extern "C" fn vfs_dup2(oldfd: c_int, newfd: c_int) -> c_int {
    with_context(|posix| posix.dup2(oldfd, newfd))
}

/// `fcntl(2)` for the commands whose argument is an `int` or absent: `F_DUPFD`,
/// `F_DUPFD_CLOEXEC`, `F_GETFD`, `F_SETFD`, `F_GETFL`, `F_SETFL` (pass 0 as `arg`
/// for the `GET`s). The lock commands go through [`vfs_fcntl_lock`]; any other
/// command is `EINVAL`.
#[no_mangle]
pub extern "C" fn vfs_fcntl_int(fd: c_int, cmd: c_int, arg: c_int) -> c_int {
    with_context(|posix| {
        check_open(&posix, fd)?;
        match cmd {
            libc::F_DUPFD => posix.dup_from(fd, arg, false),
            libc::F_DUPFD_CLOEXEC => posix.dup_from(fd, arg, true),
            libc::F_GETFD => Ok(if posix.close_on_exec(fd)? {
                libc::FD_CLOEXEC
            } else {
                0
            }),
            libc::F_SETFD => posix
                .set_close_on_exec(fd, arg & libc::FD_CLOEXEC != 0)
                .map(|()| 0),
            libc::F_GETFL => posix.status_flags(fd).map(status_bits),
            libc::F_SETFL => posix.set_status_flags(fd, flags_of(arg)).map(|()| 0),
            _ => Err(Errno::EINVAL.with(format!("fcntl command {cmd} (int form)"))),
        }
    })
}

/// `fcntl(2)` for the record-lock commands `F_GETLK`, `F_SETLK` and `F_SETLKW`
/// (which blocks the calling thread). Any other command is `EINVAL`.
///
/// # Safety
/// `lock` is NULL or points to a readable and writable `struct flock`.
#[no_mangle]
pub unsafe extern "C" fn vfs_fcntl_lock(fd: c_int, cmd: c_int, lock: *mut libc::flock) -> c_int {
    with_context(|posix| {
        check_open(&posix, fd)?;
        let wait = match cmd {
            libc::F_GETLK | libc::F_SETLK => false,
            libc::F_SETLKW => true,
            _ => return Err(Errno::EINVAL.with(format!("fcntl command {cmd} (lock form)"))),
        };
        let request = record_lock_of(&read_in(lock)?)?;
        if cmd != libc::F_GETLK {
            return posix.setlk(fd, request, wait);
        }
        let found = posix.getlk(fd, request)?;
        // SAFETY: read_in succeeded, so `lock` is not NULL.
        store_lock(&mut *lock, &found);
        Ok(())
    })
}

/// `flock(2)`: `LOCK_SH`, `LOCK_EX` or `LOCK_UN`, optionally with `LOCK_NB`.
#[no_mangle]
pub extern "C" fn vfs_flock(fd: c_int, operation: c_int) -> c_int {
    with_context(|posix| {
        // Linux checks the operation before the descriptor.
        let op = match operation & !libc::LOCK_NB {
            libc::LOCK_SH => FlockOp::Shared,
            libc::LOCK_EX => FlockOp::Exclusive,
            libc::LOCK_UN => FlockOp::Unlock,
            _ => return Err(Errno::EINVAL.with(format!("flock operation {operation}"))),
        };
        posix.flock(fd, op, operation & libc::LOCK_NB != 0)
    })
}
