//! The contract between `FileHandle::read_at` and `OpenFile::read_at_now`: the
//! synchronous answer is used when the backend gives one, the async `read_at`
//! otherwise, and the handle's own checks come first either way.

mod common;
use common::plain_attr;

use futures::executor::block_on;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use vfs_core::{
    async_trait, Attr, Capabilities, DirPage, Errno, FileType, Filesystem, FsStat, MountOptions,
    Name, Namespace, OpenFile, OpenFlags, Result, Vnode,
};

/// File contents every read returns, from offset 0.
const DATA: &[u8] = b"0123456789";

/// Counts which read path served each call; answers on the spot when `now`.
#[derive(Default)]
struct Counts {
    async_reads: AtomicUsize,
    now_reads: AtomicUsize,
}

struct File {
    now: bool,
    counts: Arc<Counts>,
}

fn copy(offset: u64, buf: &mut [u8]) -> usize {
    let rest = DATA.get(offset as usize..).unwrap_or_default();
    let n = rest.len().min(buf.len());
    buf[..n].copy_from_slice(&rest[..n]);
    n
}

#[async_trait]
impl OpenFile for File {
    async fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.counts.async_reads.fetch_add(1, Ordering::Relaxed);
        Ok(copy(offset, buf))
    }

    async fn write_at(&self, _offset: u64, _data: &[u8]) -> Result<usize> {
        Err(Errno::EROFS.into())
    }

    fn read_at_now(&self, offset: u64, buf: &mut [u8]) -> Option<Result<usize>> {
        if !self.now {
            return None;
        }
        self.counts.now_reads.fetch_add(1, Ordering::Relaxed);
        Some(Ok(copy(offset, buf)))
    }
}

/// A node of the two-node tree: the root directory (ino 1) holding `f` (ino 2).
struct Node {
    ino: u64,
    fs: Arc<Tree>,
}

#[async_trait]
impl Vnode for Node {
    fn ino(&self) -> u64 {
        self.ino
    }

    fn file_type(&self) -> FileType {
        if self.ino == 1 {
            FileType::Directory
        } else {
            FileType::Regular
        }
    }

    async fn getattr(&self) -> Result<Attr> {
        Ok(plain_attr(
            self.ino,
            self.file_type(),
            if self.ino == 1 { 0o755 } else { 0o644 },
            DATA.len() as u64,
        ))
    }

    async fn lookup(&self, name: &Name) -> Result<Arc<dyn Vnode>> {
        if self.ino == 1 && name.as_bytes() == b"f" {
            Ok(self.fs.node(2))
        } else {
            Err(Errno::ENOENT.into())
        }
    }

    async fn parent(&self) -> Result<Arc<dyn Vnode>> {
        Ok(self.fs.node(1))
    }

    async fn readdir(&self, _cookie: u64, _max_entries: usize) -> Result<DirPage> {
        Ok(DirPage {
            entries: Vec::new(),
            eof: true,
        })
    }

    async fn open(&self, _flags: OpenFlags) -> Result<Arc<dyn OpenFile>> {
        Ok(Arc::new(File {
            now: self.fs.now,
            counts: self.fs.counts.clone(),
        }))
    }
}

struct Tree {
    me: std::sync::Weak<Tree>,
    now: bool,
    counts: Arc<Counts>,
}

impl Tree {
    fn node(&self, ino: u64) -> Arc<dyn Vnode> {
        Arc::new(Node {
            ino,
            fs: self.me.upgrade().expect("tree alive"),
        })
    }
}

#[async_trait]
impl Filesystem for Tree {
    fn root(&self) -> Arc<dyn Vnode> {
        self.node(1)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::NONE
    }

    fn describe(&self) -> String {
        "read_at_now test tree".into()
    }

    async fn statfs(&self) -> Result<FsStat> {
        Err(Errno::ENOSYS.into())
    }
}

/// A namespace over a tree whose files answer on the spot when `now`.
fn namespace(now: bool) -> (Namespace, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let tree = Arc::new_cyclic(|me| Tree {
        me: me.clone(),
        now,
        counts: counts.clone(),
    });
    (Namespace::new(tree, MountOptions::default()), counts)
}

fn counts(counts: &Counts) -> (usize, usize) {
    (
        counts.now_reads.load(Ordering::Relaxed),
        counts.async_reads.load(Ordering::Relaxed),
    )
}

#[test]
fn a_backend_answering_now_is_read_without_its_future() {
    let (ns, served) = namespace(true);
    let handle = block_on(ns.open(&ns.root_caller(), "/f", OpenFlags::RDONLY, 0)).unwrap();
    let mut buf = [0; 4];
    assert_eq!(handle.read_at_now(2, &mut buf).unwrap().unwrap(), 4);
    assert_eq!(&buf, b"2345");
    assert_eq!(block_on(handle.read_at(8, &mut buf)).unwrap(), 2);
    assert_eq!(&buf[..2], b"89");
    assert_eq!(counts(&served), (2, 0));
}

#[test]
fn the_default_falls_back_to_read_at() {
    let (ns, served) = namespace(false);
    let handle = block_on(ns.open(&ns.root_caller(), "/f", OpenFlags::RDONLY, 0)).unwrap();
    let mut buf = [0; 4];
    assert!(handle.read_at_now(0, &mut buf).is_none());
    assert_eq!(block_on(handle.read_at(0, &mut buf)).unwrap(), 4);
    assert_eq!(&buf, b"0123");
    assert_eq!(counts(&served), (0, 1));
}

#[test]
fn the_handle_checks_come_first_on_both_paths() {
    for now in [true, false] {
        let (ns, served) = namespace(now);
        let caller = ns.root_caller();
        let errno = |r: Option<Result<usize>>| r.map(|r| r.unwrap_err().errno());
        let mut buf = [0; 4];

        let dir = block_on(ns.open(&caller, "/", OpenFlags::RDONLY, 0)).unwrap();
        assert_eq!(errno(dir.read_at_now(0, &mut buf)), Some(Errno::EISDIR));

        let file = block_on(ns.open(&caller, "/f", OpenFlags::RDONLY, 0)).unwrap();
        let past = i64::MAX as u64 - 1;
        assert_eq!(errno(file.read_at_now(past, &mut buf)), Some(Errno::EINVAL));
        block_on(file.close()).unwrap();
        assert_eq!(errno(file.read_at_now(0, &mut buf)), Some(Errno::EBADF));
        assert_eq!(
            block_on(file.read_at(0, &mut buf)).unwrap_err().errno(),
            Errno::EBADF
        );
        assert_eq!(counts(&served), (0, 0), "now: {now}");
    }
}
