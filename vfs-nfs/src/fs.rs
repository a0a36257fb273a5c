//! [`NfsFs`]: one mounted export as a [`vfs_core::Filesystem`].

use crate::connect;
use crate::node::NfsNode;
use crate::proc_fs::{fs_stat_of, fsstat};
use crate::state::MountState;
use async_trait::async_trait;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use vfs_core::{Capabilities, Errno, Error, FileType, Filesystem, FsStat, Name, Result, Vnode};

/// A directory this mount made for itself (`scratch`), removed at unmount.
pub struct ScratchDir {
    /// The directory holding it.
    pub parent: Arc<NfsNode>,
    /// Its name there.
    pub name: Name,
}

/// An NFSv3 export (or a directory in one) mounted as a file system. Make one with
/// [`NfsFs::mount`] or through the registry after [`crate::register`].
///
/// All of it is shared by any number of threads and tasks over one connection set;
/// its futures run under any executor (the sockets live on the backend's own I/O
/// threads).
pub struct NfsFs {
    state: Arc<MountState>,
    root: Arc<NfsNode>,
    scratch: Option<ScratchDir>,
}

impl NfsFs {
    /// Mounts the export `url` names (`nfs://host[:port]/export[/dir][?options]`);
    /// see [`crate::NfsUrl`] for the options.
    ///
    /// Errors: `EINVAL` (a bad URL), `ECONNREFUSED`/`ETIMEDOUT`/`EHOSTUNREACH`
    /// (server unreachable), `EACCES`/`ENOENT` (the server refuses the export or
    /// the path), `ENOTDIR`, `EIO`; the context names server, export and cause.
    pub async fn mount(url: &str) -> Result<NfsFs> {
        let parsed = crate::NfsUrl::parse(url).map_err(|e| e.context_prefix(url))?;
        crate::factory::mount(parsed).await
    }

    pub(crate) fn new(
        state: Arc<MountState>,
        root: Arc<NfsNode>,
        scratch: Option<ScratchDir>,
    ) -> NfsFs {
        NfsFs {
            state,
            root,
            scratch,
        }
    }

    /// How many calls of each NFS procedure this mount has sent so far.
    pub fn rpc_counts(&self) -> crate::RpcCounts {
        self.state.client.counters.snapshot()
    }

    /// Commits every file with uncommitted writes; the first error is returned,
    /// every file is still tried.
    async fn commit_all(&self) -> Result<()> {
        let mut first: Option<Error> = None;
        for node in self.state.live_nodes() {
            if node.kept_if_made().is_some_and(|kept| !kept.is_empty()) {
                if let Err(e) = node.commit().await {
                    first.get_or_insert(e);
                }
            }
        }
        first.map_or(Ok(()), Err)
    }
}

impl std::fmt::Debug for NfsFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NfsFs")
            .field("url", &self.state.url.text)
            .field("caps", &self.state.caps)
            .finish()
    }
}

impl Drop for NfsFs {
    fn drop(&mut self) {
        // The kept nodes hold the state; without this the mount would never go.
        self.state.release_kept();
    }
}

#[async_trait]
impl Filesystem for NfsFs {
    fn root(&self) -> Arc<dyn Vnode> {
        self.root.clone()
    }

    fn capabilities(&self) -> Capabilities {
        self.state.caps
    }

    fn describe(&self) -> String {
        self.state.url.text.clone()
    }

    async fn statfs(&self) -> Result<FsStat> {
        let stat = fsstat(&self.state.client, &self.state.root_fh).await?;
        Ok(fs_stat_of(&stat, self.state.limits.name_max))
    }

    async fn sync(&self) -> Result<()> {
        self.commit_all().await
    }

    async fn unmount(&self) -> Result<()> {
        let committed = self.commit_all().await;
        // Files still open (the namespace refuses unmount while it knows of any,
        // but a frontend may have leaked one) lose their silly names now.
        for node in self.state.live_nodes() {
            let silly = node.silly.lock().take();
            if let Some(silly) = silly {
                silly.dir.remove_silly(&silly.name).await;
            }
        }
        let removed = match &self.scratch {
            Some(scratch) => remove_tree(scratch.parent.clone(), scratch.name.clone()).await,
            None => Ok(()),
        };
        self.state.release_kept();
        let origin = &self.state.origin;
        connect::unmount(
            origin.address,
            origin.path.clone(),
            origin.credential.clone(),
            self.state.url.timeo,
        )
        .await;
        committed.and(removed)
    }
}

/// Removes `name` in `dir` with everything below it.
pub fn remove_tree(
    dir: Arc<NfsNode>,
    name: Name,
) -> Pin<Box<dyn Future<Output = Result<()>> + Send>> {
    Box::pin(async move {
        let node = match dir.lookup_child(&name).await {
            Ok(node) => node,
            Err(e) if e.errno() == Errno::ENOENT => return Ok(()),
            Err(e) => return Err(e),
        };
        if node.file_type != FileType::Directory {
            return dir.remove_rpc(&name).await;
        }
        loop {
            let page = node.list(0, 512).await?;
            if page.entries.is_empty() {
                break;
            }
            for entry in page.entries {
                remove_tree(node.clone(), entry.name).await?;
            }
        }
        dir.remove_dir(&name).await
    })
}
