//! [`NfsFile`]: one open of a regular file as a [`vfs_core::OpenFile`].
//!
//! Reads go to the server, through this open's readahead window when they are
//! sequential (`readahead`); the window is this open's own, so a new open starts
//! with nothing cached and close-to-open needs no invalidation beyond the GETATTR
//! at open. Writes are UNSTABLE WRITEs sent in the background (`write_behind`)
//! whose data the node keeps until committed; `flush` (every close), `fsync` and
//! `release` wait for them, COMMIT, and report any failure not yet reported. `append` keeps the default: NFSv3 has no atomic append, so the
//! namespace emulates it and the capability is not declared.

use crate::node::NfsNode;
use crate::reactor;
use crate::readahead::Readahead;
use async_trait::async_trait;
use nfs3_types::nfs3::stable_how;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use vfs_core::{OpenFile, OpenFlags, Result};

/// One open of a regular file.
pub struct NfsFile {
    node: Arc<NfsNode>,
    stable: stable_how,
    released: AtomicBool,
    readahead: Readahead,
}

impl NfsFile {
    /// Opens `node` with `flags`; counts the open (for silly rename).
    pub fn new(node: Arc<NfsNode>, flags: OpenFlags) -> NfsFile {
        node.opens.fetch_add(1, Ordering::AcqRel);
        node.state.open_files.fetch_add(1, Ordering::AcqRel);
        let stable = if flags.contains(OpenFlags::SYNC) {
            stable_how::FILE_SYNC
        } else if flags.contains(OpenFlags::DSYNC) {
            stable_how::DATA_SYNC
        } else {
            stable_how::UNSTABLE
        };
        NfsFile {
            readahead: Readahead::new(node.state.clone()),
            node,
            stable,
            released: AtomicBool::new(false),
        }
    }
}

#[async_trait]
impl OpenFile for NfsFile {
    async fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        // This mount's writes still in flight land first: a read sees them.
        self.node.drain_writes().await;
        self.readahead.read(&self.node, offset, buf).await
    }

    async fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize> {
        self.node.write(offset, data, self.stable).await
    }

    async fn flush(&self) -> Result<()> {
        self.node.commit().await
    }

    async fn fsync(&self, _data_only: bool) -> Result<()> {
        self.node.commit().await
    }

    async fn release(&self) -> Result<()> {
        if self.released.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let committed = self.node.commit().await;
        let closed = self.node.closed().await;
        committed.and(closed)
    }
}

impl Drop for NfsFile {
    /// An open dropped without `release` (a frontend that lost it) still commits
    /// and ends its open, in the background: a silly-renamed file must not stay.
    fn drop(&mut self) {
        if !self.released.swap(true, Ordering::AcqRel) {
            let node = self.node.clone();
            drop(reactor::spawn(async move {
                let _ = node.commit().await;
                let _ = node.closed().await;
            }));
        }
    }
}
