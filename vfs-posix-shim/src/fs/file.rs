//! [`File`]: an open descriptor of a process, owned like `std::fs::File`.

use super::{Fs, Metadata, OpenOptions, Permissions};
use crate::fd_table::Fd;
use crate::file_calls::{Whence, IOV_MAX};
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::SystemTime;
use vfs_core::{SetTime, Timespec};

/// An open file of a process ([`std::fs::File`]): `Read`, `Write` and `Seek`, also
/// through `&File` (the offset lives in the open file description, as in POSIX).
/// Dropping it closes the descriptor and ignores close errors, as std does; call
/// [`File::sync_all`] first where they matter.
pub struct File {
    pub(super) fs: Fs,
    fd: Fd,
}

impl File {
    /// Opens `path` read-only ([`std::fs::File::open`]).
    ///
    /// Errors: `ENOENT`, `EACCES`, `ENOTDIR`, `ELOOP`, `EMFILE`, ...
    pub fn open(fs: &Fs, path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(fs, path)
    }

    /// Opens `path` write-only, creating it or truncating it
    /// ([`std::fs::File::create`]).
    ///
    /// Errors: `EISDIR`, `ENOENT` (missing parent), `EACCES`, `EROFS`, ...
    pub fn create(fs: &Fs, path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(fs, path)
    }

    /// Creates `path` and opens it read-write; fails if the name exists, even as a
    /// dangling symlink ([`std::fs::File::create_new`]).
    ///
    /// Errors: `EEXIST`, then as [`File::create`].
    pub fn create_new(fs: &Fs, path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(fs, path)
    }

    /// Options to open a file with ([`std::fs::File::options`]); the same as
    /// [`OpenOptions::new`].
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Takes ownership of descriptor `fd` of `fs`'s process (opened through its
    /// POSIX calls): the `File` closes it when dropped, so nothing else may close it.
    pub fn from_raw_fd(fs: &Fs, fd: Fd) -> File {
        File { fs: fs.clone(), fd }
    }

    /// The descriptor, for the process's POSIX calls (locks, `fcntl`, ...); it stays
    /// owned by this `File`.
    pub fn as_raw_fd(&self) -> Fd {
        self.fd
    }

    /// Flushes data and metadata to the backend's storage
    /// ([`std::fs::File::sync_all`], `fsync`).
    ///
    /// Errors: the backend's (`EIO`, ...).
    pub fn sync_all(&self) -> io::Result<()> {
        Ok(self.fs.posix().fsync(self.fd)?)
    }

    /// Flushes data, and the metadata needed to read it back
    /// ([`std::fs::File::sync_data`], `fdatasync`).
    ///
    /// Errors: the backend's.
    pub fn sync_data(&self) -> io::Result<()> {
        Ok(self.fs.posix().fdatasync(self.fd)?)
    }

    /// Truncates or extends (with zeros) the file to `size` bytes, leaving the
    /// offset where it is ([`std::fs::File::set_len`]).
    ///
    /// Errors: `EINVAL` (not open for writing, or not a regular file), `EFBIG`,
    /// `EROFS`; `InvalidInput` when `size` exceeds `i64::MAX`, as std says.
    pub fn set_len(&self, size: u64) -> io::Result<()> {
        let size =
            i64::try_from(size).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        Ok(self.fs.posix().ftruncate(self.fd, size)?)
    }

    /// The metadata of the open file ([`std::fs::File::metadata`]).
    ///
    /// Errors: the backend's.
    pub fn metadata(&self) -> io::Result<Metadata> {
        let description = self.fs.process.description(self.fd)?;
        Metadata::of(description.handle.location())
    }

    /// A second `File` for the same open file description: the offset and status
    /// flags are shared ([`std::fs::File::try_clone`], `dup`).
    ///
    /// Errors: `EMFILE`.
    pub fn try_clone(&self) -> io::Result<File> {
        let fd = self.fs.process.dup_from(self.fd, 0, true)?;
        Ok(File::from_raw_fd(&self.fs, fd))
    }

    /// Sets the permission bits ([`std::fs::File::set_permissions`], `fchmod`).
    ///
    /// Errors: `EPERM` (not the owner), `EROFS`.
    pub fn set_permissions(&self, permissions: Permissions) -> io::Result<()> {
        let mode = permissions.mode();
        Ok(self.fs.posix().fchmod(self.fd, mode)?)
    }

    /// Sets the access and/or modification time ([`std::fs::File::set_times`],
    /// `futimens`); a time not set in `times` is left alone.
    ///
    /// Errors: `EPERM`, `EROFS`.
    pub fn set_times(&self, times: FileTimes) -> io::Result<()> {
        let as_set_time = |time: Option<SystemTime>| time.map(|t| SetTime::At(Timespec::from(t)));
        Ok(self.fs.posix().futimens(
            self.fd,
            as_set_time(times.accessed),
            as_set_time(times.modified),
        )?)
    }

    /// Sets the modification time ([`std::fs::File::set_modified`]).
    ///
    /// Errors: as [`File::set_times`].
    pub fn set_modified(&self, time: SystemTime) -> io::Result<()> {
        self.set_times(FileTimes::new().set_modified(time))
    }

    /// The size to reserve before reading the whole file: its length when known.
    pub(super) fn size_hint(&self) -> usize {
        self.metadata().map_or(0, |metadata| {
            usize::try_from(metadata.len()).unwrap_or(usize::MAX)
        })
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // As std: a close error cannot be reported from drop.
        let _ = self.fs.posix().close(self.fd);
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File").field("fd", &self.fd).finish()
    }
}

impl Read for &File {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.fs.posix().read(self.fd, buf)?)
    }

    /// One `readv`; like std, only the first [`IOV_MAX`] buffers are used.
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let count = bufs.len().min(IOV_MAX);
        Ok(self.fs.posix().readv(self.fd, &mut bufs[..count])?)
    }
}

impl Write for &File {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.fs.posix().write(self.fd, buf)?)
    }

    /// One `writev`; like std, only the first [`IOV_MAX`] buffers are used.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let count = bufs.len().min(IOV_MAX);
        Ok(self.fs.posix().writev(self.fd, &bufs[..count])?)
    }

    /// Nothing to do: writes are not buffered here.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for &File {
    /// `lseek`. As std does, `SeekFrom::Start` beyond `i64::MAX` is passed on as a
    /// negative offset, which fails with `EINVAL`.
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let (offset, whence) = match pos {
            SeekFrom::Start(offset) => (offset as i64, Whence::Set),
            SeekFrom::Current(offset) => (offset, Whence::Current),
            SeekFrom::End(offset) => (offset, Whence::End),
        };
        Ok(self.fs.posix().lseek(self.fd, offset, whence)?)
    }
}

impl Read for File {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for File {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

impl Seek for File {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        (&*self).seek(pos)
    }
}

/// Positioned I/O that leaves the offset alone (`pread`/`pwrite`); `read_exact_at`
/// and `write_all_at` come with the trait. As with std, an offset beyond
/// `i64::MAX` is passed on as a negative one, which fails with `EINVAL`.
impl std::os::unix::fs::FileExt for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        Ok(self.fs.posix().pread(self.fd, buf, offset as i64)?)
    }

    /// A descriptor opened for appending writes at the end regardless of
    /// `offset`, as on Linux.
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        Ok(self.fs.posix().pwrite(self.fd, buf, offset as i64)?)
    }
}

/// Times to set with [`File::set_times`] ([`std::fs::FileTimes`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct FileTimes {
    accessed: Option<SystemTime>,
    modified: Option<SystemTime>,
}

impl FileTimes {
    /// No times: setting it changes nothing.
    pub fn new() -> FileTimes {
        FileTimes::default()
    }

    /// Sets the access time to set.
    pub fn set_accessed(mut self, time: SystemTime) -> FileTimes {
        self.accessed = Some(time);
        self
    }

    /// Sets the modification time to set.
    pub fn set_modified(mut self, time: SystemTime) -> FileTimes {
        self.modified = Some(time);
        self
    }
}
