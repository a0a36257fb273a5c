//! [`NfsNode`]: one file handle of the server as a [`vfs_core::Vnode`].
//!
//! A node holds its handle, its fileid (the inode number), its type, the mount's
//! shared state and its caches: attributes for every node, a lookup cache and the
//! listing state for directories, the uncommitted writes for regular files and the
//! target for symlinks. The procedures themselves live in the `proc_*` modules,
//! `readdir` and `silly`; this module holds the node and maps the `Vnode` contract
//! onto them.

use crate::attr::AttrCache;
use crate::error::{nfs_error, rejected};
use crate::file::NfsFile;
use crate::lookup_cache::LookupCache;
use crate::readdir::Listing;
use crate::silly::SillyName;
use crate::state::MountState;
use crate::writes::Uncommitted;
use async_trait::async_trait;
use nfs3_types::nfs3::{fattr3, nfs_fh3, nfsstat3, post_op_attr, wcc_data, Nfs3Option};
use parking_lot::Mutex;
use std::any::Any;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, OnceLock, Weak};
use vfs_core::{
    AccessMask, Attr, CreateMode, Credentials, DirPage, Errno, Error, FileType, Name, NewNode,
    OpenFile, OpenFlags, Result, SetAttr, Vnode,
};

/// What only a directory has.
pub struct DirState {
    /// Name -> child handle.
    pub lookup: LookupCache,
    /// The cookie verifier and the entries fetched but not yet returned.
    pub listing: Mutex<Listing>,
}

/// One node of an NFS mount.
pub struct NfsNode {
    /// The mount's shared state.
    pub state: Arc<MountState>,
    /// This node, for handing out `Arc`s of itself.
    pub me: Weak<NfsNode>,
    /// The server's handle.
    pub fh: nfs_fh3,
    /// The fileid: the inode number.
    pub ino: u64,
    /// Fixed for the node's life.
    pub file_type: FileType,
    /// Cached attributes.
    pub attrs: AttrCache,
    /// Directories only (boxed: most nodes are files).
    pub dir: Option<Box<DirState>>,
    /// Regular files only: data written UNSTABLE and not yet committed, made on
    /// the first write or sequential read ([`NfsNode::kept`]). Most nodes (those
    /// a listing makes, one per entry) are never written, and its locks and
    /// write-behind window cost more to make and drop than the rest of the node.
    pub data: Option<OnceLock<Box<Uncommitted>>>,
    /// Open files of this node (for silly rename).
    pub opens: AtomicUsize,
    /// Where the mount's keep-alive ring last took this node (its position plus
    /// one; zero: never), see [`MountState::keep`].
    pub kept: AtomicUsize,
    /// Set while the file lives on under a silly-rename name.
    pub silly: Mutex<Option<SillyName>>,
    /// Symlinks only: the target, once read (a symlink's target never changes).
    pub link_target: OnceLock<Vec<u8>>,
    /// Directories other than the mount's root: the directory this one was last
    /// reached from (by LOOKUP, listing, MKDIR or this mount's RENAME), which is
    /// its `..`. Remembered, as Linux's dentry `d_parent` is, rather than asked
    /// of the server: a server's LOOKUP("..") could name any directory, above the
    /// export too. Held strongly, so a directory keeps its ancestors alive (its
    /// `..` must stay answerable), never the other way round: see
    /// [`NfsNode::adopt`].
    parent: Mutex<Option<Arc<NfsNode>>>,
}

/// Most steps up remembered parents before giving up: deeper than any path can
/// name, and a bound even if parents ever formed a loop.
const MAX_DEPTH: usize = vfs_core::PATH_MAX / 2;

impl NfsNode {
    /// A node for `fh` with the attributes `fattr` from the call numbered `seq`.
    pub fn new(state: Arc<MountState>, fh: nfs_fh3, fattr: &fattr3, seq: u64) -> Arc<NfsNode> {
        let file_type = crate::attr::file_type_of(fattr.type_);
        let times = state.url.attr_cache;
        let (min, max) = if file_type == FileType::Directory {
            (times.dir_min, times.dir_max)
        } else {
            (times.reg_min, times.reg_max)
        };
        let attrs = AttrCache::new(
            min,
            max,
            state.limits.wsize,
            fattr,
            state.client.shared_server(),
        );
        attrs.store(fattr, seq);
        Arc::new_cyclic(|me| NfsNode {
            me: me.clone(),
            fh,
            ino: fattr.fileid,
            file_type,
            attrs,
            dir: (file_type == FileType::Directory).then(|| {
                Box::new(DirState {
                    lookup: LookupCache::default(),
                    listing: Mutex::new(Listing::default()),
                })
            }),
            data: (file_type == FileType::Regular).then(OnceLock::new),
            opens: AtomicUsize::new(0),
            kept: AtomicUsize::new(0),
            silly: Mutex::new(None),
            link_target: OnceLock::new(),
            parent: Mutex::new(None),
            state,
        })
    }

    /// This node as an `Arc`.
    pub fn arc(&self) -> Result<Arc<NfsNode>> {
        self.me
            .upgrade()
            .ok_or_else(|| Errno::EIO.with("NFS node used while being dropped"))
    }

    /// True for the mount's root directory.
    pub fn is_root(&self) -> bool {
        self.fh == self.state.root_fh
    }

    /// "directory #INO on HOST:EXPORT", for messages.
    pub fn what(&self) -> String {
        format!(
            "{} on {}",
            kind_and_ino(self.file_type, self.ino),
            self.state.server()
        )
    }

    /// Records that `child`, found in this directory, has it as its parent (see
    /// [`NfsNode::parent`]); anything but a directory needs no parent. Linux's
    /// `d_splice_alias` moves a directory's dentry to wherever a lookup finds it,
    /// as this does.
    ///
    /// Errors: `EIO` (logged) when `child` is this directory or one above it: a
    /// server answering so would make `..` go round in circles (Linux refuses
    /// such a lookup too, with "would have caused loop").
    pub fn adopt(&self, child: &Arc<NfsNode>) -> Result<()> {
        if child.file_type != FileType::Directory {
            return Ok(());
        }
        // Found where it was found before (every walk through it): nothing moved,
        // so no loop can have formed.
        let same = child
            .parent
            .lock()
            .as_ref()
            .is_some_and(|parent| std::ptr::eq(Arc::as_ptr(parent), self));
        if same {
            return Ok(());
        }
        let me = self.arc()?;
        let mut current = me.clone();
        for _ in 0..MAX_DEPTH {
            if Arc::ptr_eq(&current, child) || current.fh == child.fh {
                return Err(rejected(
                    Errno::EIO,
                    self.state.server(),
                    format_args!(
                        "{} found in {}, which is inside it",
                        child.what(),
                        self.what()
                    ),
                ));
            }
            match current.known_parent() {
                Some(parent) => current = parent,
                None => break,
            }
        }
        *child.parent.lock() = Some(me);
        Ok(())
    }

    /// The remembered parent; `None` for the root (and for a node no directory
    /// has adopted yet, which no caller ever sees: every call handing out a
    /// directory node adopts it first).
    fn known_parent(&self) -> Option<Arc<NfsNode>> {
        if self.is_root() {
            return None;
        }
        self.parent.lock().clone()
    }

    /// True when the directory with inode `ino` is this directory or one above it,
    /// by remembered parents up to the mount's root.
    pub fn has_ancestor(&self, ino: u64) -> bool {
        if self.ino == ino {
            return true;
        }
        let mut current = self.known_parent();
        for _ in 0..MAX_DEPTH {
            match current {
                Some(node) if node.ino == ino => return true,
                Some(node) => current = node.known_parent(),
                None => return false,
            }
        }
        false
    }

    /// The error for `status` of `procedure` on this node (`about` names more).
    pub fn fail(&self, status: nfsstat3, procedure: &str, about: impl std::fmt::Display) -> Error {
        let about = about.to_string();
        if about.is_empty() {
            nfs_error(status, procedure, self.what())
        } else {
            nfs_error(
                status,
                procedure,
                format_args!("{about} in {}", self.what()),
            )
        }
    }

    /// The directory part of `lookup`.
    pub fn dir_state(&self) -> Result<&DirState> {
        self.dir
            .as_deref()
            .ok_or_else(|| Errno::ENOTDIR.with(self.what()))
    }

    /// Takes in attributes from a reply. A directory whose attributes changed
    /// without this mount knowing why loses its lookup cache.
    pub fn absorb(&self, fattr: &fattr3, seq: u64) {
        let stored = self.attrs.store(fattr, seq);
        if stored.changed && !stored.stale {
            if let Some(dir) = &self.dir {
                dir.lookup.clear();
            }
        }
    }

    /// The attributes a LOOKUP or CREATE just brought for the operation in
    /// progress, once (see [`AttrCache::take_just_fetched`]).
    pub fn just_fetched(&self) -> Option<Attr> {
        self.attrs.take_just_fetched(self.state.next_seq())
    }

    /// Takes in optional post-op attributes.
    pub fn absorb_post_op(&self, after: &post_op_attr, seq: u64) {
        match after {
            Nfs3Option::Some(fattr) => self.absorb(fattr, seq),
            Nfs3Option::None => self.attrs.expire(),
        }
    }

    /// Takes in the WCC data of a call this mount made to change this directory.
    /// Returns true when the call alone explains the change, so the caller updates
    /// the lookup cache entry it changed; otherwise the whole cache is dropped.
    pub fn absorb_dir_wcc(&self, wcc: &wcc_data, seq: u64) -> bool {
        let ours = self.attrs.store_wcc(wcc, seq);
        if !ours {
            if let Some(dir) = &self.dir {
                dir.lookup.clear();
            }
        }
        ours
    }

    /// The attributes as POSIX sees them: a silly-renamed file has lost the name
    /// it was opened by, which the server still counts.
    pub fn adjusted(&self, mut attr: Attr) -> Attr {
        if self.silly.lock().is_some() {
            attr.nlink = attr.nlink.saturating_sub(1);
        }
        attr
    }
}

/// "directory #INO", for messages.
pub(crate) fn kind_and_ino(file_type: FileType, ino: u64) -> String {
    let kind = match file_type {
        FileType::Directory => "directory",
        FileType::Regular => "file",
        FileType::Symlink => "symlink",
        FileType::Fifo => "fifo",
        FileType::Socket => "socket",
        FileType::CharDevice => "character device",
        FileType::BlockDevice => "block device",
    };
    format!("{kind} #{ino}")
}

impl Drop for NfsNode {
    fn drop(&mut self) {
        self.state.forget(&self.fh.data, self as *const NfsNode);
    }
}

/// An `Arc<dyn Vnode>` as a node of this backend, if it is one.
pub fn as_nfs_node(vnode: &Arc<dyn Vnode>) -> Option<Arc<NfsNode>> {
    let any: Arc<dyn Any + Send + Sync> = vnode.clone();
    any.downcast::<NfsNode>().ok()
}

/// For directory operations: a handle the server no longer knows is a directory
/// that was removed, which the `Vnode` contract reports as `ENOENT`.
pub fn removed_dir_is_enoent(error: Error) -> Error {
    if error.errno() == Errno::ESTALE {
        Error::new(
            Errno::ENOENT,
            format!("directory was removed ({})", error.context().unwrap_or("")),
        )
    } else {
        error
    }
}

#[async_trait]
impl Vnode for NfsNode {
    fn ino(&self) -> u64 {
        self.ino
    }

    fn file_type(&self) -> FileType {
        self.file_type
    }

    async fn getattr(&self) -> Result<Attr> {
        // Size and times must include this mount's background writes.
        self.drain_writes().await;
        self.attributes().await
    }

    fn getattr_now(&self) -> Option<Result<Attr>> {
        if !self.writes_idle() {
            return None;
        }
        self.cached_attributes().map(Ok)
    }

    async fn setattr(&self, changes: &SetAttr) -> Result<Attr> {
        // A background write landing later would undo a truncation or set times.
        self.drain_writes().await;
        self.set_attributes(changes).await
    }

    async fn access(&self, mask: AccessMask, creds: &Credentials) -> Result<()> {
        self.check_access(mask, creds).await
    }

    async fn lookup(&self, name: &Name) -> Result<Arc<dyn Vnode>> {
        Ok(self
            .lookup_child(name)
            .await
            .map_err(removed_dir_is_enoent)?)
    }

    fn lookup_now(&self, name: &Name) -> Option<Result<Arc<dyn Vnode>>> {
        let answer = self.cached_child(name)?;
        Some(match answer {
            Ok(node) => Ok(node),
            Err(e) => Err(removed_dir_is_enoent(e)),
        })
    }

    /// The remembered parent (see [`NfsNode::adopt`]), never the server's
    /// LOOKUP(".."): the mount's root is its own parent, so no `..` leaves the
    /// mount whatever a server answers. A removed directory keeps the parent it
    /// was removed from, as the contract asks. A directory moved by another
    /// client keeps its old parent until a lookup finds it in the new one, as
    /// Linux's `..` does.
    async fn parent(&self) -> Result<Arc<dyn Vnode>> {
        if self.is_root() {
            return Ok(self.arc()?);
        }
        match self.known_parent() {
            Some(parent) => Ok(parent),
            None => Err(Errno::EIO.with(format!("{} has no known parent", self.what()))),
        }
    }

    async fn create(
        &self,
        name: &Name,
        attrs: &NewNode,
        mode: CreateMode,
    ) -> Result<Arc<dyn Vnode>> {
        Ok(self
            .create_file(name, attrs, mode)
            .await
            .map_err(removed_dir_is_enoent)?)
    }

    async fn mkdir(&self, name: &Name, attrs: &NewNode) -> Result<Arc<dyn Vnode>> {
        Ok(self
            .make_dir(name, attrs)
            .await
            .map_err(removed_dir_is_enoent)?)
    }

    async fn symlink(&self, name: &Name, target: &[u8], attrs: &NewNode) -> Result<Arc<dyn Vnode>> {
        if !self.state.caps.symlinks {
            return Err(Errno::EPERM.with(format!("{} has no symlinks", self.state.server())));
        }
        Ok(self
            .make_symlink(name, target, attrs)
            .await
            .map_err(removed_dir_is_enoent)?)
    }

    async fn mknod(
        &self,
        name: &Name,
        file_type: FileType,
        rdev: u64,
        attrs: &NewNode,
    ) -> Result<Arc<dyn Vnode>> {
        if !self.state.caps.special_files {
            return Err(
                Errno::EPERM.with(format!("{} makes no special files", self.state.server()))
            );
        }
        Ok(self
            .make_node(name, file_type, rdev, attrs)
            .await
            .map_err(removed_dir_is_enoent)?)
    }

    async fn readlink(&self) -> Result<Vec<u8>> {
        if self.file_type != FileType::Symlink {
            return Err(Errno::EINVAL.with(format!("{} is not a symlink", self.what())));
        }
        self.read_link().await
    }

    async fn link(&self, name: &Name, target: &Arc<dyn Vnode>) -> Result<()> {
        if !self.state.caps.hard_links {
            return Err(Errno::EPERM.with(format!("{} has no hard links", self.state.server())));
        }
        let target = as_nfs_node(target)
            .filter(|node| Arc::ptr_eq(&node.state, &self.state))
            .ok_or_else(|| Errno::EXDEV.with("link to a node of another file system"))?;
        self.link_to(name, &target)
            .await
            .map_err(removed_dir_is_enoent)
    }

    async fn unlink(&self, name: &Name) -> Result<()> {
        self.remove(name).await.map_err(removed_dir_is_enoent)
    }

    async fn rmdir(&self, name: &Name) -> Result<()> {
        self.remove_dir(name).await.map_err(removed_dir_is_enoent)
    }

    async fn rename(&self, name: &Name, new_dir: &Arc<dyn Vnode>, new_name: &Name) -> Result<()> {
        self.rename_entry(name, new_dir, new_name)
            .await
            .map_err(removed_dir_is_enoent)
    }

    async fn readdir(&self, cookie: u64, max_entries: usize) -> Result<DirPage> {
        self.list(cookie, max_entries.max(1))
            .await
            .map_err(removed_dir_is_enoent)
    }

    async fn open(&self, flags: OpenFlags) -> Result<Arc<dyn OpenFile>> {
        if self.file_type != FileType::Regular {
            return Err(Errno::EINVAL.with(format!("open of {}", self.what())));
        }
        // Close-to-open consistency: every open asks the server, so a change made
        // by another client before it closed is seen now. A LOOKUP or CREATE made
        // for this very open has just asked (see `AttrCache::take_just_fetched`).
        // No file data is cached here, so there is nothing else to drop.
        if self.just_fetched().is_none() {
            self.fetch_attributes().await?;
        }
        Ok(Arc::new(NfsFile::new(self.arc()?, flags)))
    }

    async fn fsync(&self) -> Result<()> {
        self.commit().await
    }
}
