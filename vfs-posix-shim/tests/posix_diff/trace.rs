//! The trace: every call a case makes, with its outcome rendered so the kernel's
//! and the shim's can be compared line by line.
//!
//! What would differ for reasons that do not matter is left out or normalised:
//! descriptors are shown relative to the lowest descriptor free when the case
//! started (`fd0`, `fd1`, ...; the kernel's test process holds stdin and more), the
//! working directory relative to the case's scratch directory, the lock owner as
//! `self`; inode numbers, devices, block counts, directory sizes and timestamps are
//! not shown (timestamps only where a case set them, through [`Trace::times`]).
//! Directory listings are shown sorted: listing order is the file system's own.

use crate::api::{DirEntry, Flock, FsStats, Posix, Stat, SysResult, Time};
use std::cell::RefCell;
use std::fmt::Debug;
use std::io::{IoSlice, IoSliceMut};
use std::panic::Location;

/// Descriptors from the base up to this many above it are shown relative to the
/// base; others (negative, huge) as they are.
pub const FD_WINDOW: i32 = 128;

/// Data longer than this is shown by length and hash, not byte by byte.
const SHOWN_DATA: usize = 64;

/// A case's calls on one side, recorded.
pub struct Trace<'a> {
    posix: &'a dyn Posix,
    fd_base: i32,
    scratch: Vec<u8>,
    lines: RefCell<Vec<String>>,
    failures: RefCell<Vec<String>>,
}

/// What one side did in one case.
pub struct Record {
    pub lines: Vec<String>,
    /// The case's own expectations that did not hold.
    pub failures: Vec<String>,
}

impl<'a> Trace<'a> {
    /// A trace of calls on `posix`, whose lowest free descriptor is `fd_base` and
    /// whose scratch directory (the cwd at the start) is the absolute `scratch`.
    pub fn new(posix: &'a dyn Posix, fd_base: i32, scratch: Vec<u8>) -> Trace<'a> {
        Trace {
            posix,
            fd_base,
            scratch,
            lines: RefCell::default(),
            failures: RefCell::default(),
        }
    }

    pub fn finish(self) -> Record {
        Record {
            lines: self.lines.into_inner(),
            failures: self.failures.into_inner(),
        }
    }

    /// Records a broken expectation (or a panic of the case).
    pub fn fail(&self, what: String) {
        self.failures.borrow_mut().push(what);
    }

    // ---- the case's own expectations ----

    /// Expects `got` to be `want` (so a case wrong the same way on both sides still
    /// fails).
    #[track_caller]
    pub fn want<T: PartialEq + Debug>(&self, got: SysResult<T>, want: SysResult<T>) {
        if got != want {
            let at = Location::caller();
            self.fail(format!(
                "{}:{}: expected {}, got {}",
                at.file(),
                at.line(),
                show_result(&want),
                show_result(&got)
            ));
        }
    }

    /// Expects `got` to have failed with `errno`.
    #[track_caller]
    pub fn want_errno<T: Debug>(&self, got: SysResult<T>, errno: i32) {
        if got.as_ref().err() != Some(&errno) {
            let at = Location::caller();
            self.fail(format!(
                "{}:{}: expected {}, got {}",
                at.file(),
                at.line(),
                errno_name(errno),
                show_result(&got)
            ));
        }
    }

    /// Expects `condition`.
    #[track_caller]
    pub fn check(&self, condition: bool, what: &str) {
        if !condition {
            let at = Location::caller();
            self.fail(format!("{}:{}: expected {what}", at.file(), at.line()));
        }
    }

    /// The descriptor of a call expected to succeed, or -1 (so the case goes on
    /// and every later use of it fails alike, in the trace).
    #[track_caller]
    pub fn ok_fd(&self, result: SysResult<i32>) -> i32 {
        match result {
            Ok(fd) => fd,
            Err(errno) => {
                let at = Location::caller();
                self.fail(format!(
                    "{}:{}: expected a descriptor, got {}",
                    at.file(),
                    at.line(),
                    errno_name(errno)
                ));
                -1
            }
        }
    }

    // ---- descriptors chosen by the case ----

    /// The descriptor `k` above the lowest one free at the start: a target for
    /// `dup2` or `F_DUPFD`, or (unopened) a bad descriptor, the same on both sides.
    pub fn nth_fd(&self, k: i32) -> i32 {
        self.fd_base + k
    }

    // ---- helpers made of traced calls ----

    /// Creates (or empties) `path` with `data`, open read-write at its end.
    #[track_caller]
    pub fn create(&self, path: &str, data: &[u8]) -> i32 {
        let flags = libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC;
        let fd = self.ok_fd(self.open(path, flags, 0o644));
        self.want(self.write(fd, data), Ok(data.len()));
        fd
    }

    /// Creates (or replaces the data of) the file `path`, closed.
    #[track_caller]
    pub fn put(&self, path: &str, data: &[u8]) {
        let fd = self.create(path, data);
        self.want(self.close(fd), Ok(()));
    }

    /// The whole content of `path`.
    pub fn content(&self, path: &str) -> SysResult<Vec<u8>> {
        let fd = self.open(path, libc::O_RDONLY, 0)?;
        let data = self.pread(fd, 1 << 20, 0);
        self.close(fd)?;
        data
    }

    /// Reads directory stream `dir` to its end; the names sorted, `/` marking
    /// directories and `@` symlinks.
    pub fn list(&self, dir: i32) -> SysResult<Vec<String>> {
        let mut names = Vec::new();
        let end = loop {
            match self.posix.readdir(dir) {
                Ok(Some(entry)) => names.push(entry_name(&entry)),
                Ok(None) => break Ok(()),
                Err(errno) => break Err(errno),
            }
        };
        names.sort();
        let result = end.map(|()| names);
        self.record(format!("readdir*({})", self.fd(dir)), result, |names| {
            format!("{names:?}")
        })
    }

    /// `opendir` + [`Trace::list`] + `closedir`.
    pub fn list_path(&self, path: &str) -> SysResult<Vec<String>> {
        let dir = self.opendir(path)?;
        let names = self.list(dir);
        self.closedir(dir)?;
        names
    }

    /// Access and modification time of `path` (not following a final symlink when
    /// `follow` is false), for cases that set them.
    pub fn times(&self, path: &str, follow: bool) -> SysResult<[Time; 2]> {
        let stat = if follow {
            self.posix.stat(path.as_bytes())
        } else {
            self.posix.lstat(path.as_bytes())
        };
        let result = stat.map(|st| [st.atime, st.mtime]);
        self.record(format!("times({})", show_path(path)), result, |[a, m]| {
            format!(
                "atime={}.{:09} mtime={}.{:09}",
                a.sec, a.nsec, m.sec, m.nsec
            )
        })
    }

    // ---- traced calls ----

    fn record<T>(
        &self,
        call: String,
        result: SysResult<T>,
        show: impl FnOnce(&T) -> String,
    ) -> SysResult<T> {
        let outcome = match &result {
            Ok(value) => show(value),
            Err(errno) => errno_name(*errno),
        };
        self.lines.borrow_mut().push(format!("{call} = {outcome}"));
        result
    }

    fn unit(&self, call: String, result: SysResult<()>) -> SysResult<()> {
        self.record(call, result, |()| "0".into())
    }

    fn new_fd(&self, call: String, result: SysResult<i32>) -> SysResult<i32> {
        self.record(call, result, |&fd| self.fd(fd))
    }

    fn count(&self, call: String, result: SysResult<usize>) -> SysResult<usize> {
        self.record(call, result, usize::to_string)
    }

    fn data(&self, call: String, result: SysResult<Vec<u8>>) -> SysResult<Vec<u8>> {
        self.record(call, result, |data| show_data(data))
    }

    fn stat_call(&self, call: String, result: SysResult<Stat>) -> SysResult<Stat> {
        self.record(call, result, show_stat)
    }

    fn fs_stats(&self, call: String, result: SysResult<FsStats>) -> SysResult<FsStats> {
        self.record(call, result, show_fs_stats)
    }

    /// How descriptor `fd` is shown.
    fn fd(&self, fd: i32) -> String {
        if (self.fd_base..self.fd_base + FD_WINDOW).contains(&fd) {
            format!("fd{}", fd - self.fd_base)
        } else {
            fd.to_string()
        }
    }

    pub fn umask(&self, mask: u32) -> u32 {
        let old = self.posix.umask(mask);
        self.lines
            .borrow_mut()
            .push(format!("umask({mask:#o}) = {old:#o}"));
        old
    }

    /// Lets the process hold descriptors up to `nth_fd(free) - 1`: `free` more
    /// than it held at the start.
    pub fn set_fd_limit(&self, free: i32) {
        self.posix.set_fd_limit((self.fd_base + free) as u64);
        self.lines.borrow_mut().push(format!(
            "setrlimit(RLIMIT_NOFILE, {})",
            self.fd(self.fd_base + free)
        ));
    }

    pub fn open(&self, path: &str, flags: i32, mode: u32) -> SysResult<i32> {
        self.open_bytes(path.as_bytes(), flags, mode)
    }

    /// `open` of a path that need not be UTF-8 or short enough to show whole.
    pub fn open_bytes(&self, path: &[u8], flags: i32, mode: u32) -> SysResult<i32> {
        let call = format!(
            "open({}, {}, {mode:#o})",
            show_path(path),
            show_open_flags(flags)
        );
        self.new_fd(call, self.posix.open(path, flags, mode))
    }

    pub fn close(&self, fd: i32) -> SysResult<()> {
        self.unit(format!("close({})", self.fd(fd)), self.posix.close(fd))
    }

    /// `read` of up to `len` bytes; the bytes read.
    pub fn read(&self, fd: i32, len: usize) -> SysResult<Vec<u8>> {
        let mut buf = vec![0u8; len];
        let result = self.posix.read(fd, &mut buf).map(|n| {
            buf.truncate(n);
            buf
        });
        self.data(format!("read({}, {len})", self.fd(fd)), result)
    }

    pub fn write(&self, fd: i32, data: &[u8]) -> SysResult<usize> {
        let call = format!("write({}, {})", self.fd(fd), show_data(data));
        self.count(call, self.posix.write(fd, data))
    }

    /// `pread` of up to `len` bytes at `offset`; the bytes read.
    pub fn pread(&self, fd: i32, len: usize, offset: i64) -> SysResult<Vec<u8>> {
        let mut buf = vec![0u8; len];
        let result = self.posix.pread(fd, &mut buf, offset).map(|n| {
            buf.truncate(n);
            buf
        });
        self.data(format!("pread({}, {len}, {offset})", self.fd(fd)), result)
    }

    pub fn pwrite(&self, fd: i32, data: &[u8], offset: i64) -> SysResult<usize> {
        let call = format!("pwrite({}, {}, {offset})", self.fd(fd), show_data(data));
        self.count(call, self.posix.pwrite(fd, data, offset))
    }

    /// `readv` into buffers of `lens`; each buffer's filled part.
    pub fn readv(&self, fd: i32, lens: &[usize]) -> SysResult<Vec<Vec<u8>>> {
        let mut bufs: Vec<Vec<u8>> = lens.iter().map(|&len| vec![0u8; len]).collect();
        let mut slices: Vec<IoSliceMut<'_>> = bufs.iter_mut().map(|b| IoSliceMut::new(b)).collect();
        let result = self.posix.readv(fd, &mut slices).map(|mut n| {
            for buf in &mut bufs {
                let filled = n.min(buf.len());
                buf.truncate(filled);
                n -= filled;
            }
            bufs
        });
        let call = format!("readv({}, {})", self.fd(fd), show_lens(lens));
        self.record(call, result, |bufs| {
            let shown: Vec<String> = bufs.iter().map(|b| show_data(b)).collect();
            format!("[{}]", shown.join(", "))
        })
    }

    pub fn writev(&self, fd: i32, parts: &[&[u8]]) -> SysResult<usize> {
        let slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
        let shown: Vec<String> = parts.iter().map(|p| show_data(p)).collect();
        let call = if parts.len() > 8 {
            format!("writev({}, {} buffers)", self.fd(fd), parts.len())
        } else {
            format!("writev({}, [{}])", self.fd(fd), shown.join(", "))
        };
        self.count(call, self.posix.writev(fd, &slices))
    }

    pub fn lseek(&self, fd: i32, offset: i64, whence: i32) -> SysResult<i64> {
        let call = format!("lseek({}, {offset}, {})", self.fd(fd), show_whence(whence));
        self.record(call, self.posix.lseek(fd, offset, whence), i64::to_string)
    }

    pub fn truncate(&self, path: &str, length: i64) -> SysResult<()> {
        let call = format!("truncate({}, {length})", show_path(path));
        self.unit(call, self.posix.truncate(path.as_bytes(), length))
    }

    pub fn ftruncate(&self, fd: i32, length: i64) -> SysResult<()> {
        let call = format!("ftruncate({}, {length})", self.fd(fd));
        self.unit(call, self.posix.ftruncate(fd, length))
    }

    pub fn stat(&self, path: &str) -> SysResult<Stat> {
        self.stat_call(
            format!("stat({})", show_path(path)),
            self.posix.stat(path.as_bytes()),
        )
    }

    pub fn lstat(&self, path: &str) -> SysResult<Stat> {
        self.stat_call(
            format!("lstat({})", show_path(path)),
            self.posix.lstat(path.as_bytes()),
        )
    }

    pub fn fstat(&self, fd: i32) -> SysResult<Stat> {
        self.stat_call(format!("fstat({})", self.fd(fd)), self.posix.fstat(fd))
    }

    /// The size of `path` (a traced `stat`).
    pub fn size(&self, path: &str) -> SysResult<i64> {
        self.stat(path).map(|st| st.size)
    }

    pub fn mkdir(&self, path: &str, mode: u32) -> SysResult<()> {
        let call = format!("mkdir({}, {mode:#o})", show_path(path));
        self.unit(call, self.posix.mkdir(path.as_bytes(), mode))
    }

    pub fn rmdir(&self, path: &str) -> SysResult<()> {
        let call = format!("rmdir({})", show_path(path));
        self.unit(call, self.posix.rmdir(path.as_bytes()))
    }

    pub fn unlink(&self, path: &str) -> SysResult<()> {
        let call = format!("unlink({})", show_path(path));
        self.unit(call, self.posix.unlink(path.as_bytes()))
    }

    pub fn rename(&self, old: &str, new: &str) -> SysResult<()> {
        let call = format!("rename({}, {})", show_path(old), show_path(new));
        self.unit(call, self.posix.rename(old.as_bytes(), new.as_bytes()))
    }

    pub fn link(&self, old: &str, new: &str) -> SysResult<()> {
        let call = format!("link({}, {})", show_path(old), show_path(new));
        self.unit(call, self.posix.link(old.as_bytes(), new.as_bytes()))
    }

    pub fn symlink(&self, target: &str, path: &str) -> SysResult<()> {
        let call = format!("symlink({}, {})", show_path(target), show_path(path));
        self.unit(call, self.posix.symlink(target.as_bytes(), path.as_bytes()))
    }

    pub fn readlink(&self, path: &str) -> SysResult<Vec<u8>> {
        let call = format!("readlink({})", show_path(path));
        self.data(call, self.posix.readlink(path.as_bytes()))
    }

    pub fn opendir(&self, path: &str) -> SysResult<i32> {
        let call = format!("opendir({})", show_path(path));
        self.new_fd(call, self.posix.opendir(path.as_bytes()))
    }

    /// One `readdir`; only for streams whose order does not matter (empty or at
    /// their end): listing order is the file system's own.
    pub fn readdir(&self, dir: i32) -> SysResult<Option<DirEntry>> {
        let call = format!("readdir({})", self.fd(dir));
        self.record(call, self.posix.readdir(dir), |entry| match entry {
            Some(entry) => entry_name(entry),
            None => "NULL".into(),
        })
    }

    pub fn rewinddir(&self, dir: i32) -> SysResult<()> {
        self.unit(
            format!("rewinddir({})", self.fd(dir)),
            self.posix.rewinddir(dir),
        )
    }

    pub fn closedir(&self, dir: i32) -> SysResult<()> {
        self.unit(
            format!("closedir({})", self.fd(dir)),
            self.posix.closedir(dir),
        )
    }

    pub fn chdir(&self, path: &str) -> SysResult<()> {
        let call = format!("chdir({})", show_path(path));
        self.unit(call, self.posix.chdir(path.as_bytes()))
    }

    pub fn fchdir(&self, fd: i32) -> SysResult<()> {
        self.unit(format!("fchdir({})", self.fd(fd)), self.posix.fchdir(fd))
    }

    /// `getcwd`, with the scratch directory shown as `$SCRATCH`.
    pub fn getcwd(&self) -> SysResult<String> {
        let result = self
            .posix
            .getcwd()
            .map(|cwd| match cwd.strip_prefix(&self.scratch[..]) {
                Some(rest) if rest.is_empty() || rest.starts_with(b"/") => {
                    format!("$SCRATCH{}", String::from_utf8_lossy(rest))
                }
                _ => String::from_utf8_lossy(&cwd).into_owned(),
            });
        self.record("getcwd()".into(), result, |cwd| format!("{cwd:?}"))
    }

    pub fn dup(&self, fd: i32) -> SysResult<i32> {
        self.new_fd(format!("dup({})", self.fd(fd)), self.posix.dup(fd))
    }

    pub fn dup2(&self, old: i32, new: i32) -> SysResult<i32> {
        let call = format!("dup2({}, {})", self.fd(old), self.fd(new));
        self.new_fd(call, self.posix.dup2(old, new))
    }

    pub fn fsync(&self, fd: i32) -> SysResult<()> {
        self.unit(format!("fsync({})", self.fd(fd)), self.posix.fsync(fd))
    }

    pub fn fdatasync(&self, fd: i32) -> SysResult<()> {
        let call = format!("fdatasync({})", self.fd(fd));
        self.unit(call, self.posix.fdatasync(fd))
    }

    pub fn chmod(&self, path: &str, mode: u32) -> SysResult<()> {
        let call = format!("chmod({}, {mode:#o})", show_path(path));
        self.unit(call, self.posix.chmod(path.as_bytes(), mode))
    }

    pub fn fchmod(&self, fd: i32, mode: u32) -> SysResult<()> {
        let call = format!("fchmod({}, {mode:#o})", self.fd(fd));
        self.unit(call, self.posix.fchmod(fd, mode))
    }

    pub fn chown(&self, path: &str, uid: u32, gid: u32) -> SysResult<()> {
        let call = format!("chown({}, {}, {})", show_path(path), uid as i32, gid as i32);
        self.unit(call, self.posix.chown(path.as_bytes(), uid, gid))
    }

    pub fn fchown(&self, fd: i32, uid: u32, gid: u32) -> SysResult<()> {
        let call = format!("fchown({}, {}, {})", self.fd(fd), uid as i32, gid as i32);
        self.unit(call, self.posix.fchown(fd, uid, gid))
    }

    pub fn utimensat(&self, path: &str, times: Option<[Time; 2]>, flags: i32) -> SysResult<()> {
        let shown = match times {
            None => "NULL".to_string(),
            Some([a, m]) => format!("[{}, {}]", show_time(a), show_time(m)),
        };
        let call = format!("utimensat({}, {shown}, {flags:#x})", show_path(path));
        self.unit(call, self.posix.utimensat(path.as_bytes(), times, flags))
    }

    pub fn access(&self, path: &str, mode: i32) -> SysResult<()> {
        let call = format!("access({}, {mode})", show_path(path));
        self.unit(call, self.posix.access(path.as_bytes(), mode))
    }

    pub fn statvfs(&self, path: &str) -> SysResult<FsStats> {
        let call = format!("statvfs({})", show_path(path));
        self.fs_stats(call, self.posix.statvfs(path.as_bytes()))
    }

    pub fn fstatvfs(&self, fd: i32) -> SysResult<FsStats> {
        let call = format!("fstatvfs({})", self.fd(fd));
        self.fs_stats(call, self.posix.fstatvfs(fd))
    }

    pub fn getfl(&self, fd: i32) -> SysResult<i32> {
        let call = format!("fcntl({}, F_GETFL)", self.fd(fd));
        self.record(call, self.posix.fcntl_getfl(fd), |&flags| {
            show_open_flags(flags)
        })
    }

    pub fn setfl(&self, fd: i32, flags: i32) -> SysResult<()> {
        let call = format!(
            "fcntl({}, F_SETFL, {})",
            self.fd(fd),
            show_open_flags(flags)
        );
        self.unit(call, self.posix.fcntl_setfl(fd, flags))
    }

    pub fn getfd(&self, fd: i32) -> SysResult<i32> {
        let call = format!("fcntl({}, F_GETFD)", self.fd(fd));
        self.record(call, self.posix.fcntl_getfd(fd), i32::to_string)
    }

    pub fn setfd(&self, fd: i32, flags: i32) -> SysResult<()> {
        let call = format!("fcntl({}, F_SETFD, {flags})", self.fd(fd));
        self.unit(call, self.posix.fcntl_setfd(fd, flags))
    }

    pub fn dupfd(&self, fd: i32, min: i32, close_on_exec: bool) -> SysResult<i32> {
        let cmd = if close_on_exec {
            "F_DUPFD_CLOEXEC"
        } else {
            "F_DUPFD"
        };
        let call = format!("fcntl({}, {cmd}, {})", self.fd(fd), self.fd(min));
        self.new_fd(call, self.posix.fcntl_dupfd(fd, min, close_on_exec))
    }

    pub fn getlk(&self, fd: i32, lock: Flock) -> SysResult<Flock> {
        let call = format!(
            "fcntl({}, F_GETLK, {})",
            self.fd(fd),
            self.show_flock(&lock)
        );
        self.record(call, self.posix.fcntl_getlk(fd, lock), |found| {
            self.show_flock(found)
        })
    }

    pub fn setlk(&self, fd: i32, lock: Flock, wait: bool) -> SysResult<()> {
        let cmd = if wait { "F_SETLKW" } else { "F_SETLK" };
        let call = format!("fcntl({}, {cmd}, {})", self.fd(fd), self.show_flock(&lock));
        self.unit(call, self.posix.fcntl_setlk(fd, lock, wait))
    }

    pub fn flock(&self, fd: i32, operation: i32) -> SysResult<()> {
        let call = format!("flock({}, {})", self.fd(fd), show_flock_op(operation));
        self.unit(call, self.posix.flock(fd, operation))
    }

    fn show_flock(&self, lock: &Flock) -> String {
        let l_type = match i32::from(lock.l_type) {
            libc::F_RDLCK => "F_RDLCK".to_string(),
            libc::F_WRLCK => "F_WRLCK".to_string(),
            libc::F_UNLCK => "F_UNLCK".to_string(),
            other => other.to_string(),
        };
        let pid = if lock.pid == self.posix.pid() {
            "self".to_string()
        } else {
            lock.pid.to_string()
        };
        format!(
            "{{{l_type}, {}, start={}, len={}, pid={pid}}}",
            show_whence(i32::from(lock.whence)),
            lock.start,
            lock.len
        )
    }
}

fn errno_name(errno: i32) -> String {
    vfs_core::Errno::from_raw(errno)
        .and_then(|e| e.name())
        .map_or_else(|| format!("errno {errno}"), str::to_string)
}

fn show_result<T: Debug>(result: &SysResult<T>) -> String {
    match result {
        Ok(value) => format!("Ok({value:?})"),
        Err(errno) => errno_name(*errno),
    }
}

fn show_path(path: impl AsRef<[u8]>) -> String {
    let path = path.as_ref();
    if path.len() > SHOWN_DATA {
        format!("<{} bytes>", path.len())
    } else {
        format!("{:?}", String::from_utf8_lossy(path))
    }
}

/// Short data byte by byte, long data as length and FNV-1a hash.
fn show_data(data: &[u8]) -> String {
    if data.len() <= SHOWN_DATA {
        return format!("b\"{}\"", data.escape_ascii());
    }
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("<{} bytes, fnv {hash:016x}>", data.len())
}

fn show_lens(lens: &[usize]) -> String {
    if lens.len() > 8 {
        format!("{} buffers", lens.len())
    } else {
        format!("{lens:?}")
    }
}

fn show_stat(st: &Stat) -> String {
    let (kind, size) = match st.mode & libc::S_IFMT {
        libc::S_IFREG => ("reg", Some(st.size)),
        libc::S_IFDIR => ("dir", None),
        libc::S_IFLNK => ("lnk", Some(st.size)),
        _ => ("other", None),
    };
    let size = size.map_or(String::new(), |size| format!(" size={size}"));
    format!(
        "{{{kind} {:04o} nlink={} uid={} gid={}{size}}}",
        st.mode & 0o7777,
        st.nlink,
        st.uid,
        st.gid
    )
}

fn show_fs_stats(st: &FsStats) -> String {
    let consistent =
        st.block_size > 0 && st.blocks_free <= st.blocks && st.blocks_available <= st.blocks_free;
    format!("{{name_max={} consistent={consistent}}}", st.name_max)
}

fn show_time(t: Time) -> String {
    match t.nsec {
        libc::UTIME_NOW => "UTIME_NOW".into(),
        libc::UTIME_OMIT => "UTIME_OMIT".into(),
        nsec => format!("{}.{nsec:09}", t.sec),
    }
}

fn entry_name(entry: &DirEntry) -> String {
    let suffix = match entry.d_type {
        libc::DT_DIR => "/",
        libc::DT_LNK => "@",
        libc::DT_REG => "",
        _ => "?",
    };
    format!("{}{suffix}", String::from_utf8_lossy(&entry.name))
}

fn show_whence(whence: i32) -> String {
    match whence {
        libc::SEEK_SET => "SEEK_SET".into(),
        libc::SEEK_CUR => "SEEK_CUR".into(),
        libc::SEEK_END => "SEEK_END".into(),
        other => other.to_string(),
    }
}

fn show_flock_op(operation: i32) -> String {
    let base = match operation & !libc::LOCK_NB {
        libc::LOCK_SH => "LOCK_SH".to_string(),
        libc::LOCK_EX => "LOCK_EX".to_string(),
        libc::LOCK_UN => "LOCK_UN".to_string(),
        other => other.to_string(),
    };
    if operation & libc::LOCK_NB != 0 {
        format!("{base}|LOCK_NB")
    } else {
        base
    }
}

/// `O_*` flags by name, the access mode first (unknown bits in octal).
fn show_open_flags(flags: i32) -> String {
    const NAMED: [(i32, &str); 12] = [
        (libc::O_CREAT, "O_CREAT"),
        (libc::O_EXCL, "O_EXCL"),
        (libc::O_TRUNC, "O_TRUNC"),
        (libc::O_APPEND, "O_APPEND"),
        (libc::O_DIRECTORY, "O_DIRECTORY"),
        (libc::O_NOFOLLOW, "O_NOFOLLOW"),
        (libc::O_CLOEXEC, "O_CLOEXEC"),
        (libc::O_NONBLOCK, "O_NONBLOCK"),
        (libc::O_NOATIME, "O_NOATIME"),
        (libc::O_SYNC, "O_SYNC"),
        (libc::O_DSYNC, "O_DSYNC"),
        (libc::O_NOCTTY, "O_NOCTTY"),
    ];
    let mut names = vec![match flags & libc::O_ACCMODE {
        libc::O_RDONLY => "O_RDONLY".to_string(),
        libc::O_WRONLY => "O_WRONLY".to_string(),
        libc::O_RDWR => "O_RDWR".to_string(),
        _ => "O_ACCMODE".to_string(),
    }];
    let mut rest = flags & !libc::O_ACCMODE;
    for (bit, name) in NAMED {
        if rest & bit == bit {
            names.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        names.push(format!("{rest:#o}"));
    }
    names.join("|")
}
