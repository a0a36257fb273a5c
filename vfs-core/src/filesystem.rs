//! The mount-level trait a backend implements.

use crate::attr::FsStat;
use crate::capability::Capabilities;
use crate::errno::Result;
use crate::vnode::Vnode;
use async_trait::async_trait;
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
