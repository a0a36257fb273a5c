//! The node table: FUSE node ids for namespace locations, with the kernel's lookup
//! counts.
//!
//! The kernel names a node by a u64 it got in an entry reply and keeps using it until
//! it sends `forget` for as many lookups as it was given. A namespace can hold
//! several mounts whose backends number their nodes independently, so the key is
//! (mount id, backend ino). The id handed out is the backend's ino itself when that
//! is free (so `ls -i`, `stat` and `find -inum` show the backend's numbers), else
//! one from a spare range above any real ino.

use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;
use vfs_core::Location;

/// Orders size changes against data requests of one node: reads and writes hold
/// it shared, a `setattr` changing the size exclusively. The kernel sends
/// readahead READs in the background and does not wait for them before a
/// truncating SETATTR, so without it a READ answered by the server before the
/// truncation could be processed after it, and a backend that refreshes its
/// attribute cache from every reply (vfs-nfs) would show the old size again.
pub type Gate = Arc<RwLock<()>>;

/// FUSE's id of the root directory.
pub const ROOT_ID: u64 = 1;

/// Ids at and above this are handed out when a backend ino cannot be used; backends
/// do not reach it (NFS fileids and ramfs counters stay far below).
const SPARE_BASE: u64 = 1 << 62;

struct Node {
    location: Location,
    /// Entry replies the kernel holds for this id, not yet forgotten.
    lookups: u64,
    key: (u64, u64),
    gate: Gate,
}

/// Ids <-> locations.
pub struct Inodes {
    by_id: HashMap<u64, Node>,
    by_key: HashMap<(u64, u64), u64>,
    next_spare: u64,
    /// The backend ino of the served root, shown as its `st_ino` and never handed
    /// to another node, so no two nodes show the same number.
    root_ino: u64,
}

fn key_of(location: &Location) -> (u64, u64) {
    (location.mount().id(), location.vnode().ino())
}

impl Inodes {
    /// A table holding only the served root, as [`ROOT_ID`].
    pub fn new(root: Location) -> Inodes {
        let key = key_of(&root);
        let mut inodes = Inodes {
            by_id: HashMap::new(),
            by_key: HashMap::new(),
            next_spare: SPARE_BASE,
            root_ino: key.1,
        };
        inodes.by_key.insert(key, ROOT_ID);
        inodes.by_id.insert(
            ROOT_ID,
            Node {
                location: root,
                lookups: 1,
                key,
                gate: Gate::default(),
            },
        );
        inodes
    }

    /// The location of `id`, if the kernel may still use it.
    pub fn get(&self, id: u64) -> Option<Location> {
        self.by_id.get(&id).map(|node| node.location.clone())
    }

    /// The gate of node `id` (see [`Gate`]); a fresh one for an unknown id.
    pub fn gate(&self, id: u64) -> Gate {
        self.by_id
            .get(&id)
            .map(|node| node.gate.clone())
            .unwrap_or_default()
    }

    /// The `st_ino` shown for `id`: the backend's for the root, `id` for the rest
    /// (the kernel takes the entry's id as its inode number).
    pub fn st_ino(&self, id: u64) -> u64 {
        if id == ROOT_ID {
            self.root_ino
        } else {
            id
        }
    }

    /// The number a directory listing shows for a node of `mount_id` with backend
    /// ino `ino`: its id when the kernel knows it, else the ino it would get.
    pub fn listed_ino(&self, mount_id: u64, ino: u64) -> u64 {
        match self.by_key.get(&(mount_id, ino)) {
            Some(&id) => self.st_ino(id),
            None => ino,
        }
    }

    /// Counts one entry reply for `location` and returns its id (the same id as long
    /// as the kernel has not forgotten it). The location is refreshed, so later
    /// requests use the node object the backend gave last.
    pub fn remember(&mut self, location: &Location) -> u64 {
        let key = key_of(location);
        if let Some(&id) = self.by_key.get(&key) {
            if let Some(node) = self.by_id.get_mut(&id) {
                node.lookups += 1;
                if id != ROOT_ID {
                    node.location = location.clone();
                }
                return id;
            }
        }
        let ino = key.1;
        let id = if ino != ROOT_ID
            && ino != 0
            && ino < SPARE_BASE
            && ino != self.root_ino
            && !self.by_id.contains_key(&ino)
        {
            ino
        } else {
            self.spare_id()
        };
        self.by_key.insert(key, id);
        self.by_id.insert(
            id,
            Node {
                location: location.clone(),
                lookups: 1,
                key,
                gate: Gate::default(),
            },
        );
        id
    }

    fn spare_id(&mut self) -> u64 {
        loop {
            let id = self.next_spare;
            self.next_spare = if id == u64::MAX { SPARE_BASE } else { id + 1 };
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    /// The kernel dropped `count` lookups of `id`; at zero the id is free again.
    /// The root is never forgotten.
    pub fn forget(&mut self, id: u64, count: u64) {
        if id == ROOT_ID {
            return;
        }
        let Some(node) = self.by_id.get_mut(&id) else {
            return;
        };
        node.lookups = node.lookups.saturating_sub(count);
        if node.lookups == 0 {
            let key = node.key;
            self.by_id.remove(&id);
            if self.by_key.get(&key) == Some(&id) {
                self.by_key.remove(&key);
            }
        }
    }

    /// How many ids the kernel holds (the root included).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use vfs_core::{MountOptions, Namespace};

    fn namespace() -> Arc<Namespace> {
        let fs = Arc::new(vfs_ramfs::RamFs::new(Default::default()));
        Arc::new(Namespace::new(fs, MountOptions::default()))
    }

    #[test]
    fn ids_follow_lookups_and_forgets() {
        let ns = namespace();
        let root = ns.root();
        let me = ns.root_caller();
        futures::executor::block_on(ns.mkdir(&me, "/d", 0o755)).unwrap();
        let d = futures::executor::block_on(ns.resolve(&me, "/d", false)).unwrap();
        let mut inodes = Inodes::new(root.clone());
        let id = inodes.remember(&d);
        assert_eq!(id, d.vnode().ino());
        assert_eq!(inodes.remember(&d), id);
        inodes.forget(id, 1);
        assert!(inodes.get(id).is_some());
        inodes.forget(id, 1);
        assert!(inodes.get(id).is_none());
        assert_eq!(inodes.len(), 1);
        // The root keeps id 1 whatever the kernel forgets.
        assert_eq!(inodes.remember(&root), ROOT_ID);
        inodes.forget(ROOT_ID, 5);
        assert!(inodes.get(ROOT_ID).is_some());
    }
}
