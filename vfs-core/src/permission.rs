//! The POSIX permission rules, applied the same way for every backend.
//!
//! Linux decides permissions in the VFS, above every file system (fs/namei.c,
//! fs/attr.c, fs/inode.c); so does this crate: the [`Namespace`](crate::Namespace),
//! its path walker and [`FileHandle`](crate::FileHandle) call
//! the functions here, in the order Linux calls its own, for every mount whose
//! backend declares the `permissions` capability (a backend without it stores no
//! mode bits, so there is nothing to check).
//!
//! The rules are pure functions of a node's [`Attr`] and the caller's
//! [`Credentials`]; the `async` helpers fetch the attributes only when a rule can
//! refuse, so root's calls (which the rules never refuse) cost no extra `getattr`.
//! Root (uid 0) holds `CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH`, `CAP_FOWNER`,
//! `CAP_CHOWN` and `CAP_FSETID`; no other caller holds any capability.

use crate::attr::{Attr, FileType, SetAttr, SetTime};
use crate::errno::{Errno, Result};
use crate::fetch::{drive, now_try, Fetch};
use crate::flags::{AccessMask, Credentials, OpenFlags};
use crate::mount::Location;
use crate::vnode::{attributes, Vnode};
use std::sync::Arc;

/// Set-user-ID.
pub const S_ISUID: u32 = 0o4000;
/// Set-group-ID.
pub const S_ISGID: u32 = 0o2000;
/// Sticky (restricted deletion in a directory).
pub const S_ISVTX: u32 = 0o1000;
const S_IXGRP: u32 = 0o0010;

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
    if creds.is_superuser() {
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

/// Linux's `inode_owner_or_capable`: the owner, or root (`CAP_FOWNER`).
pub fn is_owner_or_root(attr: &Attr, creds: &Credentials) -> bool {
    creds.is_superuser() || creds.uid == attr.uid
}

/// Linux's `check_sticky`: in a sticky directory `dir`, only the owner of `victim`,
/// the owner of `dir` or root may remove or replace `victim`.
pub fn sticky_denies(dir: &Attr, victim: &Attr, creds: &Credentials) -> bool {
    dir.mode & S_ISVTX != 0
        && creds.uid != victim.uid
        && creds.uid != dir.uid
        && !creds.is_superuser()
}

/// The access `open` asks of an existing node, Linux's `ACC_MODE` plus `MAY_WRITE`
/// for `O_TRUNC`: neither read nor write (access mode 3) asks for both.
pub fn open_access(flags: OpenFlags) -> AccessMask {
    let mut mask = AccessMask::empty();
    if flags.readable() {
        mask |= AccessMask::READ;
    }
    if flags.writable() || flags.contains(OpenFlags::TRUNCATE) {
        mask |= AccessMask::WRITE;
    }
    if !flags.readable() && !flags.writable() {
        mask |= AccessMask::READ | AccessMask::WRITE;
    }
    mask
}

/// Linux's `may_open` past its type checks: `EACCES` unless the mode bits grant
/// [`open_access`], then `EPERM` for `O_NOATIME` on a node the caller neither owns
/// nor is root for.
pub fn check_open(attr: &Attr, creds: &Credentials, flags: OpenFlags) -> Result<()> {
    check_access(attr, creds, open_access(flags))?;
    if flags.contains(OpenFlags::NOATIME) && !is_owner_or_root(attr, creds) {
        return Err(Errno::EPERM.with("O_NOATIME on a file the caller does not own"));
    }
    Ok(())
}

/// Linux's `may_linkat` with `fs.protected_hardlinks = 1` (the default of systemd
/// and every major distribution): a caller who neither owns `source` nor is root may
/// link only a regular file that is neither set-user-ID nor executable
/// set-group-ID, and that it may both read and write. Otherwise `EPERM`.
pub fn check_link_source(source: &Attr, creds: &Credentials) -> Result<()> {
    if is_owner_or_root(source, creds) {
        return Ok(());
    }
    let safe = source.file_type == FileType::Regular
        && source.mode & S_ISUID == 0
        && source.mode & (S_ISGID | S_IXGRP) != (S_ISGID | S_IXGRP)
        && check_access(source, creds, AccessMask::READ | AccessMask::WRITE).is_ok();
    if safe {
        Ok(())
    } else {
        Err(Errno::EPERM.with("hard link to a file the caller does not own (protected_hardlinks)"))
    }
}

/// Linux's `setattr_should_drop_suidgid`, for a write or truncation by `creds`: the
/// mode of regular file `attr` without the set-ID bits that must go, or `None` when
/// nothing changes. Set-user-ID always goes; set-group-ID when group execute is set
/// or the caller is not in the file's group; root (`CAP_FSETID`) keeps both.
pub fn mode_after_write(attr: &Attr, creds: &Credentials) -> Option<u32> {
    if creds.is_superuser() || attr.file_type != FileType::Regular {
        return None;
    }
    let kill = kill_set_id(attr, creds, attr.mode & S_ISUID);
    (kill != 0).then_some(attr.mode & 0o7777 & !kill)
}

/// The set-ID bits of `attr` a change drops: set-user-ID as far as `suid` has it,
/// set-group-ID as Linux's `setattr_should_drop_sgid` decides.
fn kill_set_id(attr: &Attr, creds: &Credentials, suid: u32) -> u32 {
    let sgid = if attr.mode & S_ISGID == 0 {
        0
    } else if attr.mode & S_IXGRP != 0 || !(creds.is_superuser() || creds.in_group(attr.gid)) {
        S_ISGID
    } else {
        0
    };
    suid | sgid
}

/// Whether `changes` is Linux's `ATTR_TOUCH`: both times set to now, which
/// `utimensat(..., NULL)` asks for.
fn is_touch(changes: &SetAttr) -> bool {
    changes.atime == Some(SetTime::Now) && changes.mtime == Some(SetTime::Now)
}

/// What `notify_change` and `setattr_prepare` make of `changes` to the node
/// `attr` by `creds`, in their order: the change the backend is to apply, or
/// the error.
///
/// - both times now (`ATTR_TOUCH`): the owner, root, or a caller with write
///   permission (`EACCES`);
/// - a change of owner or group on a non-directory also drops set-user-ID, and
///   set-group-ID as [`mode_after_write`] decides (for everyone, root included:
///   `chown_common`'s `ATTR_KILL_SUID`/`ATTR_KILL_SGID`);
/// - a new owner: only root, or the owner "changing" it to himself (`EPERM`);
/// - a new group: root, or the owner choosing one of his groups (`EPERM`);
/// - a new mode (asked, or made by the drop above): the owner or root (`EPERM`);
///   set-group-ID is silently dropped when neither root nor in the (new) group;
/// - explicit times (anything but both now): the owner or root (`EPERM`).
///
/// A `size` is not judged here (see [`Namespace::truncate`](crate::Namespace)).
pub fn prepare_setattr(attr: &Attr, creds: &Credentials, changes: &SetAttr) -> Result<SetAttr> {
    prepare_change(attr, creds, changes, is_chown(changes))
}

/// Whether `changes` changes an owner or a group.
pub(crate) fn is_chown(changes: &SetAttr) -> bool {
    changes.uid.is_some() || changes.gid.is_some()
}

/// [`prepare_setattr`], with `chown` saying whether the change comes from a
/// `chown` call, which drops set-ID bits even when it changes neither id
/// (`chown(path, -1, -1)`).
fn prepare_change(
    attr: &Attr,
    creds: &Credentials,
    changes: &SetAttr,
    chown: bool,
) -> Result<SetAttr> {
    let mut effective = changes.clone();
    let touch = is_touch(changes);
    if touch && !is_owner_or_root(attr, creds) {
        check_access(attr, creds, AccessMask::WRITE)?;
    }
    if chown && attr.file_type != FileType::Directory && effective.mode.is_none() {
        let kill = kill_set_id(attr, creds, attr.mode & S_ISUID);
        if kill != 0 {
            effective.mode = Some(attr.mode & 0o7777 & !kill);
        }
    }
    if let Some(uid) = changes.uid {
        let own_noop = creds.uid == attr.uid && uid == attr.uid;
        if !(own_noop || creds.is_superuser()) {
            return Err(Errno::EPERM.with(format!("only root may give a file to uid {uid}")));
        }
    }
    if let Some(gid) = changes.gid {
        let owner_may = creds.uid == attr.uid && (gid == attr.gid || creds.in_group(gid));
        if !(owner_may || creds.is_superuser()) {
            return Err(Errno::EPERM.with(format!("the caller may not change the group to {gid}")));
        }
    }
    if let Some(mode) = effective.mode {
        if !is_owner_or_root(attr, creds) {
            return Err(Errno::EPERM.with("only the owner or root may change the mode"));
        }
        let group = changes.gid.unwrap_or(attr.gid);
        if !(creds.is_superuser() || creds.in_group(group)) {
            effective.mode = Some(mode & !S_ISGID);
        }
    }
    let times = changes.atime.is_some() || changes.mtime.is_some();
    if times && !touch && !is_owner_or_root(attr, creds) {
        return Err(Errno::EPERM.with("only the owner or root may set explicit times"));
    }
    Ok(effective)
}

/// True when permission checks apply on `location`'s mount for `creds`: its backend
/// stores mode bits and the caller is not root, whom no access check refuses.
fn checked(location: &Location, creds: &Credentials) -> bool {
    !creds.is_superuser() && location.mount.capabilities().permissions
}

/// Search (execute) permission on directory `dir`, which Linux's `may_lookup` asks
/// before every component of a path, and `chdir`/`fchdir` of the directory they
/// enter. No check on a mount without the `permissions` capability, nor for root.
///
/// Errors: `EACCES`, the backend's `getattr` errors.
pub async fn may_search(dir: &Location, creds: &Credentials) -> Result<()> {
    drive(|fetch| search_permission(fetch, dir, creds)).await
}

/// [`may_search`] as one run of a path walk (see [`crate::fetch`]).
pub(crate) fn search_permission(
    fetch: &mut Fetch,
    dir: &Location,
    creds: &Credentials,
) -> Option<Result<()>> {
    if !checked(dir, creds) {
        return Some(Ok(()));
    }
    let attr = now_try!(fetch.getattr(dir));
    Some(check_access(&attr, creds, AccessMask::EXECUTE))
}

/// Linux's `may_create`: write and search permission on directory `dir` (`EACCES`).
pub(crate) async fn may_create(dir: &Location, creds: &Credentials) -> Result<()> {
    if !checked(dir, creds) {
        return Ok(());
    }
    check_access(
        &attributes(&*dir.vnode).await?,
        creds,
        AccessMask::WRITE | AccessMask::EXECUTE,
    )
}

/// Linux's `may_delete` up to its type checks: write and search permission on
/// directory `dir` (`EACCES`), then the sticky rule for `victim` (`EPERM`).
pub(crate) async fn may_delete(
    dir: &Location,
    victim: &Arc<dyn Vnode>,
    creds: &Credentials,
) -> Result<()> {
    if !checked(dir, creds) {
        return Ok(());
    }
    let dir_attr = attributes(&*dir.vnode).await?;
    check_access(&dir_attr, creds, AccessMask::WRITE | AccessMask::EXECUTE)?;
    if dir_attr.mode & S_ISVTX != 0
        && sticky_denies(&dir_attr, &attributes(&**victim).await?, creds)
    {
        return Err(Errno::EPERM.with("sticky directory: not the owner of the entry"));
    }
    Ok(())
}

/// Plain `mask` permission on `location` (`EACCES`), as `inode_permission`.
pub(crate) async fn may_access(
    location: &Location,
    creds: &Credentials,
    mask: AccessMask,
) -> Result<()> {
    if !checked(location, creds) {
        return Ok(());
    }
    check_access(&attributes(&*location.vnode).await?, creds, mask)
}

/// [`check_open`] on `location`, as one run of an `open` (see [`crate::fetch`]);
/// returns the attributes it read (`None` when no check applied), so the caller
/// can remember the mode.
pub(crate) fn may_open(
    fetch: &mut Fetch,
    location: &Location,
    creds: &Credentials,
    flags: OpenFlags,
) -> Option<Result<Option<Attr>>> {
    if !checked(location, creds) {
        return Some(Ok(None));
    }
    let attr = now_try!(fetch.getattr(location));
    now_try!(Some(check_open(&attr, creds, flags)));
    Some(Ok(Some(attr)))
}

/// [`check_link_source`] on `source`.
pub(crate) async fn may_link(source: &Location, creds: &Credentials) -> Result<()> {
    if !checked(source, creds) {
        return Ok(());
    }
    check_link_source(&attributes(&*source.vnode).await?, creds)
}

/// [`prepare_setattr`] on `location`, for a `chown` call when `chown` (see
/// [`prepare_change`]): the change to apply. Root's changes are only looked at
/// when they come from a `chown` (to drop set-ID bits).
pub(crate) async fn prepare_setattr_at(
    location: &Location,
    creds: &Credentials,
    changes: &SetAttr,
    chown: bool,
) -> Result<SetAttr> {
    if !location.mount.capabilities().permissions || (creds.is_superuser() && !chown) {
        return Ok(changes.clone());
    }
    prepare_change(&attributes(&*location.vnode).await?, creds, changes, chown)
}

/// Linux's `file_remove_privs` before a write or truncation of `location` by
/// `creds`: drops set-user-ID (and set-group-ID as [`mode_after_write`] decides)
/// with one `setattr` when they are set.
pub(crate) async fn remove_privs(location: &Location, creds: &Credentials) -> Result<()> {
    if !checked(location, creds) {
        return Ok(());
    }
    let attr = attributes(&*location.vnode).await?;
    if let Some(mode) = mode_after_write(&attr, creds) {
        location
            .vnode
            .setattr(&SetAttr {
                mode: Some(mode),
                ..SetAttr::default()
            })
            .await?;
    }
    Ok(())
}

/// The change truncating `location` to `length` by `creds` makes: the size, and
/// the mode without the set-ID bits a write drops (Linux's `do_truncate` asks
/// `dentry_needs_remove_privs`). With `check_write`, as `truncate(2)`, the caller
/// needs write permission first (`EACCES`); `ftruncate` and `O_TRUNC` have
/// checked their own way.
pub(crate) async fn truncation(
    location: &Location,
    creds: &Credentials,
    length: u64,
    check_write: bool,
) -> Result<SetAttr> {
    let mut change = SetAttr {
        size: Some(length),
        ..SetAttr::default()
    };
    if checked(location, creds) {
        let attr = attributes(&*location.vnode).await?;
        if check_write {
            check_access(&attr, creds, AccessMask::WRITE)?;
        }
        change.mode = mode_after_write(&attr, creds);
    }
    Ok(change)
}

/// Whether writes by `creds` on `location`'s mount may have set-ID bits to drop.
pub(crate) fn write_drops_set_id(location: &Location, creds: &Credentials) -> bool {
    checked(location, creds)
}

/// Whether a node of mode `mode` may have set-ID bits a write drops: the test
/// [`FileHandle`](crate::FileHandle) makes on its remembered mode so that writes
/// to ordinary files cost no `getattr`.
pub(crate) fn has_set_id(mode: u32) -> bool {
    mode & (S_ISUID | S_ISGID) != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::Timespec;

    fn attr(file_type: FileType, mode: u32, uid: u32, gid: u32) -> Attr {
        Attr {
            file_type,
            mode,
            nlink: 1,
            uid,
            gid,
            size: 0,
            blocks: 0,
            blksize: 4096,
            ino: 1,
            rdev: 0,
            atime: Timespec::default(),
            mtime: Timespec::default(),
            ctime: Timespec::default(),
        }
    }

    fn user() -> Credentials {
        Credentials::new(1000, 1000, [1000, 50])
    }

    fn errno<T: std::fmt::Debug>(result: Result<T>) -> Errno {
        result.unwrap_err().errno()
    }

    #[test]
    fn open_asks_read_write_and_truncate() {
        let file = attr(FileType::Regular, 0o444, 1000, 1000);
        assert!(check_open(&file, &user(), OpenFlags::RDONLY).is_ok());
        assert_eq!(
            errno(check_open(&file, &user(), OpenFlags::WRONLY)),
            Errno::EACCES
        );
        let trunc = OpenFlags::RDONLY | OpenFlags::TRUNCATE;
        assert_eq!(errno(check_open(&file, &user(), trunc)), Errno::EACCES);
        assert_eq!(
            errno(check_open(&file, &user(), OpenFlags::empty())),
            Errno::EACCES
        );
        let other = attr(FileType::Regular, 0o644, 2000, 2000);
        let noatime = OpenFlags::RDONLY | OpenFlags::NOATIME;
        assert_eq!(errno(check_open(&other, &user(), noatime)), Errno::EPERM);
        assert!(check_open(&other, &Credentials::root(), noatime).is_ok());
    }

    #[test]
    fn sticky_lets_owners_and_root_remove() {
        let dir = attr(FileType::Directory, 0o1777, 0, 0);
        let theirs = attr(FileType::Regular, 0o666, 2000, 2000);
        let mine = attr(FileType::Regular, 0o600, 1000, 1000);
        assert!(sticky_denies(&dir, &theirs, &user()));
        assert!(!sticky_denies(&dir, &mine, &user()));
        assert!(!sticky_denies(&dir, &theirs, &Credentials::root()));
        let my_dir = attr(FileType::Directory, 0o1777, 1000, 1000);
        assert!(!sticky_denies(&my_dir, &theirs, &user()));
    }

    #[test]
    fn chmod_and_chown_rules() {
        let mine = attr(FileType::Regular, 0o644, 1000, 1000);
        let change = |changes: SetAttr| prepare_setattr(&mine, &user(), &changes);
        let mode = |mode| SetAttr {
            mode: Some(mode),
            ..SetAttr::default()
        };
        assert_eq!(change(mode(0o2755)).unwrap().mode, Some(0o2755));
        let theirs = attr(FileType::Regular, 0o644, 1000, 3000);
        let set = prepare_setattr(&theirs, &user(), &mode(0o2755)).unwrap();
        assert_eq!(set.mode, Some(0o755), "not in the group: SGID dropped");
        let not_mine = attr(FileType::Regular, 0o666, 2000, 1000);
        assert_eq!(
            errno(prepare_setattr(&not_mine, &user(), &mode(0o600))),
            Errno::EPERM
        );
        let chgrp = |gid| SetAttr {
            gid: Some(gid),
            ..SetAttr::default()
        };
        assert!(change(chgrp(50)).is_ok());
        assert_eq!(errno(change(chgrp(60))), Errno::EPERM);
        let chown = |uid| SetAttr {
            uid: Some(uid),
            ..SetAttr::default()
        };
        assert!(change(chown(1000)).is_ok());
        assert_eq!(errno(change(chown(0))), Errno::EPERM);
        let setuid = attr(FileType::Regular, 0o6755, 1000, 1000);
        let set = prepare_setattr(&setuid, &Credentials::root(), &chown(5)).unwrap();
        assert_eq!(set.mode, Some(0o755));
        let dir = attr(FileType::Directory, 0o6755, 1000, 1000);
        let set = prepare_setattr(&dir, &Credentials::root(), &chown(5)).unwrap();
        assert_eq!(set.mode, None);
    }

    #[test]
    fn times_rules() {
        let theirs = attr(FileType::Regular, 0o666, 2000, 2000);
        let now = SetAttr {
            atime: Some(SetTime::Now),
            mtime: Some(SetTime::Now),
            ..SetAttr::default()
        };
        assert!(prepare_setattr(&theirs, &user(), &now).is_ok());
        let read_only = attr(FileType::Regular, 0o644, 2000, 2000);
        assert_eq!(
            errno(prepare_setattr(&read_only, &user(), &now)),
            Errno::EACCES
        );
        let one_now = SetAttr {
            mtime: Some(SetTime::Now),
            ..SetAttr::default()
        };
        assert_eq!(
            errno(prepare_setattr(&theirs, &user(), &one_now)),
            Errno::EPERM
        );
    }

    #[test]
    fn writes_drop_set_id_bits() {
        let file = attr(FileType::Regular, 0o6755, 2000, 1000);
        assert_eq!(mode_after_write(&file, &user()), Some(0o755));
        let sgid_no_exec = attr(FileType::Regular, 0o2644, 2000, 1000);
        assert_eq!(mode_after_write(&sgid_no_exec, &user()), None);
        let outsider = attr(FileType::Regular, 0o2644, 2000, 3000);
        assert_eq!(mode_after_write(&outsider, &user()), Some(0o644));
        assert_eq!(mode_after_write(&file, &Credentials::root()), None);
    }

    #[test]
    fn hard_link_sources() {
        let theirs = attr(FileType::Regular, 0o666, 2000, 2000);
        assert!(check_link_source(&theirs, &user()).is_ok());
        let read_only = attr(FileType::Regular, 0o644, 2000, 2000);
        assert_eq!(errno(check_link_source(&read_only, &user())), Errno::EPERM);
        let setuid = attr(FileType::Regular, 0o4777, 2000, 2000);
        assert_eq!(errno(check_link_source(&setuid, &user())), Errno::EPERM);
        let mine = attr(FileType::Regular, 0o400, 1000, 1000);
        assert!(check_link_source(&mine, &user()).is_ok());
    }
}
