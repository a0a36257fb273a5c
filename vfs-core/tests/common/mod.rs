//! What the test backends of these tests share.

use vfs_core::{Attr, FileType, Timespec};

/// The attributes of a test node: one link, owned by root, times at the epoch.
pub fn plain_attr(ino: u64, file_type: FileType, mode: u32, size: u64) -> Attr {
    Attr {
        file_type,
        mode,
        nlink: 1,
        uid: 0,
        gid: 0,
        size,
        blocks: 0,
        blksize: 4096,
        ino,
        rdev: 0,
        atime: Timespec::default(),
        mtime: Timespec::default(),
        ctime: Timespec::default(),
    }
}
