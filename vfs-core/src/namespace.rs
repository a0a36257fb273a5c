//! The namespace: path-level operations over the mount table.
//!
//! Each operation resolves its path with [`Walker`], checks what Linux checks in the
//! order Linux checks it (so the errno matches the kernel's when several apply), and
//! makes one call into the backend that owns the node.

use crate::attr::{Attr, FileType, FsStat, NewNode, SetAttr};
use crate::errno::{Errno, Error, Result};
use crate::fetch::{now, now_try, Fetch};
use crate::file_handle::FileHandle;
use crate::filesystem::Filesystem;
use crate::filling_dirs::FillingDirs;
use crate::flags::{AccessMask, Credentials, OpenFlags};
use crate::mount::{Location, MountOptions, MountTable};
use crate::name::{Name, PATH_MAX};
use crate::permission;
use crate::resolve::{LastComponent, ParentWalk, Walker};
use crate::vnode::{attributes, lookup, CreateMode, DirEntry, Vnode};
use crate::walk_cache::WalkCache;
use std::sync::Arc;

mod open;

/// Who is calling and from where: relative paths start at `cwd`, created nodes belong
/// to `creds`. Frontends (the POSIX shim, FUSE) keep one per process or request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Where relative paths start.
    pub cwd: Location,
    /// The caller's identity.
    pub creds: Credentials,
}

/// A tree of mounted file systems and the POSIX path operations over it.
///
/// `Send + Sync`: share one `Arc<Namespace>` between any number of threads and tasks.
///
/// ```
/// # // The namespace needs a backend; this example uses a tiny read-only one.
/// # use std::sync::Arc;
/// # use vfs_core::*;
/// # fn demo(fs: Arc<dyn Filesystem>) -> Result<()> {
/// let ns = Namespace::new(fs, MountOptions::default());
/// let me = ns.root_caller();
/// let attr = futures::executor::block_on(ns.stat(&me, "/"))?;
/// assert_eq!(attr.file_type, FileType::Directory);
/// # Ok(()) }
/// ```
pub struct Namespace {
    table: MountTable,
    walks: WalkCache,
    filling: FillingDirs,
}

/// What [`Namespace::mounts`] lists for each mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountInfo {
    /// The path it was mounted at.
    pub path: String,
    /// The file system's own description (such as its URL).
    pub source: String,
    /// Its options.
    pub options: MountOptions,
}

impl Namespace {
    /// A namespace whose root is the root of `fs`.
    pub fn new(fs: Arc<dyn Filesystem>, options: MountOptions) -> Namespace {
        Namespace {
            table: MountTable::new(fs, options),
            walks: WalkCache::new(),
            filling: FillingDirs::default(),
        }
    }

    /// The namespace root.
    pub fn root(&self) -> Location {
        self.table.root()
    }

    /// A caller at the root with superuser credentials.
    pub fn root_caller(&self) -> Caller {
        Caller {
            cwd: self.root(),
            creds: Credentials::root(),
        }
    }

    /// A walker checking search permission for `creds`.
    fn walker<'a>(&'a self, creds: &'a Credentials) -> Walker<'a> {
        Walker::new(&self.table, &self.walks, creds)
    }

    /// Resolves `path` to a node, following a final symlink when `follow` is set (and
    /// always when the path ends with `/`). What `chdir` and the `*at` calls build on.
    /// Every directory the walk passes through must grant the caller search
    /// permission, checked before each component as Linux's `may_lookup` does.
    ///
    /// Errors: `ENOENT`, `ENOTDIR`, `ELOOP`, `ENAMETOOLONG`, `EINVAL` (NUL in path),
    /// `EACCES` (a directory on the way not searchable), `EIO`.
    pub async fn resolve(
        &self,
        caller: &Caller,
        path: impl AsRef<[u8]>,
        follow: bool,
    ) -> Result<Location> {
        self.walker(&caller.creds)
            .walk(&caller.cwd, path.as_ref(), follow)
            .await
    }

    /// The absolute path of directory `location`, as `getcwd` reports it: found by
    /// stepping through `..` to the root and finding each directory in its parent's
    /// listing by inode number (a mount root by the inode of the directory it covers).
    ///
    /// Errors: `ENOENT` (a directory on the way was removed), `ENOTDIR` (not a
    /// directory), `ENAMETOOLONG` (deeper than a path can be), the backends' errors.
    pub async fn path_of(&self, location: &Location) -> Result<Vec<u8>> {
        if location.vnode.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR.into());
        }
        // getcwd asks no permission of the directories it passes.
        let superuser = Credentials::root();
        let walker = self.walker(&superuser);
        let root = self.root();
        let mut names: Vec<Name> = Vec::new();
        let mut current = location.clone();
        while !current.same_node(&root) {
            if names.len() > PATH_MAX / 2 {
                return Err(Errno::ENAMETOOLONG.with("directory deeper than PATH_MAX"));
            }
            let mut listed = current.clone();
            while listed.is_mount_root() {
                match MountTable::covered(&listed.mount) {
                    Some(covered) => listed = covered.clone(),
                    None => break,
                }
            }
            let parent = walker.parent_of(&current).await?;
            if parent.same_node(&current) {
                break;
            }
            let entries = FileHandle::listing(parent.clone()).read_dir_all().await?;
            let ino = listed.vnode.ino();
            let entry = entries
                .into_iter()
                .find(|entry| entry.ino == ino && entry.file_type == FileType::Directory)
                .ok_or_else(|| Errno::ENOENT.with("directory no longer linked in its parent"))?;
            names.push(entry.name);
            current = parent;
        }
        let mut path = Vec::new();
        for name in names.iter().rev() {
            path.push(b'/');
            path.extend_from_slice(name.as_bytes());
        }
        if path.is_empty() {
            path.push(b'/');
        }
        Ok(path)
    }

    /// Mounts `fs` on the directory `path`, over whatever is there (mounts stack).
    ///
    /// Errors: resolution errors, `ENOTDIR` (not a directory).
    pub async fn mount(
        &self,
        caller: &Caller,
        path: impl AsRef<[u8]>,
        fs: Arc<dyn Filesystem>,
        options: MountOptions,
    ) -> Result<()> {
        let path = path.as_ref();
        let covered = self.resolve(caller, path, true).await?;
        if covered.vnode.file_type() != FileType::Directory {
            return Err(
                Errno::ENOTDIR.with(format!("mount point '{}'", String::from_utf8_lossy(path)))
            );
        }
        if let Err(problem) = fs.capabilities().validate() {
            return Err(Errno::EINVAL.with(format!("{}: {problem}", fs.describe())));
        }
        self.table.attach(
            covered,
            fs,
            options,
            String::from_utf8_lossy(path).into_owned(),
        );
        Ok(())
    }

    /// Unmounts the file system mounted at `path` and calls its
    /// [`Filesystem::unmount`].
    ///
    /// Errors: resolution errors, `EINVAL` (not a mount point), `EBUSY` (an open
    /// file, a cwd or a mount below still uses it, or it is the root mount), and
    /// what the backend's `unmount` reports (the mount is detached regardless).
    pub async fn unmount(&self, caller: &Caller, path: impl AsRef<[u8]>) -> Result<()> {
        let location = self.resolve(caller, path.as_ref(), true).await?;
        let mount = self.table.detach(location)?;
        mount.filesystem().unmount().await
    }

    /// Every mount, the root mount first.
    pub fn mounts(&self) -> Vec<MountInfo> {
        self.table
            .list()
            .iter()
            .map(|mount| MountInfo {
                path: mount.path().to_string(),
                source: mount.filesystem().describe(),
                options: mount.options().clone(),
            })
            .collect()
    }

    /// Attributes of what `path` names, following symlinks (`stat`).
    ///
    /// Errors: `ENOENT`, `ENOTDIR`, `ELOOP`, `ENAMETOOLONG`, `EINVAL`, `EIO`.
    pub async fn stat(&self, caller: &Caller, path: impl AsRef<[u8]>) -> Result<Attr> {
        self.attributes_of(caller, path.as_ref(), true).await
    }

    /// Attributes of what `path` names, not following a final symlink (`lstat`).
    ///
    /// Errors: as [`Namespace::stat`].
    pub async fn lstat(&self, caller: &Caller, path: impl AsRef<[u8]>) -> Result<Attr> {
        self.attributes_of(caller, path.as_ref(), false).await
    }

    /// `stat` (`follow`) or `lstat`.
    async fn attributes_of(&self, caller: &Caller, path: &[u8], follow: bool) -> Result<Attr> {
        self.walker(&caller.creds)
            .drive(|walker, fetch| Self::stat_with(walker, fetch, caller, path, follow))
            .await
    }

    /// [`Namespace::stat`] (`follow`) or [`Namespace::lstat`] when every backend
    /// call on the way answers at once, as an in-memory backend's or a warm
    /// cache's do; `None`: call the `async` one. What a blocking frontend tries
    /// first, since futures would cost it more than the walk.
    pub fn stat_now(&self, caller: &Caller, path: &[u8], follow: bool) -> Option<Result<Attr>> {
        now(|fetch| Self::stat_with(&mut self.walker(&caller.creds), fetch, caller, path, follow))
    }

    fn stat_with(
        walker: &mut Walker<'_>,
        fetch: &mut Fetch,
        caller: &Caller,
        path: &[u8],
        follow: bool,
    ) -> Option<Result<Attr>> {
        let location = now_try!(walker.walk_with(fetch, &caller.cwd, path, follow));
        fetch.getattr(&location)
    }

    /// The owner and mode of a node created in `dir`: the caller's uid, the caller's
    /// gid unless `dir` is set-group-ID (then its gid, and a new directory inherits
    /// the bit), as Linux's `inode_init_owner` does.
    async fn new_node(
        &self,
        dir: &Location,
        creds: &Credentials,
        mode: u32,
        is_dir: bool,
    ) -> Result<NewNode> {
        let mut node = NewNode {
            mode,
            uid: creds.uid,
            gid: creds.gid,
        };
        if dir.mount.capabilities().permissions {
            let dir_attr = attributes(&*dir.vnode).await?;
            if dir_attr.mode & 0o2000 != 0 {
                node.gid = dir_attr.gid;
                if is_dir {
                    node.mode |= 0o2000;
                }
            }
        }
        Ok(node)
    }

    /// The node `name` in `dir` as the backend has it, mounts not crossed.
    async fn lookup_here(dir: &Location, name: &Name) -> Result<Arc<dyn Vnode>> {
        lookup(&*dir.vnode, name)
            .await
            .map_err(|e| e.context_prefix(format_args!("'{name}'")))
    }

    /// Fails as `filename_create` does when the last component of a path to be
    /// created is not a plain new name: `EEXIST` when it exists (or is `.`/`..`),
    /// `ENOENT` for a trailing slash where no directory is wanted, `EROFS` on a
    /// read-only mount; then, with `creds`, as `may_create` does: `EACCES` without
    /// write permission on the directory. Returns the name to create.
    async fn creatable_name(
        parent: &ParentWalk,
        wants_dir: bool,
        creds: Option<&Credentials>,
    ) -> Result<Name> {
        let LastComponent::Normal(name) = &parent.last else {
            return Err(Errno::EEXIST.into());
        };
        let denied = match creds {
            Some(creds) => permission::may_create(&parent.dir, creds).await.err(),
            None => None,
        };
        // The backend's create reports an existing name itself; look first only
        // when an error Linux reports after EEXIST is pending.
        let must_look = (parent.trailing_slash && !wants_dir)
            || parent.dir.mount.check_writable().is_err()
            || denied.is_some();
        if must_look {
            match Self::lookup_here(&parent.dir, name).await {
                Ok(_) => return Err(Errno::EEXIST.with(format!("'{name}'"))),
                Err(e) if e.errno() != Errno::ENOENT => return Err(e),
                Err(_) => {}
            }
            if parent.trailing_slash && !wants_dir {
                return Err(Errno::ENOENT.with(format!("'{name}/' names no directory to create")));
            }
            parent.dir.mount.check_writable()?;
        }
        match denied {
            Some(error) => Err(error),
            None => Ok(name.clone()),
        }
    }

    /// Creates directory `path` with permission bits `mode` (umask already applied).
    ///
    /// Errors: resolution errors, `EEXIST`, `EROFS`, `EACCES` (no write permission
    /// on the parent), `ENOSPC`, `EMLINK`, `EIO`.
    pub async fn mkdir(&self, caller: &Caller, path: impl AsRef<[u8]>, mode: u32) -> Result<()> {
        let parent = self
            .walker(&caller.creds)
            .walk_parent(&caller.cwd, path.as_ref())
            .await?;
        let name = Self::creatable_name(&parent, true, Some(&caller.creds)).await?;
        let attrs = self
            .new_node(&parent.dir, &caller.creds, mode & 0o1777, true)
            .await?;
        parent
            .dir
            .vnode
            .mkdir(&name, &attrs)
            .await
            .map(drop)
            .map_err(|e| e.context_prefix(format_args!("mkdir '{name}'")))
    }

    /// Creates `path` as `mknod(2)` does: of the type in the `S_IFMT` bits of `mode`
    /// (a FIFO, a socket, a character or block device numbered `rdev`, or a regular
    /// file for `S_IFREG` or no type bits) with its permission bits (umask already
    /// applied). `rdev` is Linux's encoding ([`Attr::rdev`]) and matters only for
    /// devices. Nothing opened through such a node does I/O: see
    /// [`Namespace::open`].
    ///
    /// Errors, in Linux's order: `EPERM` (a directory type: that is `mkdir`),
    /// `EINVAL` (a type that is no file type, or a symlink), both before the path
    /// is looked at; resolution errors; `EEXIST` (the name exists, even as a
    /// dangling symlink, or is `.`/`..`); `ENOENT` (a trailing slash on a new
    /// name); `EROFS`; `EACCES` (no write permission on the parent); `EPERM` (a
    /// device node by a caller other than root, who lacks Linux's `CAP_MKNOD`; or
    /// a backend without special files); `ENOSPC`, `EIO`.
    pub async fn mknod(
        &self,
        caller: &Caller,
        path: impl AsRef<[u8]>,
        mode: u32,
        rdev: u64,
    ) -> Result<()> {
        let path = path.as_ref();
        // `may_mknod` runs before the path is resolved.
        let file_type = match mode & 0o170000 {
            0 => FileType::Regular,
            _ => match FileType::from_mode(mode) {
                Some(FileType::Directory) => {
                    return Err(Errno::EPERM.with("mknod of a directory (use mkdir)"))
                }
                Some(FileType::Symlink) | None => {
                    return Err(
                        Errno::EINVAL.with(format!("mknod of file type {:o}", mode & 0o170000))
                    )
                }
                Some(other) => other,
            },
        };
        let parent = self
            .walker(&caller.creds)
            .walk_parent(&caller.cwd, path)
            .await?;
        let name = Self::creatable_name(&parent, false, Some(&caller.creds)).await?;
        let device = matches!(file_type, FileType::CharDevice | FileType::BlockDevice);
        // Linux lets anyone make a character device 0:0: overlayfs's whiteout.
        let whiteout = file_type == FileType::CharDevice && rdev == 0;
        if device && !whiteout && caller.creds.uid != 0 {
            // An existing name is EEXIST before the privilege check
            // (`filename_create` runs before `vfs_mknod`).
            match Self::lookup_here(&parent.dir, &name).await {
                Ok(_) => return Err(Errno::EEXIST.with(format!("'{name}'"))),
                Err(e) if e.errno() != Errno::ENOENT => return Err(e),
                Err(_) => {}
            }
            return Err(Errno::EPERM.with(format!(
                "mknod '{name}': device nodes need privilege (CAP_MKNOD)"
            )));
        }
        let attrs = self
            .new_node(&parent.dir, &caller.creds, mode & 0o7777, false)
            .await?;
        let made = if file_type == FileType::Regular {
            // Linux's mknod reports an existing name: the create is exclusive.
            parent
                .dir
                .vnode
                .create(&name, &attrs, CreateMode::Exclusive)
                .await
        } else {
            let rdev = if device { rdev } else { 0 };
            parent.dir.vnode.mknod(&name, file_type, rdev, &attrs).await
        };
        made.map(drop)
            .map_err(|e| e.context_prefix(format_args!("mknod '{name}'")))
    }

    /// Creates symlink `path` pointing at `target`.
    ///
    /// Errors: `ENOENT` (empty target), `ENAMETOOLONG` (target of [`PATH_MAX`] bytes
    /// or more), `EINVAL` (NUL in target), resolution errors, `EEXIST`, `EROFS`,
    /// `EACCES` (no write permission on the parent), `EPERM` (no symlinks on this
    /// backend), `ENOSPC`, `EIO`.
    pub async fn symlink(
        &self,
        caller: &Caller,
        target: impl AsRef<[u8]>,
        path: impl AsRef<[u8]>,
    ) -> Result<()> {
        let target = target.as_ref();
        if target.is_empty() {
            return Err(Errno::ENOENT.with("empty symlink target"));
        }
        if target.len() >= PATH_MAX {
            return Err(
                Errno::ENAMETOOLONG.with(format!("symlink target of {} bytes", target.len()))
            );
        }
        if target.contains(&0) {
            return Err(Errno::EINVAL.with("symlink target contains a NUL byte"));
        }
        let parent = self
            .walker(&caller.creds)
            .walk_parent(&caller.cwd, path.as_ref())
            .await?;
        let name = Self::creatable_name(&parent, false, Some(&caller.creds)).await?;
        let attrs = self
            .new_node(&parent.dir, &caller.creds, 0o777, false)
            .await?;
        parent
            .dir
            .vnode
            .symlink(&name, target, &attrs)
            .await
            .map(drop)
            .map_err(|e| e.context_prefix(format_args!("symlink '{name}'")))
    }

    /// Adds hard link `new` to the non-directory `old` (a final symlink in `old` is
    /// linked itself, not followed, as `link(2)` does on Linux).
    ///
    /// Errors, in Linux's order: resolution errors of either path, `EEXIST`,
    /// `EROFS`, `EXDEV` (across mounts), `EPERM` (`fs.protected_hardlinks`: a
    /// caller neither owner nor root linking anything but a regular file without
    /// set-ID bits that it may read and write), `EACCES` (no write permission on
    /// the new parent), `EPERM` (a directory, or no hard links on this backend),
    /// `EMLINK`, `ENOSPC`, `EIO`.
    pub async fn link(
        &self,
        caller: &Caller,
        old: impl AsRef<[u8]>,
        new: impl AsRef<[u8]>,
    ) -> Result<()> {
        let target = self
            .walker(&caller.creds)
            .walk(&caller.cwd, old.as_ref(), false)
            .await?;
        self.link_node(caller, &target, &caller.cwd, new).await
    }

    /// Adds `new` (resolved from `new_dir`) as a hard link to the node `target`, as
    /// `link` does once it has resolved `old` (`linkat` with `AT_EMPTY_PATH`; what
    /// FUSE asks for).
    ///
    /// Errors: as [`Namespace::link`] after resolving `old`.
    pub async fn link_node(
        &self,
        caller: &Caller,
        target: &Location,
        new_dir: &Location,
        new: impl AsRef<[u8]>,
    ) -> Result<()> {
        let parent = self
            .walker(&caller.creds)
            .walk_parent(new_dir, new.as_ref())
            .await?;
        // `may_create` comes after EXDEV and `may_linkat` here (`vfs_link`).
        let name = Self::creatable_name(&parent, false, None).await?;
        // An existing new name is EEXIST before EXDEV and EPERM (`filename_create`
        // runs before `vfs_link`'s checks).
        match Self::lookup_here(&parent.dir, &name).await {
            Ok(_) => return Err(Errno::EEXIST.with(format!("'{name}'"))),
            Err(e) if e.errno() != Errno::ENOENT => return Err(e),
            Err(_) => {}
        }
        if target.mount.id() != parent.dir.mount.id() {
            return Err(Errno::EXDEV.with("link across mounts"));
        }
        permission::may_link(target, &caller.creds).await?;
        permission::may_create(&parent.dir, &caller.creds).await?;
        if target.vnode.file_type() == FileType::Directory {
            return Err(Errno::EPERM.with("hard link to a directory"));
        }
        parent
            .dir
            .vnode
            .link(&name, &target.vnode)
            .await
            .map_err(|e| e.context_prefix(format_args!("link '{name}'")))
    }

    /// Removes the non-directory `path`.
    ///
    /// Errors, in Linux's order: resolution errors, `EISDIR` (`.`/`..`), `EROFS`,
    /// `ENOENT`, `EISDIR`/`ENOTDIR` (trailing slash on a directory / on a
    /// non-directory), `EACCES` (no write permission on the directory), `EPERM`
    /// (sticky directory, and the caller owns neither it nor the entry nor is
    /// root), `EISDIR` (a directory), `EBUSY` (a mount point), `EIO`.
    pub async fn unlink(&self, caller: &Caller, path: impl AsRef<[u8]>) -> Result<()> {
        let parent = self
            .walker(&caller.creds)
            .walk_parent(&caller.cwd, path.as_ref())
            .await?;
        let LastComponent::Normal(name) = &parent.last else {
            return Err(Errno::EISDIR.into());
        };
        parent.dir.mount.check_writable()?;
        let node = Self::lookup_here(&parent.dir, name).await?;
        let is_dir = node.file_type() == FileType::Directory;
        // A trailing slash is judged before any permission (`do_unlinkat`'s
        // `slashes`).
        if parent.trailing_slash {
            return Err(if is_dir {
                Errno::EISDIR.with(format!("'{name}/' is a directory"))
            } else {
                Errno::ENOTDIR.with(format!("'{name}/' is not a directory"))
            });
        }
        permission::may_delete(&parent.dir, &node, &caller.creds).await?;
        if is_dir {
            return Err(Errno::EISDIR.with(format!("'{name}' is a directory")));
        }
        if self.table.is_covered(&parent.dir.mount, node.ino()) {
            return Err(Errno::EBUSY.with(format!("'{name}' is a mount point")));
        }
        parent
            .dir
            .vnode
            .unlink(name)
            .await
            .map_err(|e| e.context_prefix(format_args!("unlink '{name}'")))
    }

    /// Removes the empty directory `path`.
    ///
    /// Errors, in Linux's order: resolution errors, `EINVAL` (last component `.`),
    /// `ENOTEMPTY` (`..`), `EBUSY` (`/`), `EROFS`, `ENOENT`, `EACCES` (no write
    /// permission on the parent), `EPERM` (sticky parent, and the caller owns
    /// neither it nor the directory nor is root), `ENOTDIR`, `EBUSY` (a mount
    /// point), `ENOTEMPTY`, `EIO`.
    pub async fn rmdir(&self, caller: &Caller, path: impl AsRef<[u8]>) -> Result<()> {
        let parent = self
            .walker(&caller.creds)
            .walk_parent(&caller.cwd, path.as_ref())
            .await?;
        let name = match &parent.last {
            LastComponent::Normal(name) => name,
            LastComponent::Dot => return Err(Errno::EINVAL.with("rmdir of '.'")),
            LastComponent::DotDot => return Err(Errno::ENOTEMPTY.with("rmdir of '..'")),
            LastComponent::Root => return Err(Errno::EBUSY.with("rmdir of '/'")),
        };
        parent.dir.mount.check_writable()?;
        let node = Self::lookup_here(&parent.dir, name).await?;
        permission::may_delete(&parent.dir, &node, &caller.creds).await?;
        if node.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR.with(format!("'{name}' is not a directory")));
        }
        if self.table.is_covered(&parent.dir.mount, node.ino()) {
            return Err(Errno::EBUSY.with(format!("'{name}' is a mount point")));
        }
        parent
            .dir
            .vnode
            .rmdir(name)
            .await
            .map_err(|e| e.context_prefix(format_args!("rmdir '{name}'")))
    }

    /// Renames `old` to `new`, atomically replacing `new`.
    ///
    /// Errors, in Linux's order: resolution errors of either parent; `EXDEV` (across
    /// mounts); `EBUSY` (`.`, `..` or `/` as either last component); `EROFS`;
    /// `ENOENT` (no `old`); `ENOTDIR` (trailing slash on a non-directory);
    /// `EINVAL` (a directory into its own subtree), `ENOTEMPTY` (over a directory
    /// above `old`); success when both names are one node; `EACCES` (no write
    /// permission on the old parent), `EPERM` (sticky old parent, and the caller
    /// owns neither it nor `old` nor is root); the same two for the new parent and
    /// an existing `new` (only `EACCES` when `new` does not exist); `EACCES` (a
    /// directory moved to another parent without write permission on it, for its
    /// `..`); `EBUSY` (a mount point on either side); then the backend's:
    /// `ENOTDIR`, `EISDIR`, `ENOTEMPTY`, `ENOSPC`, `EIO`.
    pub async fn rename(
        &self,
        caller: &Caller,
        old: impl AsRef<[u8]>,
        new: impl AsRef<[u8]>,
    ) -> Result<()> {
        self.rename_at(caller, &caller.cwd, old, &caller.cwd, new)
            .await
    }

    /// `renameat`: `old` resolved from `old_dir`, `new` from `new_dir`.
    ///
    /// Errors: as [`Namespace::rename`].
    pub async fn rename_at(
        &self,
        caller: &Caller,
        old_dir: &Location,
        old: impl AsRef<[u8]>,
        new_dir: &Location,
        new: impl AsRef<[u8]>,
    ) -> Result<()> {
        let from = self
            .walker(&caller.creds)
            .walk_parent(old_dir, old.as_ref())
            .await?;
        let to = self
            .walker(&caller.creds)
            .walk_parent(new_dir, new.as_ref())
            .await?;
        if from.dir.mount.id() != to.dir.mount.id() {
            return Err(Errno::EXDEV.with("rename across mounts"));
        }
        let (LastComponent::Normal(old_name), LastComponent::Normal(new_name)) =
            (&from.last, &to.last)
        else {
            return Err(Errno::EBUSY.with("rename of '.', '..' or '/'"));
        };
        from.dir.mount.check_writable()?;
        let source = Self::lookup_here(&from.dir, old_name).await?;
        let target = match to.dir.vnode.lookup(new_name).await {
            Ok(node) => Some(node),
            Err(e) if e.errno() == Errno::ENOENT => None,
            Err(e) => return Err(e),
        };
        if source.file_type() != FileType::Directory && (from.trailing_slash || to.trailing_slash) {
            return Err(Errno::ENOTDIR.with(format!("'{old_name}' is not a directory")));
        }
        // Linux's `lock_rename` trap, checked before any permission: a directory
        // cannot move below itself, nor replace a directory above it.
        if !from.dir.same_node(&to.dir) {
            if Self::is_at_or_above(&source, &to.dir).await {
                return Err(Errno::EINVAL.with(format!("'{old_name}' would move into itself")));
            }
            if let Some(target) = &target {
                if Self::is_at_or_above(target, &from.dir).await {
                    return Err(Errno::ENOTEMPTY.with(format!("'{new_name}' holds '{old_name}'")));
                }
            }
        }
        if target.as_ref().is_some_and(|t| t.ino() == source.ino()) {
            return Ok(());
        }
        permission::may_delete(&from.dir, &source, &caller.creds).await?;
        match &target {
            Some(target) => permission::may_delete(&to.dir, target, &caller.creds).await?,
            None => permission::may_create(&to.dir, &caller.creds).await?,
        }
        if source.file_type() == FileType::Directory && !from.dir.same_node(&to.dir) {
            let moved = Location {
                mount: from.dir.mount.clone(),
                vnode: source.clone(),
            };
            permission::may_access(&moved, &caller.creds, AccessMask::WRITE).await?;
        }
        if let Some(target) = &target {
            if self.table.is_covered(&to.dir.mount, target.ino()) {
                return Err(Errno::EBUSY.with(format!("'{new_name}' is a mount point")));
            }
        }
        if self.table.is_covered(&from.dir.mount, source.ino()) {
            return Err(Errno::EBUSY.with(format!("'{old_name}' is a mount point")));
        }
        from.dir
            .vnode
            .rename(old_name, &to.dir.vnode, new_name)
            .await
            .map_err(|e| e.context_prefix(format_args!("rename '{old_name}' to '{new_name}'")))
    }

    /// Whether `node` is directory `dir` or one of its ancestors on `dir`'s mount,
    /// found by following `..` from `dir` up to the mount's root. A parent the
    /// backend cannot name ends the search with "no": the backend's own `rename`
    /// still refuses a move into a subtree, as before this check.
    async fn is_at_or_above(node: &Arc<dyn Vnode>, dir: &Location) -> bool {
        if node.file_type() != FileType::Directory {
            return false;
        }
        let mut current = dir.clone();
        // A path holds at most PATH_MAX / 2 directories: deeper is a parent loop.
        for _ in 0..PATH_MAX / 2 {
            if current.vnode.ino() == node.ino() {
                return true;
            }
            if current.is_mount_root() {
                return false;
            }
            match current.vnode.parent().await {
                Ok(parent) => current.vnode = parent,
                Err(_) => return false,
            }
        }
        false
    }

    /// The target of symlink `path`.
    ///
    /// Errors: resolution errors, `EINVAL` (not a symlink), `EIO`.
    pub async fn readlink(&self, caller: &Caller, path: impl AsRef<[u8]>) -> Result<Vec<u8>> {
        let location = self.resolve(caller, path, false).await?;
        if location.vnode.file_type() != FileType::Symlink {
            return Err(Errno::EINVAL.with("not a symlink"));
        }
        location.vnode.readlink().await
    }

    /// Sets the size of the regular file `path` (following symlinks).
    ///
    /// Errors: resolution errors, `EISDIR`, `EINVAL` (not a regular file, or a length
    /// over `i64::MAX`), `EROFS`, `EFBIG`, `ENOSPC`, `EIO`.
    pub async fn truncate(
        &self,
        caller: &Caller,
        path: impl AsRef<[u8]>,
        length: u64,
    ) -> Result<()> {
        let location = self.resolve(caller, path, true).await?;
        truncate_checks(&location, length)?;
        let change = permission::truncation(&location, &caller.creds, length, true).await?;
        location.vnode.setattr(&change).await.map(drop)
    }

    /// Changes attributes of `path` (chmod, chown, utimensat), following a final
    /// symlink when `follow` is set; a `size` change is a truncate. The change is
    /// judged as Linux's `notify_change` judges it
    /// ([`permission::prepare_setattr`]): a change of owner or group also drops
    /// set-ID bits of a non-directory, and a mode loses set-group-ID when the
    /// caller is neither root nor in the file's group.
    ///
    /// Errors, in Linux's order: resolution errors; as [`Namespace::truncate`] for
    /// a size; `EROFS`; `EACCES` (both times now, by a caller neither owner nor
    /// allowed to write); `EPERM` (a new owner by anyone but root, a group the
    /// owner is not in, a mode or explicit times by anyone but the owner or root);
    /// the backend's (`EOPNOTSUPP` for a mode on a symlink, `EIO`).
    pub async fn setattr(
        &self,
        caller: &Caller,
        path: impl AsRef<[u8]>,
        changes: &SetAttr,
        follow: bool,
    ) -> Result<Attr> {
        let location = self.resolve(caller, path, follow).await?;
        self.setattr_node(caller, &location, changes).await
    }

    /// Changes attributes of the node `location` itself, as `setattr` does once it has
    /// resolved a path (for a frontend that holds nodes, such as FUSE).
    ///
    /// Errors: as [`Namespace::setattr`] after resolution.
    pub async fn setattr_node(
        &self,
        caller: &Caller,
        location: &Location,
        changes: &SetAttr,
    ) -> Result<Attr> {
        self.change_node(caller, location, changes, permission::is_chown(changes))
            .await
    }

    /// Changes the owner and/or group of `path` (`chown`, or `lchown` without
    /// `follow`); `None` keeps one. As [`Namespace::setattr`] with those ids,
    /// except that the set-ID bits of a non-directory go even when neither id
    /// is given, as Linux's `chown_common` has them go (and ctime changes).
    ///
    /// Errors: as [`Namespace::setattr`].
    pub async fn chown(
        &self,
        caller: &Caller,
        path: impl AsRef<[u8]>,
        uid: Option<u32>,
        gid: Option<u32>,
        follow: bool,
    ) -> Result<Attr> {
        let location = self.resolve(caller, path, follow).await?;
        let changes = SetAttr {
            uid,
            gid,
            ..SetAttr::default()
        };
        self.change_node(caller, &location, &changes, true).await
    }

    /// [`Namespace::setattr_node`], for a `chown` call when `chown`.
    async fn change_node(
        &self,
        caller: &Caller,
        location: &Location,
        changes: &SetAttr,
        chown: bool,
    ) -> Result<Attr> {
        let rest = SetAttr {
            size: None,
            ..changes.clone()
        };
        let mut effective = match changes.size {
            Some(length) => {
                truncate_checks(location, length)?;
                permission::truncation(location, &caller.creds, length, true).await?
            }
            None => {
                location.mount.check_writable()?;
                SetAttr::default()
            }
        };
        if !rest.is_empty() || chown {
            let judged =
                permission::prepare_setattr_at(location, &caller.creds, &rest, chown).await?;
            effective = SetAttr {
                size: effective.size,
                mode: judged.mode.or(effective.mode),
                ..judged
            };
        }
        location.vnode.setattr(&effective).await
    }

    /// Every entry of directory `path` (without `.` and `..`), in listing order:
    /// what `opendir` and `readdir` give.
    ///
    /// Errors: resolution errors, `ENOTDIR`, `EACCES` (no read permission on the
    /// directory), `EIO`.
    pub async fn read_dir(&self, caller: &Caller, path: impl AsRef<[u8]>) -> Result<Vec<DirEntry>> {
        self.open(caller, path, OpenFlags::RDONLY | OpenFlags::DIRECTORY, 0)
            .await?
            .read_dir_all()
            .await
    }

    /// Space figures of the file system holding `path`.
    ///
    /// Errors: resolution errors, the backend's.
    pub async fn statfs(&self, caller: &Caller, path: impl AsRef<[u8]>) -> Result<FsStat> {
        let location = self.resolve(caller, path, true).await?;
        location.mount.filesystem().statfs().await
    }

    /// Checks that the caller may access `path` as `mask` asks (an empty mask checks
    /// existence only).
    ///
    /// Errors: resolution errors, `EROFS` (write access on a read-only mount),
    /// `EACCES`, `EIO`.
    pub async fn access(
        &self,
        caller: &Caller,
        path: impl AsRef<[u8]>,
        mask: AccessMask,
    ) -> Result<()> {
        let location = self.resolve(caller, path, true).await?;
        if mask.contains(AccessMask::WRITE) && location.vnode.file_type() != FileType::Symlink {
            location.mount.check_writable()?;
        }
        if mask.is_empty() {
            return Ok(());
        }
        location.vnode.access(mask, &caller.creds).await
    }

    /// Makes every mounted file system durable (`sync`).
    ///
    /// Errors: the first backend error; every mount is still asked.
    pub async fn sync_all(&self) -> Result<()> {
        let mut first: Option<Error> = None;
        for mount in self.table.list() {
            if let Err(e) = mount.filesystem().sync().await {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// What `truncate` and `ftruncate` check before the backend sees a size change.
pub(crate) fn truncate_checks(location: &Location, length: u64) -> Result<()> {
    match location.vnode.file_type() {
        FileType::Directory => return Err(Errno::EISDIR.with("truncate of a directory")),
        FileType::Regular => {}
        other => return Err(Errno::EINVAL.with(format!("truncate of a {other:?}"))),
    }
    if length > i64::MAX as u64 {
        return Err(Errno::EINVAL.with(format!("length {length} is negative as off_t")));
    }
    location.mount.check_writable()
}
