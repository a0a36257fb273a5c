//! The node trait a backend implements, and directory entries.

use crate::attr::{Attr, FileType, NewNode, SetAttr};
use crate::errno::{Errno, Result};
use crate::flags::{AccessMask, Credentials, OpenFlags};
use crate::name::Name;
use crate::open_file::OpenFile;
use crate::permission::check_access;
use async_trait::async_trait;
use std::any::Any;
use std::sync::Arc;

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name (never `.` or `..`: a [`Name`] cannot hold them).
    pub name: Name,
    /// Inode number of the node it names.
    pub ino: u64,
    /// Type of the node it names.
    pub file_type: FileType,
    /// Pass this to [`Vnode::readdir`] to continue after this entry.
    pub cookie: u64,
    /// Attributes, when the backend got them for free with the listing.
    pub attr: Option<Attr>,
}

/// One page of a directory listing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirPage {
    /// Entries in listing order.
    pub entries: Vec<DirEntry>,
    /// True when the listing has no entries after this page.
    pub eof: bool,
}

/// How [`Vnode::create`] is to make a regular file, for a name the namespace found
/// missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CreateMode {
    /// `O_CREAT` without `O_EXCL`: fail with `EEXIST` if the name exists (another
    /// creator got there first); the namespace then looks the name up again and
    /// opens what it finds. A backend that may send a create twice (a network
    /// retransmission) can answer `EEXIST` for its own file: that only costs the
    /// second look.
    Guarded,
    /// `O_CREAT|O_EXCL`: fail with `EEXIST` if the name exists, and the caller gets
    /// that error. A backend that may send a create twice must make the second
    /// one find the file the first made and succeed (NFSv3's EXCLUSIVE create
    /// with a verifier), since an `EEXIST` here reaches the application.
    Exclusive,
}

/// A node of a backend: file, directory, symlink or special file.
///
/// Directory operations take validated [`Name`]s, never paths: resolution, `.`/`..`,
/// symlinks, mounts and trailing slashes are the namespace's business. The namespace
/// calls directory operations only on directories, `open` only on regular files and
/// `readlink` only on symlinks, and refuses writes with `EROFS` before they reach a
/// backend without the `write` capability. Ops a backend does not support keep their
/// default, which fails with the errno Linux gives for it.
///
/// Errnos are listed in the order Linux checks them; a backend that can detect two
/// errors returns the first listed.
///
/// `Any` is a supertrait so a backend can recognise its own nodes among those handed
/// back to it (a `link` target, a `rename` destination): upcast the
/// `Arc<dyn Vnode>` to `Arc<dyn Any + Send + Sync>` and downcast.
#[async_trait]
pub trait Vnode: Any + Send + Sync + 'static {
    /// Inode number: stable for the node's life and unique within its file system.
    /// The namespace keys mount points on it.
    fn ino(&self) -> u64;

    /// The node's type, fixed for its life.
    fn file_type(&self) -> FileType;

    /// Current attributes.
    ///
    /// Errors: `ESTALE` (the node is gone on the server), `EIO`.
    async fn getattr(&self) -> Result<Attr>;

    /// [`Vnode::getattr`] without a future, for a backend that can answer on the
    /// spot (in memory, or from a cache it can check without waiting), as Linux's
    /// RCU path walk asks a file system first. `Some` is exactly what `getattr`
    /// would have returned; `None` means "not without waiting", and the caller
    /// then calls `getattr`. It must never block on I/O or on a lock held across
    /// an `.await`. The default answers `None`, which is always correct.
    ///
    /// Errors: as [`Vnode::getattr`].
    fn getattr_now(&self) -> Option<Result<Attr>> {
        None
    }

    /// Changes attributes and returns the new ones; sets ctime. `size` truncates or
    /// extends a regular file with zeros and sets mtime too.
    ///
    /// Errors: `EPERM` (a change the backend refuses), `EISDIR` (`size` on a
    /// directory), `EINVAL` (`size` on another non-regular node), `EFBIG`, `ENOSPC`,
    /// `EIO`.
    async fn setattr(&self, changes: &SetAttr) -> Result<Attr> {
        let _ = changes;
        Err(Errno::EOPNOTSUPP.into())
    }

    /// Checks whether `creds` may access the node as `mask` asks. The default applies
    /// the POSIX mode-bit rules to [`Vnode::getattr`]'s result; a backend whose server
    /// decides (NFS ACCESS) overrides it.
    ///
    /// Errors: `EACCES`, `EIO`.
    async fn access(&self, mask: AccessMask, creds: &Credentials) -> Result<()> {
        check_access(&self.getattr().await?, creds, mask)
    }

    /// Finds `name` in this directory.
    ///
    /// Errors: `ENOENT`, `EIO`.
    async fn lookup(&self, name: &Name) -> Result<Arc<dyn Vnode>>;

    /// [`Vnode::lookup`] without a future, under the rules of
    /// [`Vnode::getattr_now`]: path walks try it for every component first.
    ///
    /// Errors: as [`Vnode::lookup`].
    fn lookup_now(&self, name: &Name) -> Option<Result<Arc<dyn Vnode>>> {
        let _ = name;
        None
    }

    /// This directory's parent (`..`); the root of the file system returns itself.
    /// A directory removed while still in use returns its former parent, as Linux
    /// resolves `..` of a removed working directory.
    ///
    /// Errors: `ENOENT` (the parent is gone too), `EIO`.
    async fn parent(&self) -> Result<Arc<dyn Vnode>>;

    /// Creates a regular file `name`; `mode` says what the caller asked for (see
    /// [`CreateMode`]). The namespace calls it for a name its lookup found
    /// missing, or, when [`Vnode::lookup_now`] cannot answer for the name, before
    /// any lookup (so an existing name must fail with `EEXIST`, never be
    /// replaced or opened); it looks again when it fails with `EEXIST` without
    /// `O_EXCL`.
    ///
    /// Errors: `EEXIST`, `ENOENT` (this directory was removed), `ENOSPC`, `EDQUOT`,
    /// `EIO`.
    async fn create(
        &self,
        name: &Name,
        attrs: &NewNode,
        mode: CreateMode,
    ) -> Result<Arc<dyn Vnode>> {
        let _ = (name, attrs, mode);
        Err(Errno::EOPNOTSUPP.into())
    }

    /// Creates directory `name`.
    ///
    /// Errors: `EEXIST`, `ENOENT` (this directory was removed), `EMLINK`, `ENOSPC`,
    /// `EDQUOT`, `EIO`.
    async fn mkdir(&self, name: &Name, attrs: &NewNode) -> Result<Arc<dyn Vnode>> {
        let _ = (name, attrs);
        Err(Errno::EOPNOTSUPP.into())
    }

    /// Creates the special file `name` of type `file_type` (`Fifo`, `Socket`,
    /// `CharDevice` or `BlockDevice`; the namespace passes no other) with device
    /// number `rdev` (Linux's encoding, as [`Attr::rdev`]; 0 for a FIFO or socket).
    /// The node is only a name with attributes: nobody does I/O through it. The
    /// namespace has checked the type and the caller's privilege; a backend that
    /// declares the `special_files` capability implements it.
    ///
    /// Errors: `EEXIST`, `ENOENT` (this directory was removed), `EPERM` (the
    /// server refuses, or by default: no special files here, as Linux reports a
    /// file system without `mknod`), `ENOSPC`, `EDQUOT`, `EIO`.
    async fn mknod(
        &self,
        name: &Name,
        file_type: FileType,
        rdev: u64,
        attrs: &NewNode,
    ) -> Result<Arc<dyn Vnode>> {
        let _ = (name, file_type, rdev, attrs);
        Err(Errno::EPERM.into())
    }

    /// Creates symlink `name` pointing at `target` (any bytes but NUL, not empty,
    /// checked by the namespace).
    ///
    /// Errors: `EEXIST`, `ENOENT` (this directory was removed), `ENOSPC`, `EIO`;
    /// `EPERM` by default (no symlinks here, as Linux reports it).
    async fn symlink(&self, name: &Name, target: &[u8], attrs: &NewNode) -> Result<Arc<dyn Vnode>> {
        let _ = (name, target, attrs);
        Err(Errno::EPERM.into())
    }

    /// The target of this symlink.
    ///
    /// Errors: `EIO`; `EINVAL` by default (not a symlink).
    async fn readlink(&self) -> Result<Vec<u8>> {
        Err(Errno::EINVAL.into())
    }

    /// Adds `name` in this directory for the existing non-directory `target`, which
    /// the namespace has checked is on the same mount. A `target` of another backend
    /// type is refused with `EXDEV`.
    ///
    /// Errors: `EEXIST`, `ENOENT` (target or this directory was removed), `EMLINK`,
    /// `EXDEV`, `ENOSPC`, `EIO`; `EPERM` by default (no hard links).
    async fn link(&self, name: &Name, target: &Arc<dyn Vnode>) -> Result<()> {
        let _ = (name, target);
        Err(Errno::EPERM.into())
    }

    /// Removes non-directory `name` from this directory.
    ///
    /// Errors: `ENOENT`, `EISDIR` (it is a directory), `EBUSY`, `EIO`.
    async fn unlink(&self, name: &Name) -> Result<()> {
        let _ = name;
        Err(Errno::EOPNOTSUPP.into())
    }

    /// Removes the empty directory `name`.
    ///
    /// Errors: `ENOENT`, `ENOTDIR` (not a directory), `ENOTEMPTY`, `EBUSY`, `EIO`.
    async fn rmdir(&self, name: &Name) -> Result<()> {
        let _ = name;
        Err(Errno::EOPNOTSUPP.into())
    }

    /// Moves `name` to `new_name` in `new_dir` (a directory of the same file system),
    /// atomically replacing what `new_name` names. When both names already refer to
    /// the same node, succeeds without change.
    ///
    /// Errors, in this order: `ENOENT` (no `name`), `EXDEV` (`new_dir` of another
    /// backend type), `EINVAL` (moving a directory into its own subtree), `ENOTDIR`
    /// (a directory onto a non-directory), `EISDIR` (a non-directory onto a
    /// directory), `ENOTEMPTY` (onto a non-empty directory), `EMLINK`, `ENOSPC`,
    /// `EIO`.
    async fn rename(&self, name: &Name, new_dir: &Arc<dyn Vnode>, new_name: &Name) -> Result<()> {
        let _ = (name, new_dir, new_name);
        Err(Errno::EOPNOTSUPP.into())
    }

    /// Lists this directory from `cookie` (0 for the start; otherwise the cookie of
    /// the last entry seen), at most `max_entries` entries. A listing resumed after
    /// changes returns each entry that stayed at most once and no removed entry.
    /// `.` and `..` are not listed; the frontends add them.
    ///
    /// Errors: `EINVAL` (a cookie the backend no longer honours), `ENOENT` (this
    /// directory was removed, as Linux's getdents reports it), `EIO`.
    async fn readdir(&self, cookie: u64, max_entries: usize) -> Result<DirPage>;

    /// Opens this regular file. `flags` carries the access mode and `APPEND`, `SYNC`,
    /// `DSYNC`, `NOATIME`; creation and truncation were done before.
    ///
    /// Errors: `EIO`, `ENOMEM`.
    async fn open(&self, flags: OpenFlags) -> Result<Arc<dyn OpenFile>>;

    /// [`Vnode::open`] without a future, under the rules of
    /// [`Vnode::getattr_now`]: `open` calls try it first.
    ///
    /// Errors: as [`Vnode::open`].
    fn open_now(&self, flags: OpenFlags) -> Option<Result<Arc<dyn OpenFile>>> {
        let _ = flags;
        None
    }

    /// Makes this node's data and metadata durable.
    ///
    /// Errors: `EIO`.
    async fn fsync(&self) -> Result<()> {
        Ok(())
    }
}

/// `vnode`'s attributes: [`Vnode::getattr_now`] when it answers, else
/// [`Vnode::getattr`]. What every caller in this crate uses, so a backend that
/// answers from memory costs no boxed future.
///
/// Errors: as [`Vnode::getattr`].
pub async fn attributes<V: Vnode + ?Sized>(vnode: &V) -> Result<Attr> {
    match vnode.getattr_now() {
        Some(answer) => answer,
        None => vnode.getattr().await,
    }
}

/// `vnode` opened with `flags`: [`Vnode::open_now`] when it answers, else
/// [`Vnode::open`].
///
/// Errors: as [`Vnode::open`].
pub async fn opened<V: Vnode + ?Sized>(vnode: &V, flags: OpenFlags) -> Result<Arc<dyn OpenFile>> {
    match vnode.open_now(flags) {
        Some(answer) => answer,
        None => vnode.open(flags).await,
    }
}

/// `name` in directory `dir`: [`Vnode::lookup_now`] when it answers, else
/// [`Vnode::lookup`].
///
/// Errors: as [`Vnode::lookup`].
pub async fn lookup<V: Vnode + ?Sized>(dir: &V, name: &Name) -> Result<Arc<dyn Vnode>> {
    match dir.lookup_now(name) {
        Some(answer) => answer,
        None => dir.lookup(name).await,
    }
}
