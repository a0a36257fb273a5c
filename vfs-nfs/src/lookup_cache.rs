//! The lookup cache of one directory: name -> child handle (and the attributes it
//! came with), so a path walk through a known directory costs no LOOKUP.
//!
//! Entries are valid as long as the directory is unchanged. The directory's
//! attribute cache decides that: when attributes from any reply show a change this
//! mount did not make (the WCC pre-operation attributes do not match what was
//! cached, or a GETATTR finds another mtime/ctime), the whole cache is dropped;
//! when this mount made the change, the operation updates just its entry. A lookup
//! served from here first makes sure the directory's attributes are fresh, which is
//! Linux's dentry revalidation. Only positive entries are kept; the `generation`
//! counts every change so a buffered listing can tell it is out of date.

use nfs3_types::nfs3::{fattr3, nfs_fh3};
use parking_lot::Mutex;
use std::collections::HashMap;
use vfs_core::Name;

/// Most entries kept per directory: a huge directory is listed through, not cached.
const MAX_ENTRIES: usize = 16 * 1024;

/// What a cached name leads to.
#[derive(Clone, Debug)]
pub struct Child {
    /// The child's handle.
    pub fh: nfs_fh3,
    /// Its attributes when cached (enough to make its node: type and fileid).
    pub fattr: fattr3,
    /// The sequence number of the call they came from.
    pub seq: u64,
}

#[derive(Default)]
struct Entries {
    children: HashMap<Name, Child>,
    generation: u64,
}

/// The lookup cache of one directory.
#[derive(Default)]
pub struct LookupCache {
    entries: Mutex<Entries>,
}

impl LookupCache {
    /// The cached child `name`.
    pub fn get(&self, name: &Name) -> Option<Child> {
        self.entries.lock().children.get(name).cloned()
    }

    /// Caches `name` -> `child` without counting a change (a LOOKUP or listing
    /// found it).
    pub fn learn(&self, name: &Name, child: Child) {
        let mut entries = self.entries.lock();
        if entries.children.len() < MAX_ENTRIES || entries.children.contains_key(name) {
            entries.children.insert(name.clone(), child);
        }
    }

    /// This mount added or replaced `name`.
    pub fn added(&self, name: &Name, child: Child) {
        let mut entries = self.entries.lock();
        entries.generation += 1;
        if entries.children.len() < MAX_ENTRIES || entries.children.contains_key(name) {
            entries.children.insert(name.clone(), child);
        }
    }

    /// This mount removed `name` (or does not know what it now names).
    pub fn removed(&self, name: &Name) {
        let mut entries = self.entries.lock();
        entries.generation += 1;
        entries.children.remove(name);
    }

    /// The directory changed in a way this mount cannot follow: forget everything.
    pub fn clear(&self) {
        let mut entries = self.entries.lock();
        entries.generation += 1;
        entries.children.clear();
    }

    /// Counts of changes seen, for listings buffered across calls.
    pub fn generation(&self) -> u64 {
        self.entries.lock().generation
    }
}
