//! One open of a regular file.

use crate::node::RamNode;
use async_trait::async_trait;
use std::sync::Arc;
use vfs_core::{OpenFile, OpenFlags, Result};

/// An open file. It holds the inode itself, not a name, so a file unlinked while
/// open stays readable and writable, and its memory goes when the last open does.
/// Nothing is buffered: every call goes straight to the inode.
pub(crate) struct RamFile {
    node: Arc<RamNode>,
    noatime: bool,
}

impl RamFile {
    pub(crate) fn new(node: Arc<RamNode>, flags: OpenFlags) -> RamFile {
        RamFile {
            node,
            noatime: flags.contains(OpenFlags::NOATIME),
        }
    }
}

#[async_trait]
impl OpenFile for RamFile {
    async fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.node.read(offset, buf, self.noatime)
    }

    /// Always answers: the data is in memory and the inode's lock is never held
    /// across an `.await`.
    fn read_at_now(&self, offset: u64, buf: &mut [u8]) -> Option<Result<usize>> {
        Some(self.node.read(offset, buf, self.noatime))
    }

    async fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize> {
        self.node
            .write(Some(offset), data)
            .map(|(_, written)| written)
    }

    async fn append(&self, data: &[u8]) -> Result<(u64, usize)> {
        self.node.write(None, data)
    }
}
