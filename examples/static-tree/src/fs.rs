//! The three vfs-core traits: [`StaticTree`] is the [`Filesystem`], a node handle
//! is the [`Vnode`], an open file is the [`OpenFile`].

use crate::tar;
use crate::tree::{Body, Tree, ROOT};
use async_trait::async_trait;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use vfs_core::{
    errno_of_io, Attr, Capabilities, DirEntry, DirPage, Errno, FileType, Filesystem, FsStat, Name,
    OpenFile, OpenFlags, Result, Timespec, Vnode, NAME_MAX,
};

/// What the tree does. No `write`: the namespace answers every change with `EROFS`
/// before it reaches us. Hard links are shared nodes with true link counts, symlinks
/// are read with `readlink`, and a directory's `nlink` is 2 plus its subdirectories.
/// Mode, owner and times are the archive's, but `permissions`, `ownership` and
/// `timestamps` promise that values *set* are kept, which a read-only tree cannot do.
const CAPABILITIES: Capabilities = Capabilities {
    hard_links: true,
    symlinks: true,
    dir_link_counts: true,
    ..Capabilities::NONE
};

/// A read-only file system serving the tree of a tar archive from memory.
///
/// ```
/// # fn main() -> vfs_core::Result<()> {
/// let empty_archive = vec![0u8; 1024]; // two zero blocks: the end marker
/// let fs = vfs_example_static_tree::StaticTree::from_tar(empty_archive, "empty")?;
/// # let _ = fs; Ok(()) }
/// ```
pub struct StaticTree {
    tree: Arc<Tree>,
    description: String,
}

impl StaticTree {
    /// Serves the tree of `archive` (ustar, GNU or pax tar), described as
    /// `description` in messages.
    ///
    /// Errors: `EINVAL` naming the problem: not a tar archive, a corrupt header
    /// (checksum, numbers), a truncated member, an unsupported member type, a
    /// member path with `..` or through a non-directory, a dangling hard link.
    pub fn from_tar(archive: Vec<u8>, description: impl Into<String>) -> Result<StaticTree> {
        let members = tar::members(&archive)?;
        Ok(StaticTree {
            tree: Arc::new(Tree::build(archive, members)?),
            description: description.into(),
        })
    }

    /// Reads the tar archive at `path` and serves its tree.
    ///
    /// Errors: what reading the file fails with (`ENOENT`, `EACCES`, `EISDIR`, ...),
    /// then as [`StaticTree::from_tar`]; the context starts with the path.
    pub fn open_tar(path: &Path) -> Result<StaticTree> {
        Self::load(path).map_err(|e| e.context_prefix(path.display()))
    }

    /// [`StaticTree::open_tar`] without the path in errors, for the factory: the
    /// registry puts the URL in front already.
    pub(crate) fn load(path: &Path) -> Result<StaticTree> {
        let archive = std::fs::read(path)
            .map_err(|e| errno_of_io(&e).with(format!("cannot read the archive: {e}")))?;
        Self::from_tar(archive, format!("tar://{}", path.display()))
    }
}

#[async_trait]
impl Filesystem for StaticTree {
    fn root(&self) -> Arc<dyn Vnode> {
        node(&self.tree, ROOT)
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    /// The archive's size as the blocks used, nothing free, as a full read-only
    /// image (squashfs, ISO 9660) reports itself.
    async fn statfs(&self) -> Result<FsStat> {
        let in_use = self.tree.nodes.iter().filter(|n| n.nlink > 0).count();
        Ok(FsStat {
            block_size: 512,
            blocks: self.tree.archive.len().div_ceil(512) as u64,
            files: in_use as u64,
            name_max: NAME_MAX as u32,
            ..FsStat::default()
        })
    }
}

/// A handle on one node: the shared tree and an inode number. Cheap to make, so
/// `lookup` makes a fresh one each time instead of keeping `Arc`s in the tree (which
/// would need cycles for `parent`).
struct TreeNode {
    tree: Arc<Tree>,
    ino: u64,
}

fn node(tree: &Arc<Tree>, ino: u64) -> Arc<dyn Vnode> {
    Arc::new(TreeNode {
        tree: tree.clone(),
        ino,
    })
}

impl TreeNode {
    fn body(&self) -> &Body {
        &self.tree.node(self.ino).body
    }

    /// The attributes of any node of the tree; the archive keeps only mtime, so it
    /// stands for atime and ctime too.
    fn attr_of(tree: &Tree, ino: u64) -> Attr {
        let node = tree.node(ino);
        let size = match &node.body {
            Body::File(data) => data.len() as u64,
            Body::Symlink(target) => target.len() as u64,
            Body::Dir { .. } => 0,
        };
        let time = Timespec::new(node.meta.mtime, 0);
        Attr {
            file_type: node.file_type(),
            mode: node.meta.mode,
            nlink: node.nlink,
            uid: node.meta.uid,
            gid: node.meta.gid,
            size,
            blocks: size.div_ceil(512),
            blksize: 4096,
            ino,
            rdev: 0,
            atime: time,
            mtime: time,
            ctime: time,
        }
    }
}

#[async_trait]
impl Vnode for TreeNode {
    fn ino(&self) -> u64 {
        self.ino
    }

    fn file_type(&self) -> FileType {
        self.tree.node(self.ino).file_type()
    }

    async fn getattr(&self) -> Result<Attr> {
        Ok(Self::attr_of(&self.tree, self.ino))
    }

    async fn lookup(&self, name: &Name) -> Result<Arc<dyn Vnode>> {
        let entries = self.tree.dir(self.ino).ok_or(Errno::ENOTDIR)?;
        let ino = entries.get(name).ok_or(Errno::ENOENT)?;
        Ok(node(&self.tree, *ino))
    }

    async fn parent(&self) -> Result<Arc<dyn Vnode>> {
        match self.body() {
            // The root's parent is the root itself (`Body::Dir::parent` says so).
            Body::Dir { parent, .. } => Ok(node(&self.tree, *parent)),
            _ => Err(Errno::ENOTDIR.into()),
        }
    }

    async fn readlink(&self) -> Result<Vec<u8>> {
        match self.body() {
            Body::Symlink(target) => Ok(target.clone()),
            _ => Err(Errno::EINVAL.into()),
        }
    }

    /// The tree never changes, so an entry's position in the sorted listing is a
    /// cookie that stays valid forever: cookie `n` resumes after the `n`th entry.
    async fn readdir(&self, cookie: u64, max_entries: usize) -> Result<DirPage> {
        let entries = self.tree.dir(self.ino).ok_or(Errno::ENOTDIR)?;
        let start = usize::try_from(cookie)
            .ok()
            .filter(|&start| start <= entries.len())
            .ok_or_else(|| Errno::EINVAL.with(format!("readdir cookie {cookie} past the end")))?;
        let page: Vec<DirEntry> = entries
            .iter()
            .enumerate()
            .skip(start)
            .take(max_entries)
            .map(|(index, (name, &ino))| {
                // The attributes cost nothing here, so the listing carries them.
                let attr = Self::attr_of(&self.tree, ino);
                DirEntry {
                    name: name.clone(),
                    ino,
                    file_type: attr.file_type,
                    cookie: index as u64 + 1,
                    attr: Some(attr),
                }
            })
            .collect();
        Ok(DirPage {
            eof: start + page.len() == entries.len(),
            entries: page,
        })
    }

    async fn open(&self, _flags: OpenFlags) -> Result<Arc<dyn OpenFile>> {
        match self.body() {
            Body::File(data) => Ok(Arc::new(TreeFile {
                tree: self.tree.clone(),
                data: data.clone(),
            })),
            Body::Dir { .. } => Err(Errno::EISDIR.into()),
            Body::Symlink(_) => Err(Errno::ELOOP.into()),
        }
    }
}

/// One open of a file: reads copy straight out of the archive bytes.
struct TreeFile {
    tree: Arc<Tree>,
    data: Range<usize>,
}

#[async_trait]
impl OpenFile for TreeFile {
    async fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let data = &self.tree.archive[self.data.clone()];
        let start = usize::try_from(offset).map_or(data.len(), |o| o.min(data.len()));
        let count = buf.len().min(data.len() - start);
        buf[..count].copy_from_slice(&data[start..start + count]);
        Ok(count)
    }

    /// Never called: the namespace refuses to open a file of a backend without
    /// `write` for writing. Refused all the same, should another caller try.
    async fn write_at(&self, _offset: u64, _data: &[u8]) -> Result<usize> {
        Err(Errno::EROFS.into())
    }
}
