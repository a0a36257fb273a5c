//! The file system: options, what all nodes of one instance share, and the
//! [`Filesystem`] implementation.

use crate::data::PAGE_SIZE;
use crate::dir::Directory;
use crate::node::{Body, RamNode};
use crate::pool::PagePool;
use crate::quota::Quota;
use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use vfs_core::sole_thread::{SoleMutex, SoleMutexGuard, SoleThread};
use vfs_core::{
    Capabilities, FileType, Filesystem, FsStat, NamesVersion, NewNode, Result, Timespec, Vnode,
    NAME_MAX,
};

/// What `statfs` reports as the capacity of an unlimited file system: `off_t`'s
/// range in pages, and as many inodes. Usage is exact either way.
const NOMINAL_PAGES: u64 = i64::MAX as u64 / PAGE_SIZE as u64;
const NOMINAL_INODES: u64 = i64::MAX as u64;

/// How a [`RamFs`] is set up; the fields mirror tmpfs's mount options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RamFsOptions {
    /// Most bytes of file data (and long symlink targets) it holds, rounded up to
    /// whole 4 KiB pages (tmpfs `size=`); `None` for no limit. Writes beyond it fail
    /// with `ENOSPC`.
    pub size_limit: Option<u64>,
    /// Most inodes, the root included, with each extra hard link counted as one, as
    /// tmpfs does (`nr_inodes=`); `None` for no limit.
    pub inode_limit: Option<u64>,
    /// Mode, owner and group of the root directory (tmpfs `mode=`, `uid=`, `gid=`).
    pub root: NewNode,
}

impl Default for RamFsOptions {
    /// No limits; the root is `1777` and owned by root, as a fresh tmpfs.
    fn default() -> Self {
        RamFsOptions {
            size_limit: None,
            inode_limit: None,
            root: NewNode {
                mode: 0o1777,
                uid: 0,
                gid: 0,
            },
        }
    }
}

impl RamFsOptions {
    /// The options as a `ram://` URL that [`crate::RamFactory`] turns back into them.
    pub fn to_url(&self) -> String {
        let defaults = RamFsOptions::default();
        let mut query = Vec::new();
        if let Some(size) = self.size_limit {
            query.push(format!("size={size}"));
        }
        if let Some(inodes) = self.inode_limit {
            query.push(format!("nr_inodes={inodes}"));
        }
        if self.root.mode != defaults.root.mode {
            query.push(format!("mode={:04o}", self.root.mode & 0o7777));
        }
        if self.root.uid != defaults.root.uid {
            query.push(format!("uid={}", self.root.uid));
        }
        if self.root.gid != defaults.root.gid {
            query.push(format!("gid={}", self.root.gid));
        }
        if query.is_empty() {
            "ram://".to_string()
        } else {
            format!("ram://?{}", query.join("&"))
        }
    }
}

/// What every node of one file system shares.
pub(crate) struct FsShared {
    /// The thread that alone has used this file system, if one has: it takes
    /// none of the file system's locks (the tree lock and every node's), until
    /// a second thread comes (see [`vfs_core::sole_thread`]).
    pub(crate) sole: Arc<SoleThread>,
    /// Held by every operation that adds, removes or moves a name
    /// ([`FsShared::change_tree`]).
    tree: SoleMutex<()>,
    /// Advanced after every change of a name or of a node's mode or owner, so the
    /// namespace may reuse walks made before none.
    pub(crate) names: Arc<NamesVersion>,
    next_ino: AtomicU64,
    /// Pages of data.
    pub(crate) space: Quota,
    pub(crate) inodes: Quota,
    /// Where data pages come from. Every node holds this state, and a file gives
    /// its pages back when its node goes, so no page outlives the pool.
    pub(crate) pool: PagePool,
}

impl FsShared {
    /// A fresh inode number; the root gets 1.
    pub(crate) fn next_ino(&self) -> u64 {
        self.next_ino.fetch_add(1, Ordering::Relaxed)
    }

    /// The tree lock, for adding, removing or moving names: held until the
    /// returned guard goes, which then advances the names counter.
    pub(crate) fn change_tree(&self) -> TreeChange<'_> {
        TreeChange {
            names: &self.names,
            _tree: self.tree.lock(),
        }
    }
}

/// The tree lock held by an operation changing names (see [`FsShared::change_tree`]).
pub(crate) struct TreeChange<'a> {
    names: &'a NamesVersion,
    _tree: SoleMutexGuard<'a, ()>,
}

impl Drop for TreeChange<'_> {
    /// Runs before the lock is released, once whatever was changed is in place.
    fn drop(&mut self) {
        self.names.advance();
    }
}

/// An in-memory file system with the semantics of Linux's tmpfs: sparse files, hard
/// links, symlinks, POSIX timestamps, files that live on while open after their last
/// name is gone, and optional size and inode limits.
///
/// ```
/// use std::sync::Arc;
/// use vfs_core::{Namespace, MountOptions, OpenFlags};
/// use vfs_ramfs::{RamFs, RamFsOptions};
///
/// let ns = Namespace::new(Arc::new(RamFs::new(RamFsOptions::default())), MountOptions::default());
/// let me = ns.root_caller();
/// futures::executor::block_on(async {
///     let file = ns.open(&me, "/hello", OpenFlags::RDWR | OpenFlags::CREATE, 0o644).await?;
///     file.write_at(0, b"hi").await?;
///     file.close().await?;
///     assert_eq!(ns.stat(&me, "/hello").await?.size, 2);
///     Ok::<(), vfs_core::Error>(())
/// })
/// .unwrap();
/// ```
pub struct RamFs {
    shared: Arc<FsShared>,
    root: Arc<RamNode>,
    description: String,
}

impl RamFs {
    /// A new, empty file system.
    pub fn new(options: RamFsOptions) -> RamFs {
        let page = PAGE_SIZE as u64;
        let sole = SoleThread::new();
        let shared = Arc::new(FsShared {
            tree: SoleMutex::new(&sole, ()),
            sole,
            names: Arc::default(),
            next_ino: AtomicU64::new(1),
            space: Quota::new(options.size_limit.map(|bytes| bytes.div_ceil(page))),
            inodes: Quota::new(options.inode_limit),
            pool: PagePool::default(),
        });
        // The root is charged unconditionally: a file system always has one.
        shared.inodes.charge(1);
        let root = RamNode::build(
            &shared,
            FileType::Directory,
            &options.root,
            Timespec::now(),
            |me| Body::Dir(Directory::new(me.clone())),
        );
        RamFs {
            shared,
            root,
            description: options.to_url(),
        }
    }
}

impl std::fmt::Debug for RamFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RamFs")
            .field("description", &self.description)
            .field("pages_used", &self.shared.space.used())
            .field("inodes_used", &self.shared.inodes.used())
            .finish()
    }
}

#[async_trait]
impl Filesystem for RamFs {
    fn root(&self) -> Arc<dyn Vnode> {
        self.root.clone()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::POSIX
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    /// Every change goes through this instance.
    fn names_version(&self) -> Option<Arc<NamesVersion>> {
        Some(self.shared.names.clone())
    }

    async fn statfs(&self) -> Result<FsStat> {
        let pages = self.shared.space.limit().unwrap_or(NOMINAL_PAGES);
        let free_pages = pages.saturating_sub(self.shared.space.used());
        let inodes = self.shared.inodes.limit().unwrap_or(NOMINAL_INODES);
        Ok(FsStat {
            block_size: PAGE_SIZE as u32,
            blocks: pages,
            blocks_free: free_pages,
            blocks_available: free_pages,
            files: inodes,
            files_free: inodes.saturating_sub(self.shared.inodes.used()),
            name_max: NAME_MAX as u32,
        })
    }
}
