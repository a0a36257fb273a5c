//! A walk through a file system that counts its name changes
//! (`Filesystem::names_version`) is answered from memory the next time, with no
//! backend call, until the file system's count or the mount table moves; and
//! only for the same path, start and search rights.

mod common;
use common::plain_attr;

use futures::executor::block_on;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use vfs_core::{
    async_trait, Attr, Caller, Capabilities, Credentials, DirPage, Errno, FileType, Filesystem,
    FsStat, MountOptions, Name, NamesVersion, Namespace, OpenFile, OpenFlags, Result, SetAttr,
    Vnode,
};

/// One file system instance: what its nodes share.
struct Shelf {
    /// `None`: the file system keeps no count, so no walk through it is kept.
    names: Option<Arc<NamesVersion>>,
    lookups: AtomicUsize,
    next_ino: AtomicU64,
}

impl Shelf {
    fn changed(&self) {
        if let Some(names) = &self.names {
            names.advance();
        }
    }
}

/// A node that owns its children, as an in-memory backend's do.
struct Node {
    ino: u64,
    file_type: FileType,
    mode: AtomicU32,
    parent: Weak<Node>,
    children: Mutex<Vec<(Vec<u8>, Arc<Node>)>>,
    shelf: Arc<Shelf>,
}

impl Node {
    fn add(self: &Arc<Node>, name: &str, file_type: FileType) -> Arc<Node> {
        let child = Arc::new(Node {
            ino: self.shelf.next_ino.fetch_add(1, Ordering::Relaxed),
            file_type,
            mode: AtomicU32::new(0o755),
            parent: Arc::downgrade(self),
            children: Mutex::default(),
            shelf: self.shelf.clone(),
        });
        let entry = (name.as_bytes().to_vec(), child.clone());
        self.children.lock().push(entry);
        self.shelf.changed();
        child
    }

    fn child(&self, name: &Name) -> Result<Arc<dyn Vnode>> {
        self.shelf.lookups.fetch_add(1, Ordering::Relaxed);
        let children = self.children.lock();
        let found = children.iter().find(|(n, _)| n == name.as_bytes());
        match found {
            Some((_, node)) => Ok(node.clone()),
            None => Err(Errno::ENOENT.into()),
        }
    }

    fn attr(&self) -> Attr {
        let mode = self.mode.load(Ordering::Relaxed);
        plain_attr(self.ino, self.file_type, mode, 0)
    }
}

#[async_trait]
impl Vnode for Node {
    fn ino(&self) -> u64 {
        self.ino
    }

    fn file_type(&self) -> FileType {
        self.file_type
    }

    async fn getattr(&self) -> Result<Attr> {
        Ok(self.attr())
    }

    fn getattr_now(&self) -> Option<Result<Attr>> {
        Some(Ok(self.attr()))
    }

    async fn setattr(&self, changes: &SetAttr) -> Result<Attr> {
        if let Some(mode) = changes.mode {
            self.mode.store(mode, Ordering::Relaxed);
            self.shelf.changed();
        }
        Ok(self.attr())
    }

    async fn lookup(&self, name: &Name) -> Result<Arc<dyn Vnode>> {
        self.child(name)
    }

    fn lookup_now(&self, name: &Name) -> Option<Result<Arc<dyn Vnode>>> {
        Some(self.child(name))
    }

    async fn parent(&self) -> Result<Arc<dyn Vnode>> {
        let parent = self.parent.upgrade().ok_or(Errno::ENOENT)?;
        Ok(parent)
    }

    async fn unlink(&self, name: &Name) -> Result<()> {
        self.children.lock().retain(|(n, _)| n != name.as_bytes());
        self.shelf.changed();
        Ok(())
    }

    async fn readdir(&self, _cookie: u64, _max_entries: usize) -> Result<DirPage> {
        Err(Errno::ENOSYS.into())
    }

    async fn open(&self, _flags: OpenFlags) -> Result<Arc<dyn OpenFile>> {
        Err(Errno::EIO.with("no file I/O here"))
    }
}

#[derive(Clone)]
struct ShelfFs {
    root: Arc<Node>,
}

impl ShelfFs {
    /// A file system holding `/a/b/file`, with or without a names counter.
    fn new(counts_names: bool) -> ShelfFs {
        let shelf = Arc::new(Shelf {
            names: counts_names.then(Arc::default),
            lookups: AtomicUsize::new(0),
            next_ino: AtomicU64::new(2),
        });
        let root = Arc::new_cyclic(|me| Node {
            ino: 1,
            file_type: FileType::Directory,
            mode: AtomicU32::new(0o755),
            parent: me.clone(),
            children: Mutex::default(),
            shelf,
        });
        root.add("a", FileType::Directory)
            .add("b", FileType::Directory)
            .add("file", FileType::Regular);
        ShelfFs { root }
    }

    /// The node at `path`, found without counting lookups.
    fn node(&self, path: &[&str]) -> Arc<Node> {
        let mut node = self.root.clone();
        for name in path {
            let child = node
                .children
                .lock()
                .iter()
                .find(|(n, _)| n == name.as_bytes())
                .map(|(_, c)| c.clone());
            node = child.expect("in the tree");
        }
        node
    }

    fn lookups(&self) -> usize {
        self.root.shelf.lookups.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl Filesystem for ShelfFs {
    fn root(&self) -> Arc<dyn Vnode> {
        self.root.clone()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            permissions: true,
            write: true,
            ..Capabilities::default()
        }
    }

    fn describe(&self) -> String {
        "shelf".to_string()
    }

    fn names_version(&self) -> Option<Arc<NamesVersion>> {
        self.root.shelf.names.clone()
    }

    async fn statfs(&self) -> Result<FsStat> {
        Err(Errno::ENOSYS.into())
    }
}

fn namespace(counts_names: bool) -> (Namespace, ShelfFs) {
    let fs = ShelfFs::new(counts_names);
    let ns = Namespace::new(Arc::new(fs.clone()), MountOptions::default());
    (ns, fs)
}

fn user(ns: &Namespace) -> Caller {
    Caller {
        cwd: ns.root(),
        creds: Credentials::new(1000, 1000, []),
    }
}

fn ino_at(ns: &Namespace, caller: &Caller, path: &str) -> std::result::Result<u64, Errno> {
    let now = ns
        .stat_now(caller, path.as_bytes(), true)
        .expect("answered at once");
    let waited = block_on(ns.stat(caller, path));
    let now = now.map(|attr| attr.ino).map_err(|e| e.errno());
    assert_eq!(now, waited.map(|attr| attr.ino).map_err(|e| e.errno()));
    now
}

#[test]
fn a_walk_is_answered_from_memory_until_a_name_changes() {
    let (ns, fs) = namespace(true);
    let root = ns.root_caller();
    let file = ino_at(&ns, &root, "/a/b/file").unwrap();
    assert_eq!(fs.lookups(), 3);
    for _ in 0..3 {
        assert_eq!(ino_at(&ns, &root, "/a/b/file"), Ok(file));
        assert_eq!(ino_at(&ns, &root, "//a/b//file"), Ok(file));
    }
    // `//a/b//file` is another path, walked once.
    assert_eq!(fs.lookups(), 6);

    // Any change of names retires every walk remembered.
    fs.root.add("other", FileType::Regular);
    assert_eq!(ino_at(&ns, &root, "/a/b/file"), Ok(file));
    assert_eq!(fs.lookups(), 9);

    // The walk's node is held weakly: removing it frees it at once, and the
    // path fails as it should.
    let kept = Arc::downgrade(&fs.node(&["a", "b", "file"]));
    block_on(ns.unlink(&root, "/a/b/file")).unwrap();
    assert!(
        kept.upgrade().is_none(),
        "nothing but its directory held the file"
    );
    assert_eq!(ino_at(&ns, &root, "/a/b/file"), Err(Errno::ENOENT));
}

#[test]
fn a_remembered_walk_answers_only_the_same_start_and_search_rights() {
    let (ns, fs) = namespace(true);
    let root = ns.root_caller();
    let user = user(&ns);
    assert!(ino_at(&ns, &root, "/a/b/file").is_ok());
    assert_eq!(fs.lookups(), 3);
    // Another user checks search permission on the way: its own walk.
    assert!(ino_at(&ns, &user, "/a/b/file").is_ok());
    assert_eq!(fs.lookups(), 6);
    assert!(ino_at(&ns, &user, "/a/b/file").is_ok());
    assert_eq!(fs.lookups(), 6);

    // A mode change counts as a change of names: the user is refused at once.
    let mode = SetAttr {
        mode: Some(0o700),
        ..SetAttr::default()
    };
    block_on(ns.setattr(&root, "/a", &mode, true)).unwrap();
    assert_eq!(ino_at(&ns, &user, "/a/b/file"), Err(Errno::EACCES));
    assert!(ino_at(&ns, &root, "/a/b/file").is_ok());

    // A relative path is remembered with where it started.
    let in_a = Caller {
        cwd: block_on(ns.resolve(&root, "/a", true)).unwrap(),
        creds: Credentials::root(),
    };
    let b = ino_at(&ns, &root, "/a/b");
    let before = fs.lookups();
    assert_eq!(ino_at(&ns, &in_a, "b"), b);
    assert_eq!(fs.lookups(), before + 1);
    assert_eq!(ino_at(&ns, &root, "b"), Err(Errno::ENOENT));
    assert_eq!(fs.lookups(), before + 1 + 2);
    assert_eq!(ino_at(&ns, &in_a, "b"), b);
    assert_eq!(fs.lookups(), before + 1 + 2);
}

#[test]
fn a_mount_or_unmount_retires_remembered_walks() {
    let (ns, _fs) = namespace(true);
    let root = ns.root_caller();
    let below = ino_at(&ns, &root, "/a/b/file").unwrap();
    let (_, above) = namespace(true);
    let above_file = above.node(&["a", "b", "file"]).ino;
    let mounted = Arc::new(above.clone());
    block_on(ns.mount(&root, "/a", mounted, MountOptions::default())).unwrap();
    assert_eq!(ino_at(&ns, &root, "/a/b/file"), Err(Errno::ENOENT));
    assert_eq!(ino_at(&ns, &root, "/a/a/b/file"), Ok(above_file));
    // A walk that crossed mounts is not remembered: each walk asks again.
    let before = above.lookups();
    assert_eq!(ino_at(&ns, &root, "/a/a/b/file"), Ok(above_file));
    assert_eq!(above.lookups(), before + 2 * 3);
    block_on(ns.unmount(&root, "/a")).unwrap();
    assert_eq!(ino_at(&ns, &root, "/a/b/file"), Ok(below));
}

#[test]
fn a_file_system_without_a_counter_is_asked_every_time() {
    let (ns, fs) = namespace(false);
    let root = ns.root_caller();
    for round in 1..=3 {
        assert!(ino_at(&ns, &root, "/a/b/file").is_ok());
        assert_eq!(fs.lookups(), round * 2 * 3);
    }
}
