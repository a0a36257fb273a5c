//! Open file descriptions: what `open` creates and `dup` shares.

use crate::locks::FileKey;
use crate::process::Vfs;
use futures::lock::Mutex as AsyncMutex;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::AtomicUsize;
use std::sync::OnceLock;
use vfs_core::{FileHandle, FileType, OpenFlags};

/// One entry a directory stream hands out (`struct dirent`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEnt {
    /// Inode number.
    pub ino: u64,
    /// Type of the entry.
    pub file_type: FileType,
    /// Name (`.` and `..` included).
    pub name: Vec<u8>,
}

/// Where a directory stream stands.
#[derive(Default)]
pub(crate) struct DirCursor {
    /// `.` and `..` handed out so far (0, 1 or 2).
    pub dots_done: u8,
    /// Cookie to continue the backend listing from.
    pub cookie: u64,
    /// Entries fetched but not handed out yet.
    pub pending: VecDeque<DirEnt>,
    /// The backend said the listing has no more entries.
    pub eof: bool,
}

/// The offset and the directory cursor, changed together under one lock so reads,
/// writes and seeks on a shared description are atomic with respect to each other
/// (Linux's `f_pos_lock`).
#[derive(Default)]
pub(crate) struct Position {
    pub offset: u64,
    pub dir: DirCursor,
}

/// An open file description: the namespace's handle, the file offset, the status
/// flags, shared by every descriptor `dup` made from the same `open`.
pub(crate) struct OpenFileDescription {
    /// Unique per [`crate::Vfs`], given at the first `flock` (most descriptions
    /// never take one): what owns the description's `flock` lock.
    flock_owner: OnceLock<u64>,
    pub handle: FileHandle,
    pub file: FileKey,
    /// The status flags `fcntl(F_SETFL)` may change (`APPEND`, `NONBLOCK`), with the
    /// access mode and the rest as given to `open`.
    pub status: Mutex<OpenFlags>,
    pub position: AsyncMutex<Position>,
    /// How many descriptors refer to this description; the last `close` releases it.
    pub fd_refs: AtomicUsize,
}

impl OpenFileDescription {
    pub fn new(handle: FileHandle) -> OpenFileDescription {
        let location = handle.location();
        let file = FileKey {
            mount: location.mount().id(),
            ino: location.vnode().ino(),
        };
        let status = Mutex::new(handle.flags());
        OpenFileDescription {
            flock_owner: OnceLock::new(),
            handle,
            file,
            status,
            position: AsyncMutex::new(Position::default()),
            fd_refs: AtomicUsize::new(1),
        }
    }

    /// The owner of this description's `flock` lock, given by `vfs` the first
    /// time it is asked for.
    pub fn flock_owner(&self, vfs: &Vfs) -> u64 {
        *self.flock_owner.get_or_init(|| vfs.next_flock_owner())
    }

    /// The owner of this description's `flock` lock, if it ever asked for one.
    pub fn flock_owner_if_any(&self) -> Option<u64> {
        self.flock_owner.get().copied()
    }

    pub fn status(&self) -> OpenFlags {
        *self.status.lock()
    }

    pub fn file_type(&self) -> FileType {
        self.handle.location().vnode().file_type()
    }
}
