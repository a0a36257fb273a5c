//! The POSIX permission rules, applied the same way for every backend.

use crate::attr::{Attr, FileType};
use crate::errno::{Errno, Result};
use crate::flags::{AccessMask, Credentials};

/// Checks `mask` against the mode bits in `attr` for `creds`, as Linux's
/// `generic_permission` does without ACLs: the owner class if the caller owns the
/// node, else the group class if the caller is in its group, else the other class.
/// Root may read and write anything and execute anything that has an execute bit (or
/// is a directory).
///
/// ```
/// use vfs_core::{check_access, AccessMask, Credentials, Errno};
/// # let mut attr = vfs_core::Attr { file_type: vfs_core::FileType::Regular, mode: 0o640, nlink: 1,
/// #     uid: 1000, gid: 100, size: 0, blocks: 0, blksize: 4096, ino: 1, rdev: 0,
/// #     atime: Default::default(), mtime: Default::default(), ctime: Default::default() };
/// let member = Credentials::new(2000, 100, []);
/// assert!(check_access(&attr, &member, AccessMask::READ).is_ok());
/// let err = check_access(&attr, &member, AccessMask::WRITE).unwrap_err();
/// assert_eq!(err.errno(), Errno::EACCES);
/// ```
pub fn check_access(attr: &Attr, creds: &Credentials, mask: AccessMask) -> Result<()> {
    if creds.uid == 0 {
        let wants_exec = mask.contains(AccessMask::EXECUTE);
        if !wants_exec || attr.file_type == FileType::Directory || attr.mode & 0o111 != 0 {
            return Ok(());
        }
        return Err(Errno::EACCES.with("no execute bit set"));
    }
    let class_bits = if creds.uid == attr.uid {
        attr.mode >> 6
    } else if creds.in_group(attr.gid) {
        attr.mode >> 3
    } else {
        attr.mode
    } & 0o7;
    if class_bits & mask.bits() == mask.bits() {
        Ok(())
    } else {
        Err(Errno::EACCES.with(format!(
            "mode {:o} denies {:?} to uid {}",
            attr.mode & 0o7777,
            mask,
            creds.uid
        )))
    }
}
