//! The process's own state: working directory, mounts, umask.

use super::convert::mount_options_of;
use super::{c_path, with_context};
use libc::{c_char, c_int, c_ulong, mode_t, size_t};
use std::ptr;
use vfs_core::Errno;

/// `chdir(2)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_chdir(path: *const c_char) -> c_int {
    with_context(|posix| posix.chdir(c_path(path)?))
}

/// `fchdir(2)`.
#[no_mangle]
pub extern "C" fn vfs_fchdir(fd: c_int) -> c_int {
    with_context(|posix| posix.fchdir(fd))
}

/// `getcwd(3)`: the working directory's absolute path, NUL-terminated, in `buf` of
/// `size` bytes; returns `buf`, or NULL with `ERANGE` when `size` is too small and
/// `EINVAL` when it is 0. With `buf` NULL, as glibc, the result is `malloc`ed (of
/// `size` bytes, or as long as needed when `size` is 0) and the caller `free`s it.
///
/// # Safety
/// `buf` is NULL or points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_getcwd(buf: *mut c_char, size: size_t) -> *mut c_char {
    with_context(|posix| {
        if !buf.is_null() && size == 0 {
            return Err(Errno::EINVAL.with("size 0"));
        }
        let mut cwd = posix.getcwd()?;
        cwd.push(0);
        let capacity = if buf.is_null() && size == 0 {
            cwd.len()
        } else {
            size
        };
        if capacity < cwd.len() {
            return Err(Errno::ERANGE.with(format!("{} bytes needed", cwd.len())));
        }
        let buf = if buf.is_null() {
            libc::malloc(capacity).cast::<c_char>()
        } else {
            buf
        };
        if buf.is_null() {
            return Err(Errno::ENOMEM.with("malloc failed"));
        }
        // SAFETY: `buf` holds `capacity` >= `cwd.len()` bytes: the caller's, or ours.
        ptr::copy_nonoverlapping(cwd.as_ptr().cast(), buf, cwd.len());
        Ok(buf)
    })
}

/// `mount(2)`, by URL: mounts the file system `url` names (`"ram://"`, ...) on
/// directory `target`, over what is there. `flags` may hold `MS_RDONLY`; the
/// flags that only restrict execution (`MS_NOSUID`, `MS_NODEV`, `MS_NOEXEC`,
/// `MS_NOATIME`, `MS_NODIRATIME`, `MS_RELATIME`, `MS_SILENT`) are ignored; any other
/// is `EINVAL`.
///
/// # Safety
/// Each of `target` and `url` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_mount(
    target: *const c_char,
    url: *const c_char,
    flags: c_ulong,
) -> c_int {
    with_context(|posix| {
        let options = mount_options_of(flags)?;
        let url = std::str::from_utf8(c_path(url)?)
            .map_err(|_| Errno::EINVAL.with("URL is not UTF-8"))?;
        posix.mount(c_path(target)?, url, options)
    })
}

/// `umount(2)`.
///
/// # Safety
/// `target` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_umount(target: *const c_char) -> c_int {
    with_context(|posix| posix.umount(c_path(target)?))
}

/// `umask(2)`: sets the file-creation mask, returns the previous one.
#[no_mangle]
pub extern "C" fn vfs_umask(mask: mode_t) -> mode_t {
    with_context(|posix| Ok(posix.umask(mask)))
}
