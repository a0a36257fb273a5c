//! The entries of a directory, listed in insertion order with resumable cookies.

use crate::node::RamNode;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use vfs_core::{DirEntry, DirPage, Name, Vnode};

/// What each entry adds to a directory's size, and what an empty one starts with
/// twice over: tmpfs's `BOGO_DIRENT_SIZE`, so `st_size` matches the kernel's.
const BOGO_DIRENT_SIZE: u64 = 20;

struct Slot {
    name: Name,
    node: Arc<RamNode>,
}

/// A directory's entries. Each insertion gets the next sequence number of this
/// directory, which is also the entry's cookie: listing in sequence order and resuming
/// strictly after a cookie returns no entry twice and no removed entry, however the
/// directory changed in between.
pub(crate) struct Directory {
    /// Each name's sequence number, and its node too so a lookup is one search.
    by_name: foldhash::HashMap<Name, (u64, Arc<RamNode>)>,
    by_seq: BTreeMap<u64, Slot>,
    last_seq: u64,
    /// Weak, because the parent owns this directory through its entry; the root
    /// points at itself. A removed directory keeps its former parent, as a dentry
    /// does, so the ancestry walk of `rename` sees what Linux sees.
    parent: Weak<RamNode>,
}

impl Directory {
    /// An empty directory below `parent`.
    pub(crate) fn new(parent: Weak<RamNode>) -> Directory {
        Directory {
            by_name: foldhash::HashMap::default(),
            by_seq: BTreeMap::new(),
            last_seq: 0,
            parent,
        }
    }

    /// The parent directory, while it exists.
    pub(crate) fn parent(&self) -> Option<Arc<RamNode>> {
        self.parent.upgrade()
    }

    /// Re-parents this directory (it was moved by `rename`).
    pub(crate) fn set_parent(&mut self, parent: &Arc<RamNode>) {
        self.parent = Arc::downgrade(parent);
    }

    /// The node `name` refers to.
    pub(crate) fn get(&self, name: &Name) -> Option<&Arc<RamNode>> {
        self.by_name.get(name).map(|(_, node)| node)
    }

    /// Makes `name` refer to `node` as a new entry at the end of the listing; returns
    /// the node it referred to before.
    pub(crate) fn insert(&mut self, name: Name, node: Arc<RamNode>) -> Option<Arc<RamNode>> {
        let replaced = self.remove(&name);
        self.last_seq += 1;
        self.by_name
            .insert(name.clone(), (self.last_seq, node.clone()));
        self.by_seq.insert(self.last_seq, Slot { name, node });
        replaced
    }

    /// Removes `name`; returns the node it referred to.
    pub(crate) fn remove(&mut self, name: &Name) -> Option<Arc<RamNode>> {
        let (seq, node) = self.by_name.remove(name)?;
        self.by_seq.remove(&seq);
        Some(node)
    }

    /// True when there are no entries.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_seq.is_empty()
    }

    /// `st_size` as tmpfs reports it.
    pub(crate) fn size(&self) -> u64 {
        BOGO_DIRENT_SIZE * (2 + self.by_seq.len() as u64)
    }

    /// Up to `max_entries` entries after `cookie` (0: from the start).
    pub(crate) fn page(&self, cookie: u64, max_entries: usize) -> DirPage {
        let mut rest = self.by_seq.range(cookie.saturating_add(1)..).peekable();
        let mut entries = Vec::new();
        while entries.len() < max_entries {
            let Some((&seq, slot)) = rest.next() else {
                break;
            };
            entries.push(DirEntry {
                name: slot.name.clone(),
                ino: slot.node.ino(),
                file_type: slot.node.file_type(),
                cookie: seq,
                attr: None,
            });
        }
        DirPage {
            entries,
            eof: rest.peek().is_none(),
        }
    }

    /// Empties the directory, handing over its nodes.
    pub(crate) fn take_nodes(&mut self) -> Vec<Arc<RamNode>> {
        self.by_name.clear();
        std::mem::take(&mut self.by_seq)
            .into_values()
            .map(|slot| slot.node)
            .collect()
    }
}

impl Drop for Directory {
    /// Frees the subtree iteratively: dropping a deep tree recursively would overflow
    /// the stack.
    fn drop(&mut self) {
        let mut orphans = self.take_nodes();
        while let Some(node) = orphans.pop() {
            if let Some(mut node) = Arc::into_inner(node) {
                orphans.extend(node.take_children());
            }
        }
    }
}
