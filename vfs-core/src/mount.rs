//! The mount table: which file system is mounted on which directory.

use crate::capability::Capabilities;
use crate::errno::{Errno, Result};
use crate::filesystem::{Filesystem, NamesVersion};
use crate::vnode::Vnode;
use foldhash::HashMap;
use parking_lot::RwLock;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// Options given when mounting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountOptions {
    /// Refuse every change with `EROFS`.
    pub read_only: bool,
}

/// One file system attached to the namespace.
pub struct Mount {
    id: u64,
    fs: Arc<dyn Filesystem>,
    root: Arc<dyn Vnode>,
    capabilities: Capabilities,
    options: MountOptions,
    /// The directory this mount covers; `None` for the namespace's first mount.
    covered: Option<Location>,
    path: String,
    /// How many mounts sit on nodes of this one. While none do, a walk through
    /// this mount has nothing to cross and asks the mount table nothing.
    /// Changed under the table's write lock; a walk racing a `mount` may miss
    /// the new mount, as one that ran just before it would.
    mounted_on: AtomicUsize,
    /// The file system's counter of name changes, if it keeps one.
    names: Option<Arc<NamesVersion>>,
}

impl Mount {
    /// A number unique among the mounts of one namespace.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The counter of the mounted file system's name changes, if it keeps one
    /// ([`Filesystem::names_version`]).
    pub(crate) fn names_version(&self) -> Option<&Arc<NamesVersion>> {
        self.names.as_ref()
    }

    /// The mounted file system.
    pub fn filesystem(&self) -> &Arc<dyn Filesystem> {
        &self.fs
    }

    /// The file system's capabilities, read once at mount time.
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    /// The options this mount was made with.
    pub fn options(&self) -> &MountOptions {
        &self.options
    }

    /// The path this mount was attached at, as given to `mount`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Fails with `EROFS` unless changes are allowed on this mount.
    pub fn check_writable(&self) -> Result<()> {
        if self.options.read_only || !self.capabilities.write {
            return Err(Errno::EROFS.with(format!("{} is mounted read-only", self.path)));
        }
        Ok(())
    }
}

impl fmt::Debug for Mount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mount")
            .field("id", &self.id)
            .field("path", &self.path)
            .field("fs", &self.fs.describe())
            .field("options", &self.options)
            .finish()
    }
}

/// A node together with the mount it was reached through: what a path resolves to,
/// what a cwd or an open file holds. Holding one keeps its mount busy.
#[derive(Clone)]
pub struct Location {
    pub(crate) mount: Arc<Mount>,
    pub(crate) vnode: Arc<dyn Vnode>,
}

impl Location {
    /// The mount the node was reached through.
    pub fn mount(&self) -> &Arc<Mount> {
        &self.mount
    }

    /// The node.
    pub fn vnode(&self) -> &Arc<dyn Vnode> {
        &self.vnode
    }

    /// True when the node is the root of its mount.
    pub fn is_mount_root(&self) -> bool {
        self.vnode.ino() == self.mount.root.ino()
    }

    /// True when both name the same node of the same mount.
    pub fn same_node(&self, other: &Location) -> bool {
        self.mount.id == other.mount.id && self.vnode.ino() == other.vnode.ino()
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Location(mount {} ino {})",
            self.mount.id,
            self.vnode.ino()
        )
    }
}

/// The mounts of one namespace, keyed by the node each one covers.
pub(crate) struct MountTable {
    /// The root of the namespace's first mount, fixed for the table's life.
    first_root: Location,
    /// Whether something is mounted on `first_root` itself. Changed under
    /// `inner`'s write lock, as [`Mount`]'s `mounted_on`.
    root_covered: AtomicBool,
    /// Advanced under `inner`'s write lock after each mount and unmount, so a walk
    /// remembered before one is not reused after it.
    version: AtomicU64,
    inner: RwLock<TableInner>,
}

struct TableInner {
    /// (mount id, ino of the covered directory) -> the mount on top of it.
    covering: HashMap<(u64, u64), Arc<Mount>>,
    next_id: u64,
}

impl MountTable {
    pub(crate) fn new(fs: Arc<dyn Filesystem>, options: MountOptions) -> MountTable {
        let root = Arc::new(Mount {
            id: 0,
            root: fs.root(),
            capabilities: fs.capabilities(),
            names: fs.names_version(),
            fs,
            options,
            covered: None,
            path: "/".to_string(),
            mounted_on: AtomicUsize::new(0),
        });
        MountTable {
            first_root: Self::root_of(&root),
            root_covered: AtomicBool::new(false),
            version: AtomicU64::new(0),
            inner: RwLock::new(TableInner {
                covering: HashMap::default(),
                next_id: 1,
            }),
        }
    }

    /// How many mounts and unmounts this table has seen.
    pub(crate) fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The namespace root: the root of the first mount, or of whatever is mounted on
    /// top of it.
    pub(crate) fn root(&self) -> Location {
        self.cross(self.first_root.clone())
    }

    /// [`MountTable::root`] borrowed while nothing is mounted on the first
    /// mount's root (the common case), so a walk from the root clones nothing
    /// until its first step; `None`: call `root`.
    pub(crate) fn root_borrowed(&self) -> Option<&Location> {
        (!self.root_covered.load(Ordering::Acquire)).then_some(&self.first_root)
    }

    /// The root of `mount`.
    pub(crate) fn root_of(mount: &Arc<Mount>) -> Location {
        Location {
            mount: mount.clone(),
            vnode: mount.root.clone(),
        }
    }

    /// If a file system is mounted on `location`, the root of the topmost one;
    /// otherwise `location` itself.
    pub(crate) fn cross(&self, location: Location) -> Location {
        self.crossing(&location.mount, &location.vnode)
            .unwrap_or(location)
    }

    /// If a file system is mounted on node `vnode` of `mount`, the root of the
    /// topmost one; `None` when nothing is.
    pub(crate) fn crossing(&self, mount: &Mount, vnode: &Arc<dyn Vnode>) -> Option<Location> {
        if mount.mounted_on.load(Ordering::Acquire) == 0 {
            return None;
        }
        let inner = self.inner.read();
        let mut on_top = inner.covering.get(&(mount.id, vnode.ino()))?;
        while let Some(higher) = inner.covering.get(&(on_top.id, on_top.root.ino())) {
            on_top = higher;
        }
        Some(Self::root_of(on_top))
    }

    /// True when some file system is mounted on node `ino` of `mount`.
    pub(crate) fn is_covered(&self, mount: &Mount, ino: u64) -> bool {
        self.inner.read().covering.contains_key(&(mount.id, ino))
    }

    /// The directory a mount covers, or `None` for the namespace's first mount.
    pub(crate) fn covered(mount: &Mount) -> Option<&Location> {
        mount.covered.as_ref()
    }

    pub(crate) fn attach(
        &self,
        covered: Location,
        fs: Arc<dyn Filesystem>,
        options: MountOptions,
        path: String,
    ) -> Arc<Mount> {
        let mut inner = self.inner.write();
        let id = inner.next_id;
        inner.next_id += 1;
        let key = (covered.mount.id, covered.vnode.ino());
        covered.mount.mounted_on.fetch_add(1, Ordering::AcqRel);
        if covered.same_node(&self.first_root) {
            self.root_covered.store(true, Ordering::Release);
        }
        let mount = Arc::new(Mount {
            id,
            root: fs.root(),
            capabilities: fs.capabilities(),
            names: fs.names_version(),
            fs,
            options,
            covered: Some(covered),
            path,
            mounted_on: AtomicUsize::new(0),
        });
        inner.covering.insert(key, mount.clone());
        self.version.fetch_add(1, Ordering::Release);
        mount
    }

    /// Detaches the mount whose root `location` is. Fails with `EINVAL` when it is
    /// not a mount root and `EBUSY` when anything else (an open file, a cwd, a mount
    /// below it, the namespace root) still refers to the mount.
    pub(crate) fn detach(&self, location: Location) -> Result<Arc<Mount>> {
        if !location.is_mount_root() {
            return Err(Errno::EINVAL.with("not a mount point"));
        }
        let mut inner = self.inner.write();
        let mount = location.mount.clone();
        drop(location);
        let Some(covered) = &mount.covered else {
            return Err(Errno::EBUSY.with("the namespace's root mount cannot be unmounted"));
        };
        let key = (covered.mount.id, covered.vnode.ino());
        // References: the table's entry and `mount` here. Anything more is a user.
        if Arc::strong_count(&mount) > 2 {
            return Err(Errno::EBUSY.with(format!("{} is in use", mount.path)));
        }
        inner.covering.remove(&key);
        covered.mount.mounted_on.fetch_sub(1, Ordering::AcqRel);
        if covered.same_node(&self.first_root) {
            self.root_covered.store(false, Ordering::Release);
        }
        self.version.fetch_add(1, Ordering::Release);
        Ok(mount)
    }

    /// Every mount, the namespace's first one first, then in mount order.
    pub(crate) fn list(&self) -> Vec<Arc<Mount>> {
        let inner = self.inner.read();
        let mut mounts: Vec<_> = inner.covering.values().cloned().collect();
        mounts.sort_by_key(|mount| mount.id);
        mounts.insert(0, self.first_root.mount.clone());
        mounts
    }
}
