//! Inodes: what every node stores, and the operations on one node's own data.

use crate::data::{FileData, MAX_FILE_SIZE, PAGE_SIZE};
use crate::dir::Directory;
use crate::fs::FsShared;
use crate::meta::{resolve_time, Meta};
use std::any::Any;
use std::sync::{Arc, Weak};
use vfs_core::sole_thread::SoleRwLock;
use vfs_core::{Attr, Errno, Error, FileType, NewNode, Result, SetAttr, Timespec, Vnode};

/// `st_blocks` counts 512-byte units.
const BLOCKS_PER_PAGE: u64 = (PAGE_SIZE / 512) as u64;

/// A symlink target at least this long (with its terminating NUL) takes a page, as
/// tmpfs keeps only shorter ones inline (`SHORT_SYMLINK_LEN`).
const INLINE_SYMLINK_MAX: usize = 128;

/// What a node holds besides its metadata.
pub(crate) enum Body {
    File(FileData),
    Dir(Directory),
    Symlink(Box<[u8]>),
    /// A FIFO, socket or device node: nothing but its device number (0 for a
    /// FIFO or socket), as tmpfs keeps one.
    Special {
        rdev: u64,
    },
}

impl Body {
    pub(crate) fn dir(&self) -> Result<&Directory> {
        match self {
            Body::Dir(dir) => Ok(dir),
            _ => Err(Errno::ENOTDIR.into()),
        }
    }

    pub(crate) fn dir_mut(&mut self) -> Result<&mut Directory> {
        match self {
            Body::Dir(dir) => Ok(dir),
            _ => Err(Errno::ENOTDIR.into()),
        }
    }

    fn file_mut(&mut self) -> Result<&mut FileData> {
        match self {
            Body::File(data) => Ok(data),
            Body::Dir(_) => Err(Errno::EISDIR.into()),
            Body::Symlink(_) | Body::Special { .. } => Err(Errno::EINVAL.into()),
        }
    }

    /// Pages charged to the file system's space.
    fn pages(&self) -> u64 {
        match self {
            Body::File(data) => data.pages(),
            Body::Dir(_) | Body::Special { .. } => 0,
            Body::Symlink(target) => symlink_pages(target),
        }
    }
}

/// Pages a symlink to `target` takes.
pub(crate) fn symlink_pages(target: &[u8]) -> u64 {
    u64::from(target.len() + 1 > INLINE_SYMLINK_MAX)
}

/// A node's mutable part, under one lock.
pub(crate) struct State {
    pub(crate) meta: Meta,
    pub(crate) body: Body,
}

impl State {
    /// The directory, unless it was removed.
    pub(crate) fn live_dir(&self) -> Result<&Directory> {
        let dir = self.body.dir()?;
        if self.meta.nlink == 0 {
            return Err(Errno::ENOENT.with("directory was removed"));
        }
        Ok(dir)
    }
}

/// One inode. Its type and number never change; everything else is in `state`, whose
/// read-write lock lets readers of one file run in parallel (and which a file
/// system used by one thread only does not take, see [`FsShared::sole`]).
pub(crate) struct RamNode {
    ino: u64,
    kind: FileType,
    /// This node's own `Arc`, for handing itself out (`open`, the root's `..`).
    me: Weak<RamNode>,
    pub(crate) fs: Arc<FsShared>,
    pub(crate) state: SoleRwLock<State>,
}

impl RamNode {
    /// A new node numbered by `fs`, whose inode the caller has already charged.
    /// `body` gets the node's own `Weak` (a directory's parent may be itself).
    pub(crate) fn build(
        fs: &Arc<FsShared>,
        kind: FileType,
        attrs: &NewNode,
        now: Timespec,
        body: impl FnOnce(&Weak<RamNode>) -> Body,
    ) -> Arc<RamNode> {
        let nlink = if kind == FileType::Directory { 2 } else { 1 };
        let mode = if kind == FileType::Symlink {
            0o777
        } else {
            attrs.mode
        };
        let meta = Meta::new(&NewNode { mode, ..*attrs }, nlink, now);
        Arc::new_cyclic(|me| RamNode {
            ino: fs.next_ino(),
            kind,
            me: me.clone(),
            fs: fs.clone(),
            state: SoleRwLock::new(
                &fs.sole,
                State {
                    meta,
                    body: body(me),
                },
            ),
        })
    }

    /// This node as an `Arc`.
    pub(crate) fn arc(&self) -> Result<Arc<RamNode>> {
        self.me.upgrade().ok_or_else(|| Errno::ESTALE.into())
    }

    /// A weak reference to this node.
    pub(crate) fn weak(&self) -> Weak<RamNode> {
        self.me.clone()
    }

    /// `node` as a node of the file system `fs`, if it is one.
    pub(crate) fn downcast(node: &Arc<dyn Vnode>, fs: &Arc<FsShared>) -> Option<Arc<RamNode>> {
        let any: Arc<dyn Any + Send + Sync> = node.clone();
        any.downcast::<RamNode>()
            .ok()
            .filter(|node| Arc::ptr_eq(&node.fs, fs))
    }

    /// The inode number.
    pub(crate) fn number(&self) -> u64 {
        self.ino
    }

    /// The type.
    pub(crate) fn kind(&self) -> FileType {
        self.kind
    }

    /// The attributes `state` describes.
    pub(crate) fn attr_of(&self, state: &State) -> Attr {
        let meta = &state.meta;
        let size = match &state.body {
            Body::File(data) => data.size(),
            Body::Dir(dir) => dir.size(),
            Body::Symlink(target) => target.len() as u64,
            Body::Special { .. } => 0,
        };
        let rdev = match state.body {
            Body::Special { rdev } => rdev,
            _ => 0,
        };
        Attr {
            file_type: self.kind,
            mode: meta.mode,
            nlink: meta.nlink,
            uid: meta.uid,
            gid: meta.gid,
            size,
            blocks: state.body.pages() * BLOCKS_PER_PAGE,
            blksize: PAGE_SIZE as u32,
            ino: self.ino,
            rdev,
            atime: meta.atime(),
            mtime: meta.mtime(),
            ctime: meta.ctime(),
        }
    }

    /// Current attributes.
    pub(crate) fn attr(&self) -> Attr {
        self.attr_of(&self.state.read())
    }

    /// Refreshes the access time by the relatime rules.
    pub(crate) fn accessed(&self, now: Timespec) {
        if !self.state.read().meta.atime_due(now) {
            return;
        }
        let mut state = self.state.write();
        if state.meta.atime_due(now) {
            state.meta.set_atime(now);
        }
    }

    /// Reads file data at `offset` (`pread`), then refreshes the access time unless
    /// `noatime`.
    #[inline]
    pub(crate) fn read(&self, offset: u64, buf: &mut [u8], noatime: bool) -> Result<usize> {
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > MAX_FILE_SIZE)
        {
            return Err(past_max_size(offset, buf.len()));
        }
        let (count, maybe_due) = {
            let state = self.state.read();
            let Body::File(data) = &state.body else {
                return Err(Errno::EISDIR.into());
            };
            (
                data.read(offset, buf),
                !noatime && state.meta.atime_maybe_due(coarse_seconds()),
            )
        };
        if maybe_due {
            self.accessed(Timespec::now());
        }
        Ok(count)
    }

    /// [`RamNode::write`] at `offset`: how many bytes were written.
    pub(crate) fn write_at_offset(&self, offset: u64, bytes: &[u8]) -> Result<usize> {
        self.write(Some(offset), bytes).map(|(_, written)| written)
    }

    /// Writes file data at `offset`, or at the end of file when `None` (atomically:
    /// the size is read under the same lock); returns where and how many bytes were
    /// written. Like Linux, writes what fits when space runs out and fails with
    /// `ENOSPC` only when nothing does, and stops short at the maximum file size.
    pub(crate) fn write(&self, offset: Option<u64>, bytes: &[u8]) -> Result<(u64, usize)> {
        let mut state = self.state.write();
        let State { meta, body } = &mut *state;
        let data = body.file_mut()?;
        let offset = offset.unwrap_or(data.size());
        if bytes.is_empty() {
            return Ok((offset, 0));
        }
        if offset >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG.with(format!("write at offset {offset}")));
        }
        let fitting = (MAX_FILE_SIZE - offset).min(bytes.len() as u64) as usize;
        // Linux stamps the file before copying, so even a write that fails for
        // want of space changes mtime.
        meta.modified(Timespec::now());
        match data.write(offset, &bytes[..fitting], &self.fs.space, &self.fs.pool) {
            0 => {
                Err(Errno::ENOSPC
                    .with(format!("write of {} bytes at offset {offset}", bytes.len())))
            }
            written => Ok((offset, written)),
        }
    }

    /// Applies `changes` as `Vnode::setattr` describes.
    pub(crate) fn set_attributes(&self, changes: &SetAttr) -> Result<Attr> {
        for time in [changes.atime, changes.mtime].into_iter().flatten() {
            if matches!(time, vfs_core::SetTime::At(at) if at.nsec >= 1_000_000_000) {
                return Err(Errno::EINVAL.with("nanoseconds out of range"));
            }
        }
        if let Some(size) = changes.size {
            match self.kind {
                FileType::Regular => {}
                FileType::Directory => return Err(Errno::EISDIR.with("size of a directory")),
                other => return Err(Errno::EINVAL.with(format!("size of a {other:?}"))),
            }
            if size > MAX_FILE_SIZE {
                return Err(Errno::EFBIG.with(format!("size {size}")));
            }
        }
        if changes.mode.is_some() && self.kind == FileType::Symlink {
            return Err(Errno::EOPNOTSUPP.with("mode of a symlink"));
        }
        let mut state = self.state.write();
        if changes.is_empty() {
            return Ok(self.attr_of(&state));
        }
        let now = Timespec::now();
        let State { meta, body } = &mut *state;
        if let Some(size) = changes.size {
            body.file_mut()?
                .set_size(size, &self.fs.space, &self.fs.pool);
            meta.set_mtime(now);
        }
        if let Some(mode) = changes.mode {
            meta.mode = mode & 0o7777;
        }
        if changes.uid.is_some() || changes.gid.is_some() {
            meta.uid = changes.uid.unwrap_or(meta.uid);
            meta.gid = changes.gid.unwrap_or(meta.gid);
            if self.kind != FileType::Directory {
                meta.drop_privileges();
            }
        }
        if changes.mode.is_some() || changes.uid.is_some() || changes.gid.is_some() {
            // Search permission of the walks through this node may have changed.
            self.fs.names.advance();
        }
        if let Some(atime) = changes.atime {
            meta.set_atime(resolve_time(atime, now));
        }
        if let Some(mtime) = changes.mtime {
            meta.set_mtime(resolve_time(mtime, now));
        }
        meta.changed(now);
        Ok(self.attr_of(&state))
    }

    /// Empties this directory, handing over its entries (for freeing a tree without
    /// recursion).
    pub(crate) fn take_children(&mut self) -> Vec<Arc<RamNode>> {
        match &mut self.state.get_mut().body {
            Body::Dir(dir) => dir.take_nodes(),
            _ => Vec::new(),
        }
    }
}

/// Whole seconds of the wall clock, at most a second behind [`Timespec::now`] and
/// ten times cheaper: Linux's `time()` is one load from the vDSO page (the seconds
/// of the last clock tick, what `CLOCK_REALTIME_COARSE` gives behind a sequence
/// lock), where the precise clock reads and scales the TSC.
#[cfg(target_os = "linux")]
#[inline]
fn coarse_seconds() -> i64 {
    // SAFETY: a null pointer asks for the result only.
    match unsafe { libc::time(std::ptr::null_mut()) } {
        -1 => Timespec::now().sec,
        seconds => seconds,
    }
}

/// Whole seconds of the wall clock (no coarse clock to read here).
#[cfg(not(target_os = "linux"))]
fn coarse_seconds() -> i64 {
    Timespec::now().sec
}

/// `EINVAL` for a read of `len` bytes at `offset` that ends past the largest file.
#[cold]
fn past_max_size(offset: u64, len: usize) -> Error {
    Errno::EINVAL.with(format!("{len} bytes at offset {offset}"))
}

impl Drop for RamNode {
    /// The last reference is gone (no name, no open file): return the space.
    fn drop(&mut self) {
        let RamNode { fs, state, .. } = self;
        let body = &mut state.get_mut().body;
        if let Body::File(data) = body {
            // Back to the pool while it surely lives: this may be its last holder.
            data.set_size(0, &fs.space, &fs.pool);
        }
        fs.space.give_back(body.pages());
        fs.inodes.give_back(1);
    }
}
