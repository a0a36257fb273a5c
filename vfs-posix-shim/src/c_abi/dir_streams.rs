//! Directory streams: `vfs_opendir`, `vfs_readdir`, `vfs_rewinddir`,
//! `vfs_closedir`, `vfs_dirfd`.

use super::convert::{fill_dirent, zeroed};
use super::{c_path, guarded, with_context};
use crate::fd_table::Fd;
use libc::{c_char, c_int};
use std::ptr;
use vfs_core::{Errno, Result};

/// What `VFS_DIR *` points to: the stream's descriptor and the entry `readdir`
/// hands out (valid until the next `readdir` or `closedir` of the stream, as with
/// libc's `DIR`).
pub struct VfsDir {
    fd: Fd,
    entry: libc::dirent,
}

/// The stream behind a caller's `VFS_DIR *`.
///
/// # Safety
/// `dir` is NULL or came from [`vfs_opendir`] and was not closed.
unsafe fn stream<'a>(dir: *mut VfsDir) -> Result<&'a mut VfsDir> {
    dir.as_mut()
        .ok_or_else(|| Errno::EBADF.with("NULL directory stream"))
}

/// `opendir(3)`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn vfs_opendir(path: *const c_char) -> *mut VfsDir {
    with_context(|posix| {
        let fd = posix.opendir(c_path(path)?)?;
        Ok(Box::into_raw(Box::new(VfsDir {
            fd,
            entry: zeroed(),
        })))
    })
}

/// `readdir(3)`: the next entry (`.` and `..` first), or NULL at the end with
/// `errno` unchanged, or NULL with `errno` set on error.
///
/// # Safety
/// `dir` is NULL or came from [`vfs_opendir`] and was not closed.
#[no_mangle]
pub unsafe extern "C" fn vfs_readdir(dir: *mut VfsDir) -> *mut libc::dirent {
    with_context(|posix| {
        let dir = stream(dir)?;
        match posix.readdir(dir.fd)? {
            None => Ok(ptr::null_mut()),
            Some(next) => {
                fill_dirent(&mut dir.entry, &next)?;
                Ok(&mut dir.entry as *mut libc::dirent)
            }
        }
    })
}

/// `rewinddir(3)`. Like libc's, it returns nothing; `errno` is set if `dir` is
/// NULL.
///
/// # Safety
/// `dir` is NULL or came from [`vfs_opendir`] and was not closed.
#[no_mangle]
pub unsafe extern "C" fn vfs_rewinddir(dir: *mut VfsDir) {
    with_context(|posix| posix.rewinddir(stream(dir)?.fd));
}

/// `closedir(3)`: closes the descriptor and frees the stream, even when closing
/// reports an error.
///
/// # Safety
/// `dir` is NULL or came from [`vfs_opendir`] and was not closed; it is invalid
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn vfs_closedir(dir: *mut VfsDir) -> c_int {
    with_context(|posix| {
        stream(dir)?;
        let dir = Box::from_raw(dir);
        posix.closedir(dir.fd)
    })
}

/// `dirfd(3)`: the descriptor of the stream (usable with
/// [`vfs_fchdir`](super::process::vfs_fchdir), ...; closing it breaks the stream).
///
/// # Safety
/// `dir` is NULL or came from [`vfs_opendir`] and was not closed.
#[no_mangle]
pub unsafe extern "C" fn vfs_dirfd(dir: *mut VfsDir) -> c_int {
    // EINVAL, as glibc's dirfd reports an unusable stream.
    guarded(|| {
        dir.as_ref()
            .map(|dir| dir.fd)
            .ok_or_else(|| Errno::EINVAL.with("NULL directory stream"))
    })
}
