//! Path operations answer the same whether a backend answers on the spot
//! (`lookup_now`, `getattr_now`) or only through its `async` methods, and a walk
//! that has to wait makes each backend call once, however often it is re-run
//! after a wait (see `vfs_core::Namespace::open_now`).

mod common;
use common::plain_attr;

use futures::executor::block_on;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use vfs_core::{
    async_trait, Attr, Caller, Capabilities, Credentials, DirPage, Errno, FileType, Filesystem,
    FsStat, MountOptions, Name, Namespace, OpenFile, OpenFlags, Result, Vnode,
};

/// `/a/b/file`, `/link` -> `a/b`, `/loop` -> `loop`; `/a/locked` is a directory
/// nobody but root may search.
const NODES: &[(u64, u64, &str, FileType, u32)] = &[
    // (ino, parent, name, type, mode)
    (1, 1, "", FileType::Directory, 0o755),
    (2, 1, "a", FileType::Directory, 0o755),
    (3, 2, "b", FileType::Directory, 0o755),
    (4, 3, "file", FileType::Regular, 0o644),
    (5, 1, "link", FileType::Symlink, 0o777),
    (6, 1, "loop", FileType::Symlink, 0o777),
    (7, 2, "locked", FileType::Directory, 0o700),
    (8, 7, "inside", FileType::Regular, 0o644),
];

fn entry(ino: u64) -> (u64, u64, &'static str, FileType, u32) {
    *NODES.iter().find(|node| node.0 == ino).unwrap()
}

/// How many calls reached each of the backend's methods.
#[derive(Default)]
struct Calls {
    getattr: AtomicUsize,
    lookup: AtomicUsize,
    readlink: AtomicUsize,
    answered_now: AtomicUsize,
}

struct Tree {
    /// Whether `lookup_now` and `getattr_now` answer.
    answers_now: bool,
    calls: Calls,
}

struct Node {
    ino: u64,
    tree: Arc<Tree>,
}

impl Node {
    /// A new `Arc` on every call, as a backend that builds its nodes on demand
    /// gives: the walk must not rely on getting the same one twice.
    fn make(tree: &Arc<Tree>, ino: u64) -> Arc<dyn Vnode> {
        Arc::new(Node {
            ino,
            tree: tree.clone(),
        })
    }

    fn attr(&self) -> Attr {
        let (ino, _, _, file_type, mode) = entry(self.ino);
        plain_attr(ino, file_type, mode, 0)
    }

    fn child(&self, name: &Name) -> Result<Arc<dyn Vnode>> {
        NODES
            .iter()
            .find(|node| node.1 == self.ino && node.0 != 1 && node.2.as_bytes() == name.as_bytes())
            .map(|node| Node::make(&self.tree, node.0))
            .ok_or_else(|| Errno::ENOENT.into())
    }

    fn now<T>(&self, answer: impl FnOnce() -> T) -> Option<T> {
        if !self.tree.answers_now {
            return None;
        }
        self.tree.calls.answered_now.fetch_add(1, Ordering::Relaxed);
        Some(answer())
    }
}

#[async_trait]
impl Vnode for Node {
    fn ino(&self) -> u64 {
        self.ino
    }

    fn file_type(&self) -> FileType {
        entry(self.ino).3
    }

    async fn getattr(&self) -> Result<Attr> {
        self.tree.calls.getattr.fetch_add(1, Ordering::Relaxed);
        Ok(self.attr())
    }

    fn getattr_now(&self) -> Option<Result<Attr>> {
        self.now(|| Ok(self.attr()))
    }

    async fn lookup(&self, name: &Name) -> Result<Arc<dyn Vnode>> {
        self.tree.calls.lookup.fetch_add(1, Ordering::Relaxed);
        self.child(name)
    }

    fn lookup_now(&self, name: &Name) -> Option<Result<Arc<dyn Vnode>>> {
        self.now(|| self.child(name))
    }

    async fn parent(&self) -> Result<Arc<dyn Vnode>> {
        Ok(Node::make(&self.tree, entry(self.ino).1))
    }

    async fn readlink(&self) -> Result<Vec<u8>> {
        self.tree.calls.readlink.fetch_add(1, Ordering::Relaxed);
        match self.ino {
            5 => Ok(b"a/b".to_vec()),
            6 => Ok(b"loop".to_vec()),
            _ => Err(Errno::EINVAL.into()),
        }
    }

    async fn readdir(&self, _cookie: u64, _max_entries: usize) -> Result<DirPage> {
        Ok(DirPage {
            entries: Vec::new(),
            eof: true,
        })
    }

    async fn open(&self, _flags: OpenFlags) -> Result<Arc<dyn OpenFile>> {
        Err(Errno::EIO.with("no file I/O in this tree"))
    }
}

struct TreeFs(Arc<Tree>);

#[async_trait]
impl Filesystem for TreeFs {
    fn root(&self) -> Arc<dyn Vnode> {
        Node::make(&self.0, 1)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            permissions: true,
            ..Capabilities::default()
        }
    }

    fn describe(&self) -> String {
        "walk-now tree".to_string()
    }

    async fn statfs(&self) -> Result<FsStat> {
        Err(Errno::ENOSYS.into())
    }
}

fn namespace(answers_now: bool) -> (Namespace, Arc<Tree>) {
    let tree = Arc::new(Tree {
        answers_now,
        calls: Calls::default(),
    });
    let ns = Namespace::new(Arc::new(TreeFs(tree.clone())), MountOptions::default());
    (ns, tree)
}

fn user(ns: &Namespace) -> Caller {
    Caller {
        cwd: ns.root(),
        creds: Credentials::new(1000, 1000, []),
    }
}

/// What `stat` gives, as (ino, type) or the errno.
fn stat_outcome(ns: &Namespace, path: &str) -> std::result::Result<(u64, FileType), Errno> {
    block_on(ns.stat(&user(ns), path))
        .map(|attr| (attr.ino, attr.file_type))
        .map_err(|e| e.errno())
}

const PATHS: &[&str] = &[
    "/a/b/file",
    "/link/file",
    "link/./file",
    "/a/b/../b/file",
    "/a/b/file/",
    "/a/missing",
    "/loop",
    "/a/locked/inside",
    "/",
];

#[test]
fn waiting_and_answering_at_once_give_the_same_results() {
    let (waiting, _) = namespace(false);
    let (at_once, _) = namespace(true);
    for path in PATHS {
        let expected = stat_outcome(&at_once, path);
        assert_eq!(stat_outcome(&waiting, path), expected, "stat {path}");
        let now = at_once.stat_now(&user(&at_once), path.as_bytes(), true);
        // `..` and symlinks always take the `async` way; the rest finishes now.
        if let Some(now) = now {
            let now = now
                .map(|attr| (attr.ino, attr.file_type))
                .map_err(|e| e.errno());
            assert_eq!(now, expected, "stat_now {path}");
        } else {
            assert!(path.contains("..") || path.contains("link") || path.contains("loop"));
        }
    }
    assert_eq!(
        stat_outcome(&at_once, "/a/b/file"),
        Ok((4, FileType::Regular))
    );
    assert_eq!(stat_outcome(&at_once, "/a/b/file/"), Err(Errno::ENOTDIR));
    assert_eq!(stat_outcome(&at_once, "/loop"), Err(Errno::ELOOP));
    assert_eq!(
        stat_outcome(&at_once, "/a/locked/inside"),
        Err(Errno::EACCES)
    );
}

#[test]
fn a_walk_that_waits_makes_each_backend_call_once() {
    let (ns, tree) = namespace(false);
    assert_eq!(stat_outcome(&ns, "/link/file"), Ok((4, FileType::Regular)));
    // Search permission on /, a and b, then the file's own attributes; lookups of
    // link, a, b and file; one readlink. Each re-run after a wait takes the
    // earlier answers from the walk's own record.
    assert_eq!(tree.calls.getattr.load(Ordering::Relaxed), 4);
    assert_eq!(tree.calls.lookup.load(Ordering::Relaxed), 4);
    assert_eq!(tree.calls.readlink.load(Ordering::Relaxed), 1);
    assert_eq!(tree.calls.answered_now.load(Ordering::Relaxed), 0);
    assert!(ns.stat_now(&user(&ns), b"/a/b/file", true).is_none());

    // A backend that answers lookups at once, with a new `Arc` each time, but
    // has to be waited on for the symlink: one readlink, no lookup waited for.
    let (ns, tree) = namespace(true);
    assert_eq!(stat_outcome(&ns, "/link/file"), Ok((4, FileType::Regular)));
    assert_eq!(tree.calls.readlink.load(Ordering::Relaxed), 1);
    assert_eq!(tree.calls.lookup.load(Ordering::Relaxed), 0);
    assert_eq!(tree.calls.getattr.load(Ordering::Relaxed), 0);
}

#[test]
fn open_now_opens_what_open_opens_and_refuses_what_changes_the_tree() {
    let (ns, tree) = namespace(true);
    let caller = user(&ns);
    // A directory opens with no backend call that could wait.
    let dir = ns.open_now(&caller, b"/a/b", OpenFlags::RDONLY | OpenFlags::DIRECTORY);
    let dir = dir.expect("answered at once").expect("opened");
    assert_eq!(dir.location().vnode().ino(), 3);
    assert_eq!(tree.calls.lookup.load(Ordering::Relaxed), 0);
    // The same errors as `open`, in the same order.
    for (path, flags) in [
        ("/a/b/file", OpenFlags::RDONLY | OpenFlags::DIRECTORY),
        ("/a/b", OpenFlags::RDWR),
        ("/a/locked/inside", OpenFlags::RDONLY),
        ("/a/b/file", OpenFlags::WRONLY),
    ] {
        let now = ns
            .open_now(&caller, path.as_bytes(), flags)
            .expect("answered at once");
        let waited = block_on(ns.open(&caller, path, flags, 0));
        assert_eq!(
            now.map(drop).map_err(|e| e.errno()),
            waited.map(drop).map_err(|e| e.errno()),
            "{path} {flags:?}"
        );
    }
    // Creating or truncating changes the tree: never done on the spot.
    for flags in [
        OpenFlags::RDWR | OpenFlags::CREATE,
        OpenFlags::RDWR | OpenFlags::TRUNCATE,
    ] {
        assert!(ns.open_now(&caller, b"/a/b/file", flags).is_none());
    }
}
