//! Opens of a regular file.
//!
//! An open holds the inode itself, not a name, so a file unlinked while open stays
//! readable and writable, and its memory goes when the last open does. Nothing is
//! buffered: every call goes straight to the inode. An ordinary open is the inode
//! (one reference count, no allocation per `open`); an `O_NOATIME` open wraps it
//! to read without touching the access time.

use crate::node::RamNode;
use async_trait::async_trait;
use std::sync::Arc;
use vfs_core::{OpenFile, OpenFlags, Result};

/// The open file of `node` for `flags`.
pub(crate) fn open(node: Arc<RamNode>, flags: OpenFlags) -> Arc<dyn OpenFile> {
    if flags.contains(OpenFlags::NOATIME) {
        Arc::new(NoAtime(node))
    } else {
        node
    }
}

/// Reads of an ordinary open: the access time follows, as `relatime` has it.
#[async_trait]
impl OpenFile for RamNode {
    async fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.read(offset, buf, false)
    }

    /// Always answers: the data is in memory and the inode's lock is never held
    /// across an `.await`.
    fn read_at_now(&self, offset: u64, buf: &mut [u8]) -> Option<Result<usize>> {
        Some(self.read(offset, buf, false))
    }

    async fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize> {
        self.write_at_offset(offset, data)
    }

    async fn append(&self, data: &[u8]) -> Result<(u64, usize)> {
        self.write(None, data)
    }

    /// Nothing is buffered and nothing held but the inode's reference.
    fn needs_close(&self) -> bool {
        false
    }
}

/// An `O_NOATIME` open: reads leave the access time alone.
struct NoAtime(Arc<RamNode>);

#[async_trait]
impl OpenFile for NoAtime {
    async fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.0.read(offset, buf, true)
    }

    fn read_at_now(&self, offset: u64, buf: &mut [u8]) -> Option<Result<usize>> {
        Some(self.0.read(offset, buf, true))
    }

    async fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize> {
        self.0.write_at_offset(offset, data)
    }

    async fn append(&self, data: &[u8]) -> Result<(u64, usize)> {
        self.0.write(None, data)
    }

    fn needs_close(&self) -> bool {
        false
    }
}
