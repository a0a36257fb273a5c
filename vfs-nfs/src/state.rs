//! What every node of one mount shares: the client, the server's limits, the
//! capabilities, and the node table that gives each file handle one node.
//!
//! One node per file handle is what makes the caches coherent within a mount: the
//! attributes, the uncommitted writes and the open count of a file are the same
//! whichever name or listing reached it. The table holds nodes weakly; a small ring
//! of recently used nodes keeps hot directories (and their lookup caches) alive
//! between path walks, as the kernel's dentry cache does.

use crate::client::NfsClient;
use crate::node::NfsNode;
use crate::url::NfsUrl;
use foldhash::HashMap;
use nfs3_types::nfs3::{fattr3, nfs_fh3};
use nfs3_types::rpc::opaque_auth;
use parking_lot::Mutex;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use vfs_core::{Capabilities, Name};

/// How many recently used nodes are kept alive.
const KEEP_ALIVE: usize = 4096;

/// Transfer sizes and limits, from FSINFO and PATHCONF and the URL.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest READ sent.
    pub rsize: u32,
    /// Largest WRITE sent.
    pub wsize: u32,
    /// Preferred READDIR size.
    pub dtpref: u32,
    /// Largest file the server takes.
    pub maxfilesize: u64,
    /// Longest name (at most 255, what a `Name` can hold).
    pub name_max: u32,
}

/// Where the mount came from, for UMNT.
pub struct MountOrigin {
    /// The MOUNT program's address.
    pub address: SocketAddr,
    /// The path MOUNT was given.
    pub path: Vec<u8>,
    /// The credential MOUNT was called with.
    pub credential: opaque_auth<'static>,
}

/// The state shared by the nodes of one mount.
pub struct MountState {
    /// The NFS program.
    pub client: NfsClient,
    /// The URL mounted.
    pub url: NfsUrl,
    /// The root directory's handle.
    pub root_fh: nfs_fh3,
    /// For UMNT.
    pub origin: MountOrigin,
    /// Transfer sizes.
    pub limits: Limits,
    /// What is declared.
    pub caps: Capabilities,
    /// The server does READDIRPLUS (cleared on its first NOTSUPP).
    pub readdirplus: AtomicBool,
    /// The server refuses writes past end of file (nfs3_server's memfs answers
    /// INVAL): set on the first such refusal; from then on, the pieces of a write
    /// go in order and a write past the end extends the file by SETATTR first.
    pub no_holes: AtomicBool,
    /// Silly-renamed names this mount created, by directory handle: hidden from
    /// listings and lookups, as the names are gone for POSIX. New names come in
    /// through [`MountState::hide`].
    pub hidden: Mutex<HashSet<(Vec<u8>, Name)>>,
    /// Set by the first [`MountState::hide`] and never cleared: until then every
    /// lookup skips `hidden`'s lock (most mounts never silly-rename).
    hid_any: AtomicBool,
    /// Open files of the whole mount: while zero, unlink and rename need not look
    /// for an open file to silly-rename.
    pub open_files: AtomicUsize,
    /// Open files reading sequentially now, which share the readahead budget
    /// (see `readahead`).
    pub readers: AtomicUsize,
    seq: AtomicU64,
    counter: AtomicU64,
    nodes: Mutex<HashMap<Vec<u8>, Weak<NfsNode>>>,
    /// Table size after the last sweep.
    swept: AtomicUsize,
    keep: Mutex<Vec<Option<Arc<NfsNode>>>>,
    /// Nodes added to `keep` so far (changed under its lock, read without it).
    kept_count: AtomicUsize,
}

impl MountState {
    /// The shared state of a new mount.
    pub fn new(
        client: NfsClient,
        url: NfsUrl,
        root_fh: nfs_fh3,
        origin: MountOrigin,
        limits: Limits,
        caps: Capabilities,
    ) -> MountState {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ (u64::from(std::process::id()) << 32);
        MountState {
            client,
            url,
            root_fh,
            origin,
            limits,
            caps,
            readdirplus: AtomicBool::new(true),
            no_holes: AtomicBool::new(false),
            hidden: Mutex::new(HashSet::new()),
            hid_any: AtomicBool::new(false),
            open_files: AtomicUsize::new(0),
            readers: AtomicUsize::new(0),
            seq: AtomicU64::new(1),
            counter: AtomicU64::new(seed),
            nodes: Mutex::new(HashMap::default()),
            swept: AtomicUsize::new(0),
            keep: Mutex::new(Vec::new()),
            kept_count: AtomicUsize::new(0),
        }
    }

    /// A sequence number taken before sending a call whose reply carries
    /// attributes (see [`crate::attr::AttrCache::store`]).
    pub fn begin(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// The sequence number the next call will get: with the number of a call,
    /// tells whether any call began after it.
    pub fn next_seq(&self) -> u64 {
        self.seq.load(Ordering::Relaxed)
    }

    /// A number unique within this mount and unlikely to repeat across mounts
    /// (silly-rename names).
    pub fn unique(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// The node of `fh`, made from `fattr` (from the call numbered `seq`) unless it
    /// is alive already, in which case `fattr` refreshes its attributes.
    pub fn node(self: &Arc<Self>, fh: nfs_fh3, fattr: &fattr3, seq: u64) -> Arc<NfsNode> {
        let key = fh.data.to_vec();
        let kind = crate::attr::file_type_of(fattr.type_);
        let mut nodes = self.nodes.lock();
        let alive = nodes.get(&key).and_then(Weak::upgrade);
        // A handle keeps its type for its life; a server that says otherwise reused
        // it, and the old node is left to its holders.
        let node = match alive {
            Some(node) if node.file_type == kind => {
                drop(nodes);
                node.absorb(fattr, seq);
                node
            }
            _ => {
                let node = NfsNode::new(self.clone(), fh, fattr, seq);
                nodes.insert(key, Arc::downgrade(&node));
                // Entries of nodes dropped while the table was busy stay behind
                // (see `forget`); sweep them now and then.
                if nodes.len() >= 2 * self.swept.load(Ordering::Relaxed).max(1024) {
                    nodes.retain(|_, weak| weak.strong_count() > 0);
                    self.swept.store(nodes.len(), Ordering::Relaxed);
                }
                drop(nodes);
                node
            }
        };
        self.keep(&node);
        node
    }

    /// The node of a lookup cache entry (`fh` with the attributes `fattr` it was
    /// cached with). A live node is returned as it is: the entry's attributes may
    /// be older than the node's. A new node starts with those attributes expired,
    /// as nothing kept them up to date (another name of the file may have been
    /// removed since, changing its link count).
    pub fn node_from_cache(
        self: &Arc<Self>,
        fh: nfs_fh3,
        fattr: &fattr3,
        seq: u64,
    ) -> Arc<NfsNode> {
        let kind = crate::attr::file_type_of(fattr.type_);
        let alive = self
            .existing(&fh.data)
            .filter(|node| node.file_type == kind);
        match alive {
            Some(node) => {
                self.keep(&node);
                node
            }
            None => {
                let node = self.node(fh, fattr, seq);
                node.attrs.expire();
                node
            }
        }
    }

    /// Makes room for `additional` more nodes at once (a listing about to make
    /// them), rather than growing the table, and hashing every handle again, as
    /// they come.
    pub fn reserve_nodes(&self, additional: usize) {
        self.nodes.lock().reserve(additional);
    }

    /// The live node of handle `fh`, if any.
    pub fn existing(&self, fh: &[u8]) -> Option<Arc<NfsNode>> {
        self.nodes.lock().get(fh).and_then(Weak::upgrade)
    }

    /// Every live node.
    pub fn live_nodes(&self) -> Vec<Arc<NfsNode>> {
        self.nodes
            .lock()
            .values()
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// Drops the table entry of a node going away (unless a newer node took it).
    /// A node can be dropped while this thread holds the table (the last reference
    /// of a node whose type changed, above); then its entry stays and is swept
    /// later, rather than deadlocking here.
    pub fn forget(&self, fh: &[u8], node: *const NfsNode) {
        if let Some(mut nodes) = self.nodes.try_lock() {
            if nodes.get(fh).is_some_and(|weak| weak.as_ptr() == node) {
                nodes.remove(fh);
            }
        }
    }

    /// Keeps `node` alive for a while. A node already in the newer half of the
    /// ring stays where it is: re-adding it on every use would let a path walk,
    /// which uses its directories again and again, push out nodes a listing just
    /// primed (a stat loop over a 2,000-entry directory evicted the last-listed
    /// third before reaching them, so each cost a GETATTR).
    pub fn keep(&self, node: &Arc<NfsNode>) {
        // The common case, a node used again soon, is decided without the lock.
        let in_newer_half = |next: usize| {
            let ticket = node.kept.load(Ordering::Relaxed);
            ticket != 0 && next.wrapping_add(1).wrapping_sub(ticket) <= KEEP_ALIVE / 2
        };
        if in_newer_half(self.kept_count.load(Ordering::Relaxed)) {
            return;
        }
        let mut ring = self.keep.lock();
        let next = self.kept_count.load(Ordering::Relaxed);
        if in_newer_half(next) {
            return;
        }
        if ring.len() < KEEP_ALIVE {
            ring.push(Some(node.clone()));
        } else {
            ring[next % KEEP_ALIVE] = Some(node.clone());
        }
        let next = next.wrapping_add(1);
        self.kept_count.store(next, Ordering::Relaxed);
        // The ticket is the position plus one, so zero means "never kept".
        node.kept.store(next, Ordering::Relaxed);
    }

    /// Lets go of the recently used nodes (at unmount: they hold this state, so
    /// keeping them would keep the mount alive forever).
    pub fn release_kept(&self) {
        let ring = std::mem::take(&mut *self.keep.lock());
        drop(ring);
    }

    /// Hides `name` of directory `dir` (a silly-rename name) from listings and
    /// lookups.
    pub fn hide(&self, dir: &nfs_fh3, name: &Name) {
        self.hid_any.store(true, Ordering::Release);
        self.hidden.lock().insert(hidden_key(dir, name));
    }

    /// Shows `name` of directory `dir` again (its silly-rename name is gone).
    pub fn unhide(&self, dir: &nfs_fh3, name: &Name) {
        self.hidden.lock().remove(&hidden_key(dir, name));
    }

    /// True when `name` in directory `dir` is a silly-rename name of this mount.
    pub fn is_hidden(&self, dir: &nfs_fh3, name: &Name) -> bool {
        if !self.hid_any.load(Ordering::Acquire) {
            return false;
        }
        let hidden = self.hidden.lock();
        !hidden.is_empty() && hidden.contains(&hidden_key(dir, name))
    }

    /// `host:export`, for messages.
    pub fn server(&self) -> &str {
        self.client.server()
    }
}

/// How [`MountState::hidden`] keys `name` of directory `dir`.
fn hidden_key(dir: &nfs_fh3, name: &Name) -> (Vec<u8>, Name) {
    (dir.data.to_vec(), name.clone())
}
