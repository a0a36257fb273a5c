//! The mount-level trait a backend implements.

use crate::attr::FsStat;
use crate::capability::Capabilities;
use crate::errno::Result;
use crate::vnode::Vnode;
use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// One mounted instance of a backend: what `mount` returns and the namespace keeps.
///
/// Implementations are shared as `Arc<dyn Filesystem>` by any number of threads and
/// tasks and must not assume an executor: their futures are polled from tokio, from
/// another runtime or from `futures::executor::block_on`.
#[async_trait]
pub trait Filesystem: Send + Sync + 'static {
    /// The root directory. Called once when mounted; must stay valid until unmount.
    fn root(&self) -> Arc<dyn Vnode>;

    /// What this backend supports; constant for the life of the mount.
    fn capabilities(&self) -> Capabilities;

    /// A short description for messages, such as the URL it was mounted from.
    fn describe(&self) -> String;

    /// The counter of this file system's name changes, for a backend all of whose
    /// changes go through it (such as an in-memory one); `None` (the default) when
    /// anything else may change it (a network file system's server, another client).
    ///
    /// With a counter, the namespace may answer a walk it made before from memory
    /// while the counter stands where it stood when that walk began, instead of
    /// asking the backend again for each component. So the backend must
    /// [`advance`](NamesVersion::advance) it after every change that could make a
    /// walk end elsewhere or fail: an entry added, removed or replaced in any
    /// directory (create, mkdir, symlink, mknod, link, unlink, rmdir, rename), a
    /// directory's removal, and a change of any node's mode, owner or group (search
    /// permission). Called once, when mounted.
    fn names_version(&self) -> Option<Arc<NamesVersion>> {
        None
    }

    /// Space and inode figures, as `statvfs` reports them.
    ///
    /// Errors: `EIO` (backend failure), `ENOSYS` when the backend has no figures.
    async fn statfs(&self) -> Result<FsStat>;

    /// Makes everything written so far durable (`syncfs`).
    ///
    /// Errors: `EIO`, `ENOSPC`, `EDQUOT` (data could not be stored).
    async fn sync(&self) -> Result<()> {
        Ok(())
    }

    /// Called once, after the namespace has detached the mount and no open file or
    /// cwd refers to it any more: flush and release resources.
    ///
    /// Errors: `EIO` (data could not be flushed; the mount is gone regardless).
    async fn unmount(&self) -> Result<()> {
        Ok(())
    }
}

/// A counter a backend advances after each change to its names (see
/// [`Filesystem::names_version`]).
#[derive(Debug, Default)]
pub struct NamesVersion(AtomicU64);

impl NamesVersion {
    /// Records that a change was made. Call it once the change is visible to
    /// lookups, never before: a walk that reads the counter first must either see
    /// the change or see the counter move.
    pub fn advance(&self) {
        self.0.fetch_add(1, Ordering::Release);
    }

    /// The count of changes so far.
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}
