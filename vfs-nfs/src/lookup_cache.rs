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

use crate::node::NfsNode;
use foldhash::HashMap;
use nfs3_types::nfs3::{fattr3, nfs_fh3};
use parking_lot::Mutex;
use std::sync::{Arc, Weak};
use vfs_core::Name;

/// Most entries kept per directory: a huge directory is listed through, not cached.
const MAX_ENTRIES: usize = 16 * 1024;

/// LOOKUPs sent for one directory before its next miss lists it instead (see
/// [`LookupCache::miss`]); doubled after each such listing.
const LIST_AFTER_MISSES: u32 = 16;

/// What a cached name leads to.
#[derive(Clone, Debug)]
pub struct Child {
    /// The child's handle.
    pub fh: nfs_fh3,
    /// Its attributes when cached (enough to make its node: type and fileid).
    pub fattr: fattr3,
    /// The sequence number of the call they came from.
    pub seq: u64,
    /// The node made for it, while it lives: a walk through a known name then
    /// takes it as it is, without copying the handle to find it by. (A node
    /// that has died keeps its allocation until its entry goes, which bounds
    /// that memory by the entries of live directories, at most
    /// [`MAX_ENTRIES`] each.)
    pub node: Weak<NfsNode>,
}

/// A name found in the cache.
pub enum Found {
    /// Its node, alive.
    Live(Arc<NfsNode>),
    /// Only what was cached: a node is to be made from it.
    Cached(Child),
}

#[derive(Default)]
struct Entries {
    children: HashMap<Name, Child>,
    generation: u64,
    /// LOOKUPs sent since the directory was last listed or changed by someone
    /// else.
    misses: u32,
    /// Listings made because of misses (each doubles the misses the next waits
    /// for, so a directory that keeps changing is not listed over and over).
    listings: u32,
    /// Names found here since the last such listing: a listing that found
    /// nothing later asked for (a directory only created in) is not repeated.
    hits: u32,
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

    /// The cached child `name`, for a lookup: counts as a hit (see
    /// [`LookupCache::miss`]).
    pub fn find(&self, name: &Name) -> Option<Found> {
        let mut entries = self.entries.lock();
        let child = entries.children.get(name)?;
        let found = match child.node.upgrade() {
            Some(node) => Found::Live(node),
            None => Found::Cached(child.clone()),
        };
        entries.hits = entries.hits.saturating_add(1);
        Some(found)
    }

    /// Caches `name` -> `child` without counting a change (a LOOKUP or listing
    /// found it).
    pub fn learn(&self, name: &Name, child: Child) {
        let mut entries = self.entries.lock();
        if entries.children.len() < MAX_ENTRIES || entries.children.contains_key(name) {
            entries.children.insert(name.clone(), child);
        }
    }

    /// Makes room for `additional` more names at once (a listing about to learn
    /// them), within the cache's bound.
    pub fn reserve(&self, additional: usize) {
        let mut entries = self.entries.lock();
        let room = MAX_ENTRIES.saturating_sub(entries.children.len());
        entries.children.reserve(additional.min(room));
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
        entries.misses = 0;
    }

    /// Counts a name not found here (a LOOKUP is due). Returns true when this
    /// miss should list the directory instead: a program working through many
    /// names of one directory (unlinking, stat-ing, opening them) then pays one
    /// READDIRPLUS, which caches every name with its handle and attributes, rather
    /// than a LOOKUP per name, as libnfs or Linux would. A directory this mount
    /// only creates names in finds nothing new in its listing and is listed once;
    /// one changed by others is listed again only after twice as many misses each
    /// time, and only if the last listing answered some lookup, so the extra
    /// cost stays a small fraction of the LOOKUPs.
    pub fn miss(&self) -> bool {
        let mut entries = self.entries.lock();
        entries.misses = entries.misses.saturating_add(1);
        let due = LIST_AFTER_MISSES.saturating_mul(1 << entries.listings.min(16));
        let useful = entries.listings == 0 || entries.hits > 0;
        if entries.misses <= due || !useful || entries.children.len() >= MAX_ENTRIES {
            return false;
        }
        entries.misses = 0;
        entries.hits = 0;
        entries.listings += 1;
        true
    }

    /// Counts of changes seen, for listings buffered across calls.
    pub fn generation(&self) -> u64 {
        self.entries.lock().generation
    }
}
