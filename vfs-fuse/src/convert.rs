//! Conversions between the kernel's FUSE vocabulary and vfs-core's.

use std::time::UNIX_EPOCH;
use vfs_core::{Attr, Credentials, FileType, SetTime};

/// The errno the kernel gets for `error`.
pub fn errno(error: &vfs_core::Error) -> fuser::Errno {
    fuser::Errno::from_i32(error.errno().raw())
}

/// The FUSE file type of `file_type`.
pub fn kind(file_type: FileType) -> fuser::FileType {
    match file_type {
        FileType::Regular => fuser::FileType::RegularFile,
        FileType::Directory => fuser::FileType::Directory,
        FileType::Symlink => fuser::FileType::Symlink,
        FileType::Fifo => fuser::FileType::NamedPipe,
        FileType::Socket => fuser::FileType::Socket,
        FileType::CharDevice => fuser::FileType::CharDevice,
        FileType::BlockDevice => fuser::FileType::BlockDevice,
    }
}

/// The attributes the kernel gets for a node shown with inode number `ino`.
pub fn file_attr(ino: u64, attr: &Attr) -> fuser::FileAttr {
    fuser::FileAttr {
        ino: fuser::INodeNo(ino),
        size: attr.size,
        blocks: attr.blocks,
        atime: attr.atime.into(),
        mtime: attr.mtime.into(),
        ctime: attr.ctime.into(),
        crtime: UNIX_EPOCH,
        kind: kind(attr.file_type),
        perm: (attr.mode & 0o7777) as u16,
        nlink: u32::try_from(attr.nlink).unwrap_or(u32::MAX),
        uid: attr.uid,
        gid: attr.gid,
        // The kernel's FUSE ABI carries a 32-bit rdev in the new encoding.
        rdev: u32::try_from(attr.rdev).unwrap_or(0),
        blksize: if attr.blksize == 0 {
            4096
        } else {
            attr.blksize
        },
        flags: 0,
    }
}

/// vfs-core's form of a time in a FUSE `setattr`.
pub fn set_time(time: fuser::TimeOrNow) -> SetTime {
    match time {
        fuser::TimeOrNow::Now => SetTime::Now,
        fuser::TimeOrNow::SpecificTime(at) => SetTime::At(at.into()),
    }
}

/// The credentials of the process `pid` that sent a request as `uid`/`gid`: its
/// supplementary groups come from `/proc/PID/status` (the request carries none);
/// none when that cannot be read (the process is gone, or the request came from
/// the kernel itself with pid 0).
pub fn credentials(uid: u32, gid: u32, pid: u32) -> Credentials {
    let groups = if pid == 0 {
        Vec::new()
    } else {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .map(|status| groups_of_status(&status))
            .unwrap_or_default()
    };
    Credentials::new(uid, gid, groups)
}

/// The numbers on the `Groups:` line of a `/proc/PID/status` text.
fn groups_of_status(status: &str) -> Vec<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Groups:"))
        .map(|list| {
            list.split_whitespace()
                .filter_map(|g| g.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_read_from_the_status_line() {
        let status = "Name:\tbash\nUid:\t0\t0\t0\t0\nGroups:\t4 24 27 \nVmPeak:\t1 kB\n";
        assert_eq!(groups_of_status(status), vec![4, 24, 27]);
        assert_eq!(groups_of_status("Groups:\n"), Vec::<u32>::new());
        assert_eq!(groups_of_status("Name:\tx\n"), Vec::<u32>::new());
    }

    #[test]
    fn own_credentials_include_supplementary_groups() {
        let creds = credentials(0, 0, std::process::id());
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        assert_eq!(creds.groups().to_vec(), groups_of_status(&status));
    }
}
