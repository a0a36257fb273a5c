//! The descriptor table: small integers naming open file descriptions.

use crate::ofd::OpenFileDescription;
use std::sync::Arc;
use vfs_core::{Errno, Error, Result};

/// A file descriptor number.
pub type Fd = i32;

/// The default most descriptors a process may hold (Linux's default soft limit).
pub const DEFAULT_FD_LIMIT: usize = 1024;

/// One slot: the shared open file description and the per-descriptor flag.
#[derive(Clone)]
pub(crate) struct FdEntry {
    pub ofd: Arc<OpenFileDescription>,
    pub close_on_exec: bool,
}

/// Slots indexed by descriptor number. POSIX wants the lowest free number for every
/// new descriptor, which a slab's most-recently-freed reuse does not give, so this
/// scans a vector: the table is small and a scan costs nothing next to any file
/// system call.
pub(crate) struct FdTable {
    slots: Vec<Option<FdEntry>>,
    limit: usize,
}

impl FdTable {
    pub fn new(limit: usize) -> FdTable {
        FdTable {
            slots: Vec::new(),
            limit,
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The same table with another limit.
    pub fn with_limit(mut self, limit: usize) -> FdTable {
        self.limit = limit;
        self
    }

    /// True when a new descriptor would fit.
    pub fn has_room(&self) -> bool {
        self.slots.iter().any(Option::is_none) || self.slots.len() < self.limit
    }

    /// Stores `entry` at the lowest free number at or above `min`.
    ///
    /// Errors, with `entry` handed back: `EMFILE` (no free number below the
    /// limit), `EINVAL` (`min` at or past the limit).
    pub fn insert(&mut self, entry: FdEntry, min: usize) -> Result<Fd, (Error, FdEntry)> {
        if min >= self.limit {
            let problem = format!("descriptor {min} is past the limit {}", self.limit);
            return Err((Errno::EINVAL.with(problem), entry));
        }
        let free = (min..self.slots.len()).find(|&fd| self.slots[fd].is_none());
        let fd = match free {
            Some(fd) => fd,
            None if self.slots.len().max(min) < self.limit => {
                let fd = self.slots.len().max(min);
                self.slots.resize(fd + 1, None);
                fd
            }
            None => {
                let problem = format!("all {} descriptors in use", self.limit);
                return Err((Errno::EMFILE.with(problem), entry));
            }
        };
        self.slots[fd] = Some(entry);
        Ok(fd as Fd)
    }

    /// Stores `entry` at exactly `fd`, returning what was there (`dup2`).
    ///
    /// Errors: `EBADF` (`fd` negative or past the limit).
    pub fn replace(&mut self, fd: Fd, entry: FdEntry) -> Result<Option<FdEntry>> {
        let index = self
            .index(fd)
            .filter(|&i| i < self.limit)
            .ok_or(Errno::EBADF)?;
        if index >= self.slots.len() {
            self.slots.resize(index + 1, None);
        }
        Ok(self.slots[index].replace(entry))
    }

    /// The entry of `fd`. Errors: `EBADF`.
    #[inline]
    pub fn get(&self, fd: Fd) -> Result<&FdEntry> {
        match self.index(fd).and_then(|i| self.slots.get(i)) {
            Some(Some(entry)) => Ok(entry),
            _ => Err(not_open(fd)),
        }
    }

    /// The entry of `fd`, for changing its flag. Errors: `EBADF`.
    pub fn get_mut(&mut self, fd: Fd) -> Result<&mut FdEntry> {
        self.index(fd)
            .and_then(|i| self.slots.get_mut(i))
            .and_then(Option::as_mut)
            .ok_or_else(|| not_open(fd))
    }

    /// Frees `fd`, returning its entry. Errors: `EBADF`.
    pub fn remove(&mut self, fd: Fd) -> Result<FdEntry> {
        let entry = self
            .index(fd)
            .and_then(|i| self.slots.get_mut(i))
            .and_then(Option::take)
            .ok_or_else(|| not_open(fd))?;
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        Ok(entry)
    }

    fn index(&self, fd: Fd) -> Option<usize> {
        usize::try_from(fd).ok()
    }
}

/// `EBADF` for a descriptor that is not open; out of line, as it is rare.
#[cold]
fn not_open(fd: Fd) -> Error {
    Errno::EBADF.with(format!("descriptor {fd} is not open"))
}
