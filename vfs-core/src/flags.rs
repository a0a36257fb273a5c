//! Open flags, access masks and caller credentials.

use bitflags::bitflags;
use std::sync::Arc;

bitflags! {
    /// Flags of `open`, independent of any platform's `O_*` numbering (the C ABI
    /// translates). `READ`/`WRITE` together are `O_RDWR`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct OpenFlags: u32 {
        /// Open for reading (`O_RDONLY`, or half of `O_RDWR`).
        const READ = 1 << 0;
        /// Open for writing (`O_WRONLY`, or half of `O_RDWR`).
        const WRITE = 1 << 1;
        /// Create the file if it does not exist (`O_CREAT`).
        const CREATE = 1 << 2;
        /// With `CREATE`: fail with `EEXIST` if the name exists (`O_EXCL`).
        const EXCLUSIVE = 1 << 3;
        /// Truncate a regular file to zero length (`O_TRUNC`).
        const TRUNCATE = 1 << 4;
        /// Every write goes to the end of the file (`O_APPEND`).
        const APPEND = 1 << 5;
        /// Fail with `ENOTDIR` unless the path names a directory (`O_DIRECTORY`).
        const DIRECTORY = 1 << 6;
        /// Fail with `ELOOP` if the last component is a symlink (`O_NOFOLLOW`).
        const NOFOLLOW = 1 << 7;
        /// Close on exec (`O_CLOEXEC`); kept for the frontends, ignored below them.
        const CLOEXEC = 1 << 8;
        /// Writes are durable when they return (`O_SYNC`).
        const SYNC = 1 << 9;
        /// Written data (not all metadata) is durable when writes return (`O_DSYNC`).
        const DSYNC = 1 << 10;
        /// Do not block (`O_NONBLOCK`); meaningful for special files only.
        const NONBLOCK = 1 << 11;
        /// Do not update the access time (`O_NOATIME`).
        const NOATIME = 1 << 12;
    }
}

impl OpenFlags {
    /// `O_RDONLY`.
    pub const RDONLY: OpenFlags = OpenFlags::READ;
    /// `O_WRONLY`.
    pub const WRONLY: OpenFlags = OpenFlags::WRITE;
    /// `O_RDWR`.
    pub const RDWR: OpenFlags = OpenFlags::READ.union(OpenFlags::WRITE);

    /// True when the file is open for reading.
    pub fn readable(self) -> bool {
        self.contains(OpenFlags::READ)
    }

    /// True when the file is open for writing.
    pub fn writable(self) -> bool {
        self.contains(OpenFlags::WRITE)
    }
}

bitflags! {
    /// The permissions asked of `access` (`R_OK`, `W_OK`, `X_OK`; empty is `F_OK`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct AccessMask: u32 {
        /// Read permission (`R_OK`).
        const READ = 4;
        /// Write permission (`W_OK`).
        const WRITE = 2;
        /// Execute or search permission (`X_OK`).
        const EXECUTE = 1;
    }
}

/// Who is calling: user, primary group and supplementary groups.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Credentials {
    /// Effective user ID.
    pub uid: u32,
    /// Effective group ID.
    pub gid: u32,
    /// Supplementary groups; `None` when there are none, so the common case
    /// clones (every open file keeps its opener's credentials) without touching
    /// a reference count.
    groups: Option<Arc<[u32]>>,
}

impl Credentials {
    /// The superuser.
    pub fn root() -> Credentials {
        Credentials::new(0, 0, [])
    }

    /// A user with the given groups.
    pub fn new(uid: u32, gid: u32, groups: impl IntoIterator<Item = u32>) -> Credentials {
        let groups: Arc<[u32]> = groups.into_iter().collect();
        Credentials {
            uid,
            gid,
            groups: (!groups.is_empty()).then_some(groups),
        }
    }

    /// The supplementary groups.
    pub fn groups(&self) -> &[u32] {
        self.groups.as_deref().unwrap_or_default()
    }

    /// True for the superuser (uid 0), who holds every capability the permission
    /// rules know (`CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH`, `CAP_FOWNER`,
    /// `CAP_CHOWN`, `CAP_FSETID`); nobody else holds any.
    pub fn is_superuser(&self) -> bool {
        self.uid == 0
    }

    /// True when the caller is in group `gid`, as primary or supplementary group.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups().contains(&gid)
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials::root()
    }
}
