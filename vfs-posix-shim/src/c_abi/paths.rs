//! The calls on paths: `vfs_stat`, `vfs_mkdir`, `vfs_rename`, `vfs_utimensat`, ...

use super::convert::{stat_location, statvfs_location, time_changes};
use super::{c_path, id_change, location_of, out_bytes, resolve, with_context, write_out};
use crate::blocking::wait;
use libc::{c_char, c_int, gid_t, mode_t, size_t, ssize_t, uid_t};
use vfs_core::{AccessMask, Caller, Errno, SetAttr};

/// `stat(2)`; `st_dev` is the id of the mount holding the file.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `buf` is NULL or points to a writable
/// `struct stat`.
#[no_mangle]
pub unsafe extern "C" fn vfs_stat(path: *const c_char, buf: *mut libc::stat) -> c_int {
    with_context(|posix| write_out(buf, stat_location(&resolve(&posix, c_path(path)?, true)?)?))
}

/// `lstat(2)`.
///
/// # Safety
/// As [`vfs_stat`].
#[no_mangle]
pub unsafe extern "C" fn vfs_lstat(path: *const c_char, buf: *mut libc::stat) -> c_int {
    with_context(|posix| write_out(buf, stat_location(&resolve(&posix, c_path(path)?, false)?)?))
}

/// `statvfs(3)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `buf` is NULL or points to a writable
/// `struct statvfs`.
#[no_mangle]
pub unsafe extern "C" fn vfs_statvfs(path: *const c_char, buf: *mut libc::statvfs) -> c_int {
    with_context(|posix| {
        write_out(
            buf,
            statvfs_location(&resolve(&posix, c_path(path)?, true)?)?,
        )
    })
}

/// `mkdir(2)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_mkdir(path: *const c_char, mode: mode_t) -> c_int {
    with_context(|posix| posix.mkdir(c_path(path)?, mode))
}

/// `mknod(2)`: a FIFO, socket, character or block device, or regular file, by the
/// `S_IFMT` bits of `mode`; `dev` as `makedev(3)` encodes it.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_mknod(path: *const c_char, mode: mode_t, dev: libc::dev_t) -> c_int {
    with_context(|posix| posix.mknod(c_path(path)?, mode, dev))
}

/// `mkfifo(3)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_mkfifo(path: *const c_char, mode: mode_t) -> c_int {
    with_context(|posix| posix.mkfifo(c_path(path)?, mode))
}

/// `rmdir(2)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_rmdir(path: *const c_char) -> c_int {
    with_context(|posix| posix.rmdir(c_path(path)?))
}

/// `unlink(2)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_unlink(path: *const c_char) -> c_int {
    with_context(|posix| posix.unlink(c_path(path)?))
}

/// `rename(2)`.
///
/// # Safety
/// Each path is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_rename(oldpath: *const c_char, newpath: *const c_char) -> c_int {
    with_context(|posix| posix.rename(c_path(oldpath)?, c_path(newpath)?))
}

/// `link(2)`.
///
/// # Safety
/// Each path is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_link(oldpath: *const c_char, newpath: *const c_char) -> c_int {
    with_context(|posix| posix.link(c_path(oldpath)?, c_path(newpath)?))
}

/// `symlink(2)`: creates `linkpath` pointing at `target`.
///
/// # Safety
/// Each of `target` and `linkpath` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_symlink(target: *const c_char, linkpath: *const c_char) -> c_int {
    with_context(|posix| posix.symlink(c_path(target)?, c_path(linkpath)?))
}

/// `readlink(2)`: the target, truncated to `bufsiz` bytes, without a NUL.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `buf` is NULL or points to `bufsiz`
/// writable bytes.
#[no_mangle]
pub unsafe extern "C" fn vfs_readlink(
    path: *const c_char,
    buf: *mut c_char,
    bufsiz: size_t,
) -> ssize_t {
    with_context(|posix| {
        if bufsiz == 0 {
            return Err(Errno::EINVAL.with("bufsiz 0"));
        }
        let target = posix.readlink(c_path(path)?)?;
        let n = target.len().min(bufsiz);
        out_bytes(buf.cast(), n)?.copy_from_slice(&target[..n]);
        Ok(n)
    })
}

/// `chmod(2)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_chmod(path: *const c_char, mode: mode_t) -> c_int {
    with_context(|posix| posix.chmod(c_path(path)?, mode))
}

/// `chown(2)`; an id of `-1` is left unchanged.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_chown(path: *const c_char, owner: uid_t, group: gid_t) -> c_int {
    with_context(|posix| posix.chown(c_path(path)?, id_change(owner), id_change(group)))
}

/// `lchown(2)`; an id of `-1` is left unchanged.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_lchown(path: *const c_char, owner: uid_t, group: gid_t) -> c_int {
    with_context(|posix| posix.lchown(c_path(path)?, id_change(owner), id_change(group)))
}

/// `utimensat(2)`: relative `path`s start at directory `dirfd` (or the working
/// directory for `AT_FDCWD`); `flags` may be `AT_SYMLINK_NOFOLLOW`; `times` as
/// [`vfs_futimens`](super::descriptors::vfs_futimens). A NULL `path` is `EINVAL`,
/// as glibc's wrapper makes it.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `times` is NULL or points to two
/// `struct timespec`s.
#[no_mangle]
pub unsafe extern "C" fn vfs_utimensat(
    dirfd: c_int,
    path: *const c_char,
    times: *const libc::timespec,
    flags: c_int,
) -> c_int {
    with_context(|posix| {
        if path.is_null() {
            return Err(Errno::EINVAL.with("NULL path"));
        }
        let Some((atime, mtime)) = time_changes(times)? else {
            return Ok(());
        };
        if flags & !libc::AT_SYMLINK_NOFOLLOW != 0 {
            return Err(Errno::EINVAL.with(format!("flags {flags:#x}")));
        }
        let path = c_path(path)?;
        let follow = flags & libc::AT_SYMLINK_NOFOLLOW == 0;
        if dirfd == libc::AT_FDCWD || path.starts_with(b"/") {
            return posix.utimens(path, atime, mtime, follow);
        }
        let caller = Caller {
            cwd: location_of(&posix, dirfd)?,
            creds: posix.credentials(),
        };
        let changes = SetAttr {
            atime,
            mtime,
            ..SetAttr::default()
        };
        wait(posix.namespace().setattr(&caller, path, &changes, follow)).map(drop)
    })
}

/// `access(2)` with `F_OK` or any of `R_OK`, `W_OK`, `X_OK`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_access(path: *const c_char, mode: c_int) -> c_int {
    with_context(|posix| {
        let mask = u32::try_from(mode)
            .ok()
            .and_then(AccessMask::from_bits)
            .ok_or_else(|| Errno::EINVAL.with(format!("access mode {mode:#o}")))?;
        posix.access(c_path(path)?, mask)
    })
}
