//! Walks remembered: a path walked before is answered from memory while nothing it
//! depended on can have changed, instead of asking the backend again for each
//! component (what Linux's dentry cache spares its file systems).
//!
//! Only a walk that stays on one mount whose file system counts its name changes
//! ([`Filesystem::names_version`](crate::Filesystem::names_version)) is remembered,
//! with that count and the mount table's, both read before the walk's first step.
//! An entry is used only while both still stand there, so any change that could
//! alter the walk (an entry added or removed, a rename, a chmod, a mount) retires
//! every entry before a later walk could use it. What a walk finds also depends on
//! where it starts, whether it follows a final symlink and whose search permission
//! it checks: with the path, those are the key.
//!
//! An entry holds its node weakly (its mount is the one the walk starts on):
//! remembering never keeps a removed file or an unmounted file system alive.
//! Each thread keeps its own entries, so looking one up takes no lock (a lock's
//! two atomic operations would be a tenth of an `open` that hits), at the price of
//! one walk per path per thread. A thread's entries are [`SETS`] sets of [`WAYS`]
//! (the key's hash picks the set; a walk replaces its own older entry, else an
//! empty or outdated one, else one picked by its hash), so a few paths used
//! together never push each other out.

use crate::flags::Credentials;
use crate::mount::Location;
use crate::vnode::Vnode;
use std::cell::RefCell;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// How many sets of entries each thread has.
const SETS: usize = 32;

/// How many entries one set holds.
const WAYS: usize = 4;

type Set = [Option<Remembered>; WAYS];

thread_local! {
    /// This thread's remembered walks, of every namespace; allocated at the
    /// first walk remembered.
    static REMEMBERED: RefCell<Vec<Set>> = const { RefCell::new(Vec::new()) };
}

/// Tells namespaces apart in the entries threads share among them.
static NEXT_CACHE_ID: AtomicU64 = AtomicU64::new(0);

/// The remembered walks of one namespace.
pub(crate) struct WalkCache {
    id: u64,
    hasher: foldhash::fast::RandomState,
}

/// The change counts a walk started from: taken before its first step.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    table: u64,
    names: u64,
}

impl Stamp {
    /// The stamp of a walk starting at `start`, given the mount table's count read
    /// before `start` was chosen; `None` when `start`'s file system keeps no count
    /// (its walks are never remembered).
    pub(crate) fn before_walk(table_version: u64, start: &Location) -> Option<Stamp> {
        Some(Stamp {
            table: table_version,
            names: start.mount.names_version()?.current(),
        })
    }
}

/// What a walk's outcome depends on besides the file system's state.
pub(crate) struct WalkKey<'p> {
    hash: u64,
    /// The namespace's [`WalkCache`].
    cache: u64,
    path: &'p [u8],
    /// The start's mount id and inode number, for a relative path; an absolute
    /// path starts at the namespace root, which only a mount changes.
    from: Option<(u64, u64)>,
    follow_last: bool,
}

/// One walk: its key, the counts it was made at, and where it ended.
struct Remembered {
    hash: u64,
    cache: u64,
    path: Box<[u8]>,
    from: Option<(u64, u64)>,
    follow_last: bool,
    creds: Credentials,
    stamp: Stamp,
    links_followed: u32,
    vnode: Weak<dyn Vnode>,
}

impl Remembered {
    fn answers(&self, key: &WalkKey<'_>, creds: &Credentials) -> bool {
        self.hash == key.hash
            && self.cache == key.cache
            && self.follow_last == key.follow_last
            && self.from == key.from
            && *self.path == *key.path
            && same_search_rights(&self.creds, creds)
    }
}

/// True when a walk checks the same search permissions for `a` as for `b`: the
/// superuser is never refused one, whatever its groups.
fn same_search_rights(a: &Credentials, b: &Credentials) -> bool {
    (a.is_superuser() && b.is_superuser()) || a == b
}

impl WalkCache {
    pub(crate) fn new() -> WalkCache {
        WalkCache {
            id: NEXT_CACHE_ID.fetch_add(1, Ordering::Relaxed),
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// The key of a walk of `path` from `start` (which an absolute path ignores).
    pub(crate) fn key<'p>(
        &self,
        start: &Location,
        path: &'p [u8],
        follow_last: bool,
    ) -> WalkKey<'p> {
        let from = (!path.starts_with(b"/")).then(|| (start.mount.id(), start.vnode.ino()));
        WalkKey {
            hash: self.hasher.hash_one((path, from, follow_last)),
            cache: self.id,
            path,
            from,
            follow_last,
        }
    }

    /// The node where the walk `key` by `creds` ended, on the mount it started
    /// on, and how many symlinks it followed, if it was remembered at the counts
    /// of `now`, which are read before the walk would start.
    pub(crate) fn find(
        &self,
        key: &WalkKey<'_>,
        creds: &Credentials,
        now: Stamp,
    ) -> Option<(Arc<dyn Vnode>, u32)> {
        // A thread being torn down has no entries any more: it walks.
        let found = REMEMBERED.try_with(|sets| {
            let sets = sets.borrow();
            let set = sets.get(key.hash as usize % SETS)?;
            let walk = set.iter().flatten().find(|walk| walk.answers(key, creds))?;
            if walk.stamp != now {
                return None;
            }
            Some((walk.vnode.upgrade()?, walk.links_followed))
        });
        found.ok().flatten()
    }

    /// Remembers that the walk `key` by `creds`, begun at `stamp`, ended at `found`
    /// on the mount it started on, following `links_followed` symlinks.
    pub(crate) fn remember(
        &self,
        key: &WalkKey<'_>,
        creds: &Credentials,
        stamp: Stamp,
        links_followed: u32,
        found: &Location,
    ) {
        let walk = Remembered {
            hash: key.hash,
            cache: key.cache,
            path: key.path.into(),
            from: key.from,
            follow_last: key.follow_last,
            creds: creds.clone(),
            stamp,
            links_followed,
            vnode: Arc::downgrade(&found.vnode),
        };
        let replaced = REMEMBERED.try_with(|sets| {
            let mut sets = sets.borrow_mut();
            if sets.is_empty() {
                sets.resize_with(SETS, Set::default);
            }
            let set = &mut sets[key.hash as usize % SETS];
            let way = set
                .iter()
                .position(|old| old.as_ref().is_some_and(|old| old.answers(key, creds)))
                .or_else(|| {
                    set.iter()
                        .position(|old| old.as_ref().is_none_or(|old| old.stamp != stamp))
                })
                .unwrap_or((key.hash >> 32) as usize % WAYS);
            set[way].replace(walk)
        });
        // Dropped once the entries are no longer borrowed: it may free memory.
        drop(replaced);
    }
}
