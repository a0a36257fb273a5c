//! The per-open-file trait a backend implements.

use crate::errno::{Errno, Result};
use async_trait::async_trait;

/// State of one open of a regular file (an open file description without the file
/// offset, which belongs to the frontend). Per-open state such as a write-behind
/// buffer or a readahead window lives here, not in the [`crate::Vnode`].
///
/// The namespace has already checked the access mode: `read_at` is only called on
/// files opened for reading, `write_at`/`append` only on files opened for writing.
#[async_trait]
pub trait OpenFile: Send + Sync + 'static {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read, 0 at or
    /// past end of file. Holes read as zeros. May return fewer bytes than asked
    /// only at end of file.
    ///
    /// Errors: `EIO`; `EINVAL` when `offset` exceeds what the backend can address.
    async fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;

    /// [`OpenFile::read_at`] without a future, for a backend that can answer on the
    /// spot (its data in memory, or in a cache it can check without waiting).
    /// `Some` is exactly what `read_at` would have returned, errors included;
    /// `None` means "not without waiting": the caller then calls `read_at`, so a
    /// backend may answer `None` for some reads and `Some` for others. It must never
    /// block on I/O or on a lock held across an `.await`.
    ///
    /// Callers try it first: a blocking frontend skips its executor, an async one
    /// the boxed future, which on an in-memory file cost as much as the copy.
    /// The default answers `None` for every read, which is always correct.
    ///
    /// Errors: as [`OpenFile::read_at`].
    fn read_at_now(&self, offset: u64, buf: &mut [u8]) -> Option<Result<usize>> {
        let _ = (offset, buf);
        None
    }

    /// Writes `data` at `offset`, extending the file (with a hole if `offset` is past
    /// the end); returns how many bytes were written, all of them unless an error
    /// stopped it part way.
    ///
    /// Errors: `ENOSPC`, `EDQUOT` (no room), `EFBIG` (past the backend's maximum
    /// size), `EIO`.
    async fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize>;

    /// Appends `data` at the end of the file atomically with respect to every other
    /// write of this backend; returns the offset the data landed at and how many bytes
    /// were written. Backends declaring `atomic_append` implement it; the namespace
    /// emulates it for the others.
    ///
    /// Errors: as [`OpenFile::write_at`]; `EOPNOTSUPP` by default.
    async fn append(&self, data: &[u8]) -> Result<(u64, usize)> {
        let _ = data;
        Err(Errno::EOPNOTSUPP.into())
    }

    /// Whether [`OpenFile::flush`] or [`OpenFile::release`] has anything to do for
    /// this open. A backend whose opens buffer nothing and hold nothing answers
    /// `false`, and closing the file then calls neither (nor pays for their
    /// futures). The default, `true`, is always correct.
    fn needs_close(&self) -> bool {
        true
    }

    /// Pushes buffered writes to the backend's store (called on every `close` of a
    /// descriptor, like `flush` in Linux's `file_operations`). Errors of earlier
    /// buffered writes are reported here.
    ///
    /// Errors: `EIO`, `ENOSPC`, `EDQUOT`.
    async fn flush(&self) -> Result<()> {
        Ok(())
    }

    /// Makes the file's data (and metadata unless `data_only`) durable.
    ///
    /// Errors: `EIO`, `ENOSPC`, `EDQUOT`.
    async fn fsync(&self, data_only: bool) -> Result<()> {
        let _ = data_only;
        Ok(())
    }

    /// The last close: release per-open state. Called once; the object is dropped
    /// afterwards.
    ///
    /// Errors: `EIO` (a deferred write failed).
    async fn release(&self) -> Result<()> {
        Ok(())
    }
}
