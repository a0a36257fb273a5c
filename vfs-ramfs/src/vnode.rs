//! The [`Vnode`] implementation: attributes, lookups, listings, opening, and the
//! operations that add or remove names.
//!
//! Every operation that changes the tree holds the file system's tree lock, so the
//! checks it makes on directories still hold when it acts on them; while holding it,
//! an operation may lock several nodes. Everything else locks one node at a time and
//! never waits while holding a lock, so no lock order is needed.

use crate::data::FileData;
use crate::dir::Directory;
use crate::file;
use crate::node::{symlink_pages, Body, RamNode, State};
use async_trait::async_trait;
use std::sync::Arc;
use vfs_core::{
    Attr, CreateMode, DirPage, Errno, FileType, Name, NewNode, OpenFile, OpenFlags, Result,
    SetAttr, Timespec, Vnode,
};

/// The kind of node `add_entry` makes.
#[derive(Clone, Copy)]
enum Fresh<'a> {
    File,
    Dir,
    Symlink(&'a [u8]),
    /// A FIFO, socket or device node of this type and device number.
    Special(FileType, u64),
}

impl RamNode {
    /// The node `name` of this directory.
    pub(crate) fn child(&self, name: &Name) -> Result<Option<Arc<RamNode>>> {
        Ok(self.state.read().body.dir()?.get(name).cloned())
    }

    /// What `open` answers, at once.
    fn opened(&self, flags: OpenFlags) -> Result<Arc<dyn OpenFile>> {
        match self.kind() {
            FileType::Regular => Ok(file::open(self.arc()?, flags)),
            FileType::Directory => Err(Errno::EISDIR.into()),
            FileType::Symlink => Err(Errno::ELOOP.into()),
            _ => Err(Errno::ENXIO.into()),
        }
    }

    /// What `lookup` answers, at once.
    fn found(&self, name: &Name) -> Result<Arc<dyn Vnode>> {
        match self.child(name)? {
            Some(node) => Ok(node),
            None => Err(Errno::ENOENT.into()),
        }
    }

    /// Adds a new node `name` to this directory; an existing name fails with
    /// `EEXIST`.
    fn add_entry(&self, name: &Name, attrs: &NewNode, fresh: Fresh<'_>) -> Result<Arc<dyn Vnode>> {
        let _tree = self.fs.change_tree();
        let mut state = self.state.write();
        let State { meta, body } = &mut *state;
        let dir = body.dir_mut()?;
        if dir.get(name).is_some() {
            return Err(Errno::EEXIST.into());
        }
        if meta.nlink == 0 {
            return Err(Errno::ENOENT.with("directory was removed"));
        }
        let (kind, pages) = match fresh {
            Fresh::File => (FileType::Regular, 0),
            Fresh::Dir => (FileType::Directory, 0),
            Fresh::Symlink(target) => (FileType::Symlink, symlink_pages(target)),
            Fresh::Special(kind, _) => (kind, 0),
        };
        if !self.fs.inodes.take(1) {
            return Err(Errno::ENOSPC.with("no free inodes"));
        }
        if !self.fs.space.take(pages) {
            self.fs.inodes.give_back(1);
            return Err(Errno::ENOSPC.into());
        }
        let now = Timespec::now();
        let node = RamNode::build(&self.fs, kind, attrs, now, |_| match fresh {
            Fresh::File => Body::File(FileData::default()),
            Fresh::Dir => Body::Dir(Directory::new(self.weak())),
            Fresh::Symlink(target) => Body::Symlink(target.into()),
            Fresh::Special(_, rdev) => Body::Special { rdev },
        });
        dir.insert(name.clone(), node.clone());
        meta.modified(now);
        if kind == FileType::Directory {
            meta.nlink += 1;
        }
        Ok(node)
    }

    /// One name of this node went away (unlink, rmdir, replaced by rename). Like
    /// tmpfs, an extra hard link is charged as an inode, so its removal returns one.
    pub(crate) fn lost_name(&self, now: Timespec) {
        let mut state = self.state.write();
        let meta = &mut state.meta;
        if self.kind() == FileType::Directory {
            meta.nlink = 0;
        } else {
            if meta.nlink > 1 {
                self.fs.inodes.give_back(1);
            }
            meta.nlink = meta.nlink.saturating_sub(1);
        }
        meta.changed(now);
    }
}

#[async_trait]
impl Vnode for RamNode {
    fn ino(&self) -> u64 {
        self.number()
    }

    fn file_type(&self) -> FileType {
        self.kind()
    }

    async fn getattr(&self) -> Result<Attr> {
        Ok(self.attr())
    }

    fn getattr_now(&self) -> Option<Result<Attr>> {
        Some(Ok(self.attr()))
    }

    async fn setattr(&self, changes: &SetAttr) -> Result<Attr> {
        self.set_attributes(changes)
    }

    async fn lookup(&self, name: &Name) -> Result<Arc<dyn Vnode>> {
        self.found(name)
    }

    fn lookup_now(&self, name: &Name) -> Option<Result<Arc<dyn Vnode>>> {
        Some(self.found(name))
    }

    async fn parent(&self) -> Result<Arc<dyn Vnode>> {
        // A removed directory still knows where it was: Linux resolves `..` of a
        // removed cwd to the former parent, so this does too.
        let state = self.state.read();
        match state.body.dir()?.parent() {
            Some(parent) => Ok(parent),
            None => Err(Errno::ENOENT.with("parent was removed")),
        }
    }

    /// Nothing is ever sent twice here, so both modes are the same.
    async fn create(
        &self,
        name: &Name,
        attrs: &NewNode,
        _mode: CreateMode,
    ) -> Result<Arc<dyn Vnode>> {
        self.add_entry(name, attrs, Fresh::File)
    }

    async fn mkdir(&self, name: &Name, attrs: &NewNode) -> Result<Arc<dyn Vnode>> {
        self.add_entry(name, attrs, Fresh::Dir)
    }

    async fn symlink(&self, name: &Name, target: &[u8], attrs: &NewNode) -> Result<Arc<dyn Vnode>> {
        self.add_entry(name, attrs, Fresh::Symlink(target))
    }

    async fn mknod(
        &self,
        name: &Name,
        file_type: FileType,
        rdev: u64,
        attrs: &NewNode,
    ) -> Result<Arc<dyn Vnode>> {
        match file_type {
            FileType::Fifo | FileType::Socket | FileType::CharDevice | FileType::BlockDevice => {
                self.add_entry(name, attrs, Fresh::Special(file_type, rdev))
            }
            other => Err(Errno::EINVAL.with(format!("mknod of a {other:?}"))),
        }
    }

    async fn readlink(&self) -> Result<Vec<u8>> {
        let target = match &self.state.read().body {
            Body::Symlink(target) => target.to_vec(),
            _ => return Err(Errno::EINVAL.into()),
        };
        self.accessed(Timespec::now());
        Ok(target)
    }

    async fn link(&self, name: &Name, target: &Arc<dyn Vnode>) -> Result<()> {
        let _tree = self.fs.change_tree();
        let mut state = self.state.write();
        let State { meta, body } = &mut *state;
        let dir = body.dir_mut()?;
        if dir.get(name).is_some() {
            return Err(Errno::EEXIST.into());
        }
        if meta.nlink == 0 {
            return Err(Errno::ENOENT.with("directory was removed"));
        }
        let Some(target) = RamNode::downcast(target, &self.fs) else {
            return Err(Errno::EXDEV.with("link target is on another file system"));
        };
        if target.kind() == FileType::Directory {
            return Err(Errno::EPERM.with("hard link to a directory"));
        }
        let now = Timespec::now();
        {
            let mut target_state = target.state.write();
            if target_state.meta.nlink == 0 {
                return Err(Errno::ENOENT.with("link target was removed"));
            }
            if !self.fs.inodes.take(1) {
                return Err(Errno::ENOSPC.with("no free inodes"));
            }
            target_state.meta.nlink += 1;
            target_state.meta.changed(now);
        }
        dir.insert(name.clone(), target);
        meta.modified(now);
        Ok(())
    }

    async fn unlink(&self, name: &Name) -> Result<()> {
        let _tree = self.fs.change_tree();
        let mut state = self.state.write();
        let State { meta, body } = &mut *state;
        let dir = body.dir_mut()?;
        let Some(node) = dir.get(name).cloned() else {
            return Err(Errno::ENOENT.into());
        };
        if node.kind() == FileType::Directory {
            return Err(Errno::EISDIR.into());
        }
        dir.remove(name);
        let now = Timespec::now();
        meta.modified(now);
        node.lost_name(now);
        Ok(())
    }

    async fn rmdir(&self, name: &Name) -> Result<()> {
        let _tree = self.fs.change_tree();
        let mut state = self.state.write();
        let State { meta, body } = &mut *state;
        let dir = body.dir_mut()?;
        let Some(node) = dir.get(name).cloned() else {
            return Err(Errno::ENOENT.into());
        };
        if node.kind() != FileType::Directory {
            return Err(Errno::ENOTDIR.into());
        }
        if !node.state.read().body.dir()?.is_empty() {
            return Err(Errno::ENOTEMPTY.into());
        }
        dir.remove(name);
        let now = Timespec::now();
        meta.modified(now);
        meta.nlink = meta.nlink.saturating_sub(1);
        node.lost_name(now);
        Ok(())
    }

    async fn rename(&self, name: &Name, new_dir: &Arc<dyn Vnode>, new_name: &Name) -> Result<()> {
        self.move_entry(name, new_dir, new_name)
    }

    async fn readdir(&self, cookie: u64, max_entries: usize) -> Result<DirPage> {
        let now = Timespec::now();
        let (page, due) = {
            let state = self.state.read();
            (
                state.live_dir()?.page(cookie, max_entries),
                state.meta.atime_due(now),
            )
        };
        if due {
            self.accessed(now);
        }
        Ok(page)
    }

    async fn open(&self, flags: OpenFlags) -> Result<Arc<dyn OpenFile>> {
        self.opened(flags)
    }

    fn open_now(&self, flags: OpenFlags) -> Option<Result<Arc<dyn OpenFile>>> {
        Some(self.opened(flags))
    }
}
