//! The blocking form of every call, for C callers and plain threads.

use crate::fd_table::Fd;
use crate::file_calls::{discard, Whence};
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
/// it has to wait). The hot calls first try to finish without a future, when every
/// backend call on their way answers at once (an in-memory backend, a warm NFS
/// cache): `open` without `O_CREAT`/`O_TRUNC`, `stat`, `lstat`, `fstat`, `close`,
/// `read` and `pread` (through [`vfs_core::Namespace::open_now`],
/// [`vfs_core::Namespace::stat_now`], [`vfs_core::FileHandle::getattr_now`],
/// [`vfs_core::FileHandle::close_now`], [`vfs_core::OpenFile::read_at_now`]);
/// the futures and the executor would cost them more than their work. The calls
/// that never wait (`dup`, `umask`, ...) are reached through `Deref`.
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

/// The calls that first try to finish on the spot (see [`Blocking`]).
impl Blocking<'_> {
    /// [`Process::read`], blocking.
    pub fn read(&self, fd: Fd, buf: &mut [u8]) -> Result<usize> {
        match self.process.read_now(fd, buf) {
            Some(done) => done,
            None => wait(self.process.read(fd, buf)),
        }
    }

    /// [`Process::open`], blocking.
    pub fn open(&self, path: impl AsRef<[u8]>, flags: OpenFlags, mode: u32) -> Result<Fd> {
        match self.process.open_now(path.as_ref(), flags) {
            Some(opened) => self
                .process
                .install(opened?, flags.contains(OpenFlags::CLOEXEC))
                .map_err(|refused| wait(discard(refused))),
            None => wait(self.process.open(path, flags, mode)),
        }
    }

    /// [`Process::close`], blocking.
    pub fn close(&self, fd: Fd) -> Result<()> {
        let Some(last) = self.process.close_descriptor(fd)? else {
            return Ok(());
        };
        match last.handle.close_now() {
            Some(done) => done,
            None => wait(last.handle.close()),
        }
    }

    /// [`Process::fstat`], blocking.
    pub fn fstat(&self, fd: Fd) -> Result<Attr> {
        match self.process.fstat_now(fd) {
            Some(done) => done,
            None => wait(self.process.fstat(fd)),
        }
    }

    /// [`Process::stat`], blocking.
    pub fn stat(&self, path: impl AsRef<[u8]>) -> Result<Attr> {
        match self.process.stat_now(path.as_ref(), true) {
            Some(done) => done,
            None => wait(self.process.stat(path)),
        }
    }

    /// [`Process::lstat`], blocking.
    pub fn lstat(&self, path: impl AsRef<[u8]>) -> Result<Attr> {
        match self.process.stat_now(path.as_ref(), false) {
            Some(done) => done,
            None => wait(self.process.lstat(path)),
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
    write(fd: Fd, data: &[u8]) -> usize;
    pwrite(fd: Fd, data: &[u8], offset: i64) -> usize;
    readv(fd: Fd, bufs: &mut [IoSliceMut<'_>]) -> usize;
    writev(fd: Fd, bufs: &[IoSlice<'_>]) -> usize;
    lseek(fd: Fd, offset: i64, whence: Whence) -> u64;
    ftruncate(fd: Fd, length: i64) -> ();
    fstatvfs(fd: Fd) -> FsStat;
    fsync(fd: Fd) -> ();
    fdatasync(fd: Fd) -> ();
    fchmod(fd: Fd, mode: u32) -> ();
    fchown(fd: Fd, uid: Option<u32>, gid: Option<u32>) -> ();
    futimens(fd: Fd, atime: Option<SetTime>, mtime: Option<SetTime>) -> ();
    dup2(old: Fd, new: Fd) -> Fd;
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
