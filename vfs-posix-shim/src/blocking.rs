//! The blocking form of every call, for C callers and plain threads.

use crate::fd_table::Fd;
use crate::file_calls::Whence;
use crate::lock_calls::{FlockOp, RecordLock};
use crate::ofd::DirEnt;
use crate::process::Process;
use futures::executor::block_on;
use std::future::Future;
use std::io::{IoSlice, IoSliceMut};
use std::ops::Deref;
use std::pin::pin;
use std::task::{Context, Poll};
use vfs_core::{AccessMask, Attr, FsStat, MountOptions, OpenFlags, Result, SetTime};

/// The calls of a [`Process`] that wait for their result on the calling thread.
///
/// Backends own their I/O, so no runtime is needed in the caller: each call runs its
/// future to completion on the calling thread (`futures::executor::block_on` once
/// it has to wait), except that `read` and `pread` first
/// take the backend's immediate answer when it has one
/// ([`vfs_core::OpenFile::read_at_now`]). The calls that never wait (`dup`,
/// `umask`, ...) are reached through `Deref`.
///
/// ```
/// use vfs_core::OpenFlags;
/// let vfs = vfs_posix_shim::Vfs::from_url("ram://").unwrap();
/// let process = vfs.process();
/// let posix = process.blocking();
/// let fd = posix.open("/hello", OpenFlags::RDWR | OpenFlags::CREATE, 0o644).unwrap();
/// assert_eq!(posix.write(fd, b"hi").unwrap(), 2);
/// assert_eq!(posix.fstat(fd).unwrap().size, 2);
/// posix.close(fd).unwrap();
/// ```
#[derive(Clone, Copy)]
pub struct Blocking<'a> {
    process: &'a Process,
}

impl Process {
    /// The blocking form of this process's calls.
    pub fn blocking(&self) -> Blocking<'_> {
        Blocking { process: self }
    }
}

impl Deref for Blocking<'_> {
    type Target = Process;

    fn deref(&self) -> &Process {
        self.process
    }
}

/// Runs `future` to completion on this thread. Polled once first with a waker
/// that does nothing: a call an in-memory backend answers on the spot finishes
/// there, without the executor's thread-local setup; one that has to wait goes on
/// under `block_on`, whose waker replaces the first (futures re-register the
/// waker of every poll).
pub(crate) fn wait<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut first = Context::from_waker(futures::task::noop_waker_ref());
    match future.as_mut().poll(&mut first) {
        Poll::Ready(output) => output,
        Poll::Pending => block_on(future),
    }
}

/// Writes one blocking wrapper per async call; each keeps the async call's contract.
macro_rules! blocking_calls {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        impl Blocking<'_> {
            $(
                #[doc = concat!("[`Process::", stringify!($name), "`], blocking.")]
                pub fn $name(&self, $($arg: $ty),*) -> Result<$ret> {
                    wait(self.process.$name($($arg),*))
                }
            )*
        }
    };
}

/// The reads, which first try to finish on the spot: an in-memory backend answers
/// there, and the executor and the boxed future would cost more than its copy.
impl Blocking<'_> {
    /// [`Process::read`], blocking.
    pub fn read(&self, fd: Fd, buf: &mut [u8]) -> Result<usize> {
        match self.process.read_now(fd, buf) {
            Some(done) => done,
            None => wait(self.process.read(fd, buf)),
        }
    }

    /// [`Process::pread`], blocking.
    pub fn pread(&self, fd: Fd, buf: &mut [u8], offset: i64) -> Result<usize> {
        match self.process.pread_now(fd, buf, offset) {
            Some(done) => done,
            None => wait(self.process.pread(fd, buf, offset)),
        }
    }
}

blocking_calls! {
    open(path: impl AsRef<[u8]>, flags: OpenFlags, mode: u32) -> Fd;
    close(fd: Fd) -> ();
    write(fd: Fd, data: &[u8]) -> usize;
    pwrite(fd: Fd, data: &[u8], offset: i64) -> usize;
    readv(fd: Fd, bufs: &mut [IoSliceMut<'_>]) -> usize;
    writev(fd: Fd, bufs: &[IoSlice<'_>]) -> usize;
    lseek(fd: Fd, offset: i64, whence: Whence) -> u64;
    ftruncate(fd: Fd, length: i64) -> ();
    fstat(fd: Fd) -> Attr;
    fstatvfs(fd: Fd) -> FsStat;
    fsync(fd: Fd) -> ();
    fdatasync(fd: Fd) -> ();
    fchmod(fd: Fd, mode: u32) -> ();
    fchown(fd: Fd, uid: Option<u32>, gid: Option<u32>) -> ();
    futimens(fd: Fd, atime: Option<SetTime>, mtime: Option<SetTime>) -> ();
    dup2(old: Fd, new: Fd) -> Fd;
    stat(path: impl AsRef<[u8]>) -> Attr;
    lstat(path: impl AsRef<[u8]>) -> Attr;
    mkdir(path: impl AsRef<[u8]>, mode: u32) -> ();
    mknod(path: impl AsRef<[u8]>, mode: u32, rdev: u64) -> ();
    mkfifo(path: impl AsRef<[u8]>, mode: u32) -> ();
    rmdir(path: impl AsRef<[u8]>) -> ();
    unlink(path: impl AsRef<[u8]>) -> ();
    rename(old: impl AsRef<[u8]>, new: impl AsRef<[u8]>) -> ();
    link(old: impl AsRef<[u8]>, new: impl AsRef<[u8]>) -> ();
    symlink(target: impl AsRef<[u8]>, path: impl AsRef<[u8]>) -> ();
    readlink(path: impl AsRef<[u8]>) -> Vec<u8>;
    truncate(path: impl AsRef<[u8]>, length: i64) -> ();
    chmod(path: impl AsRef<[u8]>, mode: u32) -> ();
    chown(path: impl AsRef<[u8]>, uid: Option<u32>, gid: Option<u32>) -> ();
    lchown(path: impl AsRef<[u8]>, uid: Option<u32>, gid: Option<u32>) -> ();
    utimens(path: impl AsRef<[u8]>, atime: Option<SetTime>, mtime: Option<SetTime>, follow: bool) -> ();
    access(path: impl AsRef<[u8]>, mask: AccessMask) -> ();
    statvfs(path: impl AsRef<[u8]>) -> FsStat;
    opendir(path: impl AsRef<[u8]>) -> Fd;
    readdir(fd: Fd) -> Option<DirEnt>;
    rewinddir(fd: Fd) -> ();
    closedir(fd: Fd) -> ();
    chdir(path: impl AsRef<[u8]>) -> ();
    fchdir(fd: Fd) -> ();
    getcwd() -> Vec<u8>;
    mount(path: impl AsRef<[u8]>, url: &str, options: MountOptions) -> ();
    umount(path: impl AsRef<[u8]>) -> ();
    getlk(fd: Fd, lock: RecordLock) -> RecordLock;
    setlk(fd: Fd, lock: RecordLock, wait: bool) -> ();
    flock(fd: Fd, op: FlockOp, nonblocking: bool) -> ();
}
