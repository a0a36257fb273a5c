//! Node attributes, attribute changes and file-system statistics.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The type of a node. Fixed for the node's whole life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileType {
    /// A regular file.
    Regular,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// A named pipe.
    Fifo,
    /// A UNIX-domain socket node.
    Socket,
    /// A character device node.
    CharDevice,
    /// A block device node.
    BlockDevice,
}

impl FileType {
    /// The `S_IFMT` bits of this type, as in `st_mode`.
    pub fn mode_bits(self) -> u32 {
        match self {
            FileType::Regular => 0o100000,
            FileType::Directory => 0o040000,
            FileType::Symlink => 0o120000,
            FileType::Fifo => 0o010000,
            FileType::Socket => 0o140000,
            FileType::CharDevice => 0o020000,
            FileType::BlockDevice => 0o060000,
        }
    }

    /// The type encoded in the `S_IFMT` bits of `mode`, if any.
    pub fn from_mode(mode: u32) -> Option<FileType> {
        Some(match mode & 0o170000 {
            0o100000 => FileType::Regular,
            0o040000 => FileType::Directory,
            0o120000 => FileType::Symlink,
            0o010000 => FileType::Fifo,
            0o140000 => FileType::Socket,
            0o020000 => FileType::CharDevice,
            0o060000 => FileType::BlockDevice,
            _ => return None,
        })
    }
}

/// A point in time as POSIX keeps it: seconds and nanoseconds since the epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timespec {
    /// Seconds since 1970-01-01 00:00:00 UTC; negative before it.
    pub sec: i64,
    /// Nanoseconds, `0..1_000_000_000`.
    pub nsec: u32,
}

impl Timespec {
    /// Builds a timestamp; `nsec` must be below one billion.
    pub const fn new(sec: i64, nsec: u32) -> Timespec {
        Timespec { sec, nsec }
    }

    /// The current wall-clock time.
    pub fn now() -> Timespec {
        Timespec::from(SystemTime::now())
    }
}

impl From<SystemTime> for Timespec {
    fn from(time: SystemTime) -> Timespec {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => Timespec::new(after.as_secs() as i64, after.subsec_nanos()),
            Err(before) => {
                let before = before.duration();
                let mut sec = -(before.as_secs() as i64);
                let mut nsec = before.subsec_nanos();
                if nsec > 0 {
                    sec -= 1;
                    nsec = 1_000_000_000 - nsec;
                }
                Timespec::new(sec, nsec)
            }
        }
    }
}

impl From<Timespec> for SystemTime {
    fn from(time: Timespec) -> SystemTime {
        let whole = Duration::from_secs(time.sec.unsigned_abs());
        let base = if time.sec >= 0 {
            UNIX_EPOCH + whole
        } else {
            UNIX_EPOCH - whole
        };
        base + Duration::from_nanos(u64::from(time.nsec))
    }
}

/// The attributes of a node, as `stat` reports them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    /// The node's type.
    pub file_type: FileType,
    /// Permission bits including set-user-ID, set-group-ID and sticky (`0o7777`).
    pub mode: u32,
    /// Number of hard links (for a directory: 2 plus its subdirectories on most
    /// file systems).
    pub nlink: u64,
    /// Owner user ID.
    pub uid: u32,
    /// Owner group ID.
    pub gid: u32,
    /// Size in bytes (for a symlink: the length of its target).
    pub size: u64,
    /// Space used, in 512-byte blocks.
    pub blocks: u64,
    /// Preferred I/O size in bytes.
    pub blksize: u32,
    /// Inode number, unique within the file system.
    pub ino: u64,
    /// Device number of a device node (0 otherwise).
    pub rdev: u64,
    /// Last access.
    pub atime: Timespec,
    /// Last data modification.
    pub mtime: Timespec,
    /// Last status change.
    pub ctime: Timespec,
}

impl Attr {
    /// `st_mode`: the type bits together with the permission bits.
    pub fn st_mode(&self) -> u32 {
        self.file_type.mode_bits() | (self.mode & 0o7777)
    }
}

/// How a timestamp is to be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetTime {
    /// The backend's current time (`UTIME_NOW`).
    Now,
    /// This exact time.
    At(Timespec),
}

/// A change of attributes; `None` fields are left alone. Setting `size` truncates or
/// extends (with zeros) a regular file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    /// New permission bits (`0o7777` mask).
    pub mode: Option<u32>,
    /// New owner.
    pub uid: Option<u32>,
    /// New group.
    pub gid: Option<u32>,
    /// New size.
    pub size: Option<u64>,
    /// New access time.
    pub atime: Option<SetTime>,
    /// New modification time.
    pub mtime: Option<SetTime>,
}

impl SetAttr {
    /// Changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == SetAttr::default()
    }
}

/// Attributes of a node being created: the caller's credentials and the mode after
/// the umask, decided by the namespace so every backend gets them alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewNode {
    /// Permission bits (`0o7777` mask).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// File-system statistics, as `statvfs` reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FsStat {
    /// Block size the counts below are in.
    pub block_size: u32,
    /// Total blocks.
    pub blocks: u64,
    /// Free blocks.
    pub blocks_free: u64,
    /// Free blocks available to unprivileged users.
    pub blocks_available: u64,
    /// Total inodes.
    pub files: u64,
    /// Free inodes.
    pub files_free: u64,
    /// Longest name, in bytes.
    pub name_max: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespec_round_trips_through_system_time() {
        for t in [
            Timespec::new(0, 0),
            Timespec::new(1_700_000_000, 5),
            Timespec::new(-2, 999_999_999),
        ] {
            assert_eq!(Timespec::from(SystemTime::from(t)), t);
        }
    }

    #[test]
    fn mode_bits_round_trip() {
        for t in [
            FileType::Regular,
            FileType::Directory,
            FileType::Symlink,
            FileType::Fifo,
        ] {
            assert_eq!(FileType::from_mode(t.mode_bits() | 0o755), Some(t));
        }
    }
}
