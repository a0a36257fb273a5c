//! Directories being filled with new files: where `open(O_CREAT)` of a name no
//! cache knows asks the backend to create it before asking whether it exists.
//!
//! On a backend whose lookups wait for a server (NFS), `open(O_CREAT)` of a name
//! the caches cannot answer for costs a lookup and then, when the name is new, a
//! create: two round trips. A create that refuses an existing name answers both
//! questions in one when the name is new, and costs one more when it is not. Which
//! is likelier depends on the directory: a program filling one (unpacking an
//! archive, copying a tree, writing results) creates name after name, while one
//! reopening its logs or rewriting build outputs finds them there. So the
//! namespace remembers the last few directories where such an open ended by
//! creating the file, and tries the create first there; an open there that finds
//! the name already present takes the directory off the list. The first new file
//! of a directory costs what it did, each further one a round trip less, and a
//! wrong guess costs one round trip before the list corrects itself.

use crate::mount::Location;
use parking_lot::Mutex;
use std::collections::VecDeque;

/// Directories remembered: a few written at once (several programs, or one
/// copying a tree), bounded so lookups in the list cost nothing.
const REMEMBERED: usize = 8;

/// A directory, by mount and inode number (which a backend may hand out fresh
/// node objects for).
type DirKey = (u64, u64);

fn key(dir: &Location) -> DirKey {
    (dir.mount.id(), dir.vnode.ino())
}

/// The directories where creating first has been paying off, most recent first.
#[derive(Default)]
pub(crate) struct FillingDirs {
    recent: Mutex<VecDeque<DirKey>>,
}

impl FillingDirs {
    /// Whether an unknown name in `dir` is likely new.
    pub fn expects_new(&self, dir: &Location) -> bool {
        self.recent.lock().contains(&key(dir))
    }

    /// An `open(O_CREAT)` of a name unknown in `dir` ended: `created` it, or found
    /// it there.
    pub fn learn(&self, dir: &Location, created: bool) {
        let key = key(dir);
        let mut recent = self.recent.lock();
        recent.retain(|known| *known != key);
        if created {
            recent.push_front(key);
            recent.truncate(REMEMBERED);
        }
    }
}
