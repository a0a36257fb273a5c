//! The in-memory model of the scratch tree: inodes with names, contents and open
//! counts, predicting the result or the exact Linux errno of every op.
//!
//! Symlinks are leaves whose targets name nothing in the name pool, so following one
//! always ends in `ENOENT`; that is modelled exactly (as a path component or as the
//! last component of a following call) without resolving anything.

use super::ops::SLOTS;
use std::collections::BTreeMap;
use vfs_core::{Errno, FileType};

/// A model inode number (an index into the model's table, reused after free).
pub type Ino = usize;

/// The scratch directory itself.
pub const ROOT: Ino = 0;

/// What an inode is.
#[derive(Clone, Debug)]
pub enum Node {
    /// A regular file and its bytes.
    File(Vec<u8>),
    /// A directory: its entries and its parent (itself for the root).
    Dir {
        entries: BTreeMap<String, Ino>,
        parent: Ino,
    },
    /// A symlink and its target.
    Symlink(String),
}

/// One inode of the model.
#[derive(Clone, Debug)]
pub struct Inode {
    /// Type and content.
    pub node: Node,
    /// Names linking to it.
    pub links: u32,
    /// Open slots referring to it.
    pub opens: u32,
}

/// An open slot: which inode, and whether it was opened with `O_APPEND`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The open inode.
    pub ino: Ino,
    /// Opened with `O_APPEND`.
    pub append: bool,
}

/// The attributes the model predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelAttr {
    /// The node type.
    pub file_type: FileType,
    /// Size (files: bytes, symlinks: target length; unused for directories).
    pub size: u64,
    /// Link count (directories: 2 plus subdirectories).
    pub nlink: u64,
}

/// What a `rename` that succeeds does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenamePlan {
    /// Both names are links to the same inode: nothing happens.
    Same,
    /// The entry moves, replacing `replaced` if the new name existed.
    Move {
        old_dir: Ino,
        old_name: String,
        new_dir: Ino,
        new_name: String,
        ino: Ino,
        replaced: Option<Ino>,
    },
}

/// What an `unlink` that succeeds removes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnlinkPlan {
    dir: Ino,
    name: String,
    /// The inode losing a name.
    pub ino: Ino,
}

/// The model of the tree below the scratch directory and of the open slots.
#[derive(Clone, Debug)]
pub struct Model {
    inodes: Vec<Option<Inode>>,
    free: Vec<Ino>,
    slots: [Option<Slot>; SLOTS],
    version: u64,
}

impl Default for Model {
    fn default() -> Model {
        Model::new()
    }
}

/// Splits `path` into its directory part and last component.
fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(at) => (&path[..at], &path[at + 1..]),
        None => ("", path),
    }
}

impl Model {
    /// An empty scratch directory with no open files.
    pub fn new() -> Model {
        let root = Inode {
            node: Node::Dir {
                entries: BTreeMap::new(),
                parent: ROOT,
            },
            links: 1,
            opens: 0,
        };
        Model {
            inodes: vec![Some(root)],
            free: Vec::new(),
            slots: [None; SLOTS],
            version: 0,
        }
    }

    /// Changes whenever the tree's shape changes (names, types), for caches.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The live inode `ino`.
    pub fn inode(&self, ino: Ino) -> &Inode {
        self.inodes[ino].as_ref().expect("model inode in use")
    }

    fn inode_mut(&mut self, ino: Ino) -> &mut Inode {
        self.inodes[ino].as_mut().expect("model inode in use")
    }

    /// The type of `ino`.
    pub fn file_type(&self, ino: Ino) -> FileType {
        match self.inode(ino).node {
            Node::File(_) => FileType::Regular,
            Node::Dir { .. } => FileType::Directory,
            Node::Symlink(_) => FileType::Symlink,
        }
    }

    /// The entries of directory `dir` (empty for anything else).
    pub fn entries(&self, dir: Ino) -> impl Iterator<Item = (&str, Ino)> {
        let entries = match &self.inode(dir).node {
            Node::Dir { entries, .. } => Some(entries),
            _ => None,
        };
        entries
            .into_iter()
            .flatten()
            .map(|(name, &ino)| (name.as_str(), ino))
    }

    fn entries_mut(&mut self, dir: Ino) -> &mut BTreeMap<String, Ino> {
        match &mut self.inode_mut(dir).node {
            Node::Dir { entries, .. } => entries,
            _ => unreachable!("model: entries of a non-directory"),
        }
    }

    fn parent_dir(&self, dir: Ino) -> Ino {
        match &self.inode(dir).node {
            Node::Dir { parent, .. } => *parent,
            _ => unreachable!("model: parent of a non-directory"),
        }
    }

    fn is_dir(&self, ino: Ino) -> bool {
        matches!(self.inode(ino).node, Node::Dir { .. })
    }

    fn is_empty_dir(&self, ino: Ino) -> bool {
        matches!(&self.inode(ino).node, Node::Dir { entries, .. } if entries.is_empty())
    }

    fn alloc(&mut self, node: Node) -> Ino {
        let inode = Some(Inode {
            node,
            links: 1,
            opens: 0,
        });
        match self.free.pop() {
            Some(ino) => {
                self.inodes[ino] = inode;
                ino
            }
            None => {
                self.inodes.push(inode);
                self.inodes.len() - 1
            }
        }
    }

    /// Frees `ino` once it has neither names nor open slots.
    fn release(&mut self, ino: Ino) {
        let inode = self.inode(ino);
        if inode.links == 0 && inode.opens == 0 {
            self.inodes[ino] = None;
            self.free.push(ino);
        }
    }

    /// The entry `name` of directory `dir`.
    pub fn child(&self, dir: Ino, name: &str) -> Option<Ino> {
        match &self.inode(dir).node {
            Node::Dir { entries, .. } => entries.get(name).copied(),
            _ => None,
        }
    }

    /// Walks the directory components of `path` (all of them), as path lookup does.
    fn walk(&self, path: &str) -> Result<Ino, Errno> {
        let mut dir = ROOT;
        if path.is_empty() {
            return Ok(dir);
        }
        for name in path.split('/') {
            let ino = self.child(dir, name).ok_or(Errno::ENOENT)?;
            dir = match self.inode(ino).node {
                Node::Dir { .. } => ino,
                Node::File(_) => return Err(Errno::ENOTDIR),
                // The target names nothing that exists.
                Node::Symlink(_) => return Err(Errno::ENOENT),
            };
        }
        Ok(dir)
    }

    /// The parent directory of non-empty `path` and its last component.
    pub fn parent<'p>(&self, path: &'p str) -> Result<(Ino, &'p str), Errno> {
        let (dir, name) = split(path);
        Ok((self.walk(dir)?, name))
    }

    /// What `path` names, not following a final symlink (`""` is the root).
    pub fn lookup(&self, path: &str) -> Result<Ino, Errno> {
        if path.is_empty() {
            return Ok(ROOT);
        }
        let (dir, name) = self.parent(path)?;
        self.child(dir, name).ok_or(Errno::ENOENT)
    }

    /// What `path` names, following a final symlink (which always dangles).
    pub fn lookup_follow(&self, path: &str) -> Result<Ino, Errno> {
        let ino = self.lookup(path)?;
        match self.inode(ino).node {
            Node::Symlink(_) => Err(Errno::ENOENT),
            _ => Ok(ino),
        }
    }

    /// The attributes `stat` should show for `ino`.
    pub fn attr(&self, ino: Ino) -> ModelAttr {
        let inode = self.inode(ino);
        match &inode.node {
            Node::File(data) => ModelAttr {
                file_type: FileType::Regular,
                size: data.len() as u64,
                nlink: u64::from(inode.links),
            },
            Node::Dir { entries, .. } => ModelAttr {
                file_type: FileType::Directory,
                size: 0,
                nlink: 2 + entries
                    .values()
                    .filter(|&&child| self.is_dir(child))
                    .count() as u64,
            },
            Node::Symlink(target) => ModelAttr {
                file_type: FileType::Symlink,
                size: target.len() as u64,
                nlink: u64::from(inode.links),
            },
        }
    }

    /// The target of symlink `ino`.
    pub fn symlink_target(&self, ino: Ino) -> Option<&str> {
        match &self.inode(ino).node {
            Node::Symlink(target) => Some(target),
            _ => None,
        }
    }

    /// `mkdir(path)`.
    pub fn mkdir(&mut self, path: &str) -> Result<(), Errno> {
        let (dir, name) = self.parent(path)?;
        if self.child(dir, name).is_some() {
            return Err(Errno::EEXIST);
        }
        let ino = self.alloc(Node::Dir {
            entries: BTreeMap::new(),
            parent: dir,
        });
        self.entries_mut(dir).insert(name.to_string(), ino);
        self.version += 1;
        Ok(())
    }

    /// `rmdir(path)`.
    pub fn rmdir(&mut self, path: &str) -> Result<(), Errno> {
        let (dir, name) = self.parent(path)?;
        let ino = self.child(dir, name).ok_or(Errno::ENOENT)?;
        match &self.inode(ino).node {
            Node::Dir { entries, .. } if !entries.is_empty() => return Err(Errno::ENOTEMPTY),
            Node::Dir { .. } => {}
            _ => return Err(Errno::ENOTDIR),
        }
        self.entries_mut(dir).remove(name);
        self.inode_mut(ino).links = 0;
        self.release(ino);
        self.version += 1;
        Ok(())
    }

    /// What `unlink(path)` would remove, or its errno.
    pub fn plan_unlink(&self, path: &str) -> Result<UnlinkPlan, Errno> {
        let (dir, name) = self.parent(path)?;
        let ino = self.child(dir, name).ok_or(Errno::ENOENT)?;
        if self.is_dir(ino) {
            return Err(Errno::EISDIR);
        }
        Ok(UnlinkPlan {
            dir,
            name: name.to_string(),
            ino,
        })
    }

    /// Carries out a planned `unlink`.
    pub fn unlink(&mut self, plan: UnlinkPlan) {
        self.entries_mut(plan.dir).remove(&plan.name);
        self.inode_mut(plan.ino).links -= 1;
        self.release(plan.ino);
        self.version += 1;
    }

    /// Linux's "trap" of `lock_rename(new_parent, old_parent)`: when one parent is an
    /// ancestor of the other, the child of the ancestor on the way to the other.
    fn rename_trap(&self, new_parent: Ino, old_parent: Ino) -> Option<Ino> {
        if new_parent == old_parent {
            return None;
        }
        self.child_towards(old_parent, new_parent)
            .or_else(|| self.child_towards(new_parent, old_parent))
    }

    /// The child of `ancestor` that is an ancestor of (or is) directory `dir`.
    fn child_towards(&self, ancestor: Ino, dir: Ino) -> Option<Ino> {
        let mut current = dir;
        while current != ROOT {
            let parent = self.parent_dir(current);
            if parent == ancestor {
                return Some(current);
            }
            current = parent;
        }
        None
    }

    /// What `rename(from, to)` would do, or its errno, in the kernel's order of checks.
    pub fn plan_rename(&self, from: &str, to: &str) -> Result<RenamePlan, Errno> {
        let (old_dir, old_name) = self.parent(from)?;
        let (new_dir, new_name) = self.parent(to)?;
        let ino = self.child(old_dir, old_name).ok_or(Errno::ENOENT)?;
        let target = self.child(new_dir, new_name);
        let trap = self.rename_trap(new_dir, old_dir);
        if trap == Some(ino) {
            // Moving a directory into its own subtree.
            return Err(Errno::EINVAL);
        }
        if trap.is_some() && trap == target {
            // The new name is an ancestor of the source.
            return Err(Errno::ENOTEMPTY);
        }
        if target == Some(ino) {
            return Ok(RenamePlan::Same);
        }
        if let Some(victim) = target {
            match (self.is_dir(ino), self.is_dir(victim)) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !self.is_empty_dir(victim) => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
        }
        Ok(RenamePlan::Move {
            old_dir,
            old_name: old_name.to_string(),
            new_dir,
            new_name: new_name.to_string(),
            ino,
            replaced: target,
        })
    }

    /// Carries out a planned `rename`.
    pub fn rename(&mut self, plan: RenamePlan) {
        let RenamePlan::Move {
            old_dir,
            old_name,
            new_dir,
            new_name,
            ino,
            replaced,
        } = plan
        else {
            return;
        };
        self.entries_mut(old_dir).remove(&old_name);
        self.entries_mut(new_dir).insert(new_name, ino);
        if let Node::Dir { parent, .. } = &mut self.inode_mut(ino).node {
            *parent = new_dir;
        }
        if let Some(victim) = replaced {
            let inode = self.inode_mut(victim);
            inode.links = if matches!(inode.node, Node::Dir { .. }) {
                0
            } else {
                inode.links - 1
            };
            self.release(victim);
        }
        self.version += 1;
    }

    /// `link(from, to)`; a final symlink in `from` is linked, not followed.
    pub fn link(&mut self, from: &str, to: &str) -> Result<(), Errno> {
        let ino = self.lookup(from)?;
        let (dir, name) = self.parent(to)?;
        if self.child(dir, name).is_some() {
            return Err(Errno::EEXIST);
        }
        if self.is_dir(ino) {
            return Err(Errno::EPERM);
        }
        self.entries_mut(dir).insert(name.to_string(), ino);
        self.inode_mut(ino).links += 1;
        self.version += 1;
        Ok(())
    }

    /// `symlink(target, path)`.
    pub fn symlink(&mut self, target: &str, path: &str) -> Result<(), Errno> {
        let (dir, name) = self.parent(path)?;
        if self.child(dir, name).is_some() {
            return Err(Errno::EEXIST);
        }
        let ino = self.alloc(Node::Symlink(target.to_string()));
        self.entries_mut(dir).insert(name.to_string(), ino);
        self.version += 1;
        Ok(())
    }

    /// `open(path, O_CREAT|O_EXCL)`: the new empty file.
    pub fn create(&mut self, path: &str) -> Result<Ino, Errno> {
        let (dir, name) = self.parent(path)?;
        if self.child(dir, name).is_some() {
            return Err(Errno::EEXIST);
        }
        let ino = self.alloc(Node::File(Vec::new()));
        self.entries_mut(dir).insert(name.to_string(), ino);
        self.version += 1;
        Ok(ino)
    }

    /// `open(path, O_RDWR)` or `truncate(path)`: the regular file it reaches.
    pub fn writable_file(&self, path: &str) -> Result<Ino, Errno> {
        let ino = self.lookup_follow(path)?;
        if self.is_dir(ino) {
            return Err(Errno::EISDIR);
        }
        Ok(ino)
    }

    /// The entries `readdir(path)` should list, sorted by name.
    pub fn list(&self, path: &str) -> Result<Vec<(String, FileType)>, Errno> {
        let ino = self.lookup_follow(path)?;
        if !self.is_dir(ino) {
            return Err(Errno::ENOTDIR);
        }
        Ok(self
            .entries(ino)
            .map(|(name, child)| (name.to_string(), self.file_type(child)))
            .collect())
    }

    /// The open slot `slot`.
    pub fn slot(&self, slot: usize) -> Option<Slot> {
        self.slots[slot]
    }

    /// Opens `ino` into the empty `slot`.
    pub fn open_slot(&mut self, slot: usize, ino: Ino, append: bool) {
        debug_assert!(self.slots[slot].is_none());
        self.inode_mut(ino).opens += 1;
        self.slots[slot] = Some(Slot { ino, append });
    }

    /// Closes `slot`, returning what it held.
    pub fn close_slot(&mut self, slot: usize) -> Option<Slot> {
        let held = self.slots[slot].take()?;
        self.inode_mut(held.ino).opens -= 1;
        self.release(held.ino);
        Some(held)
    }

    /// The slots open on `ino`.
    pub fn slots_on(&self, ino: Ino) -> Vec<usize> {
        (0..SLOTS)
            .filter(|&s| self.slots[s].is_some_and(|slot| slot.ino == ino))
            .collect()
    }

    /// The bytes of regular file `ino`.
    pub fn data(&self, ino: Ino) -> &[u8] {
        match &self.inode(ino).node {
            Node::File(data) => data,
            _ => &[],
        }
    }

    fn data_mut(&mut self, ino: Ino) -> &mut Vec<u8> {
        match &mut self.inode_mut(ino).node {
            Node::File(data) => data,
            _ => unreachable!("model: data of a non-file"),
        }
    }

    /// The size of regular file `ino`.
    pub fn size(&self, ino: Ino) -> u64 {
        self.data(ino).len() as u64
    }

    /// Writes `bytes` at `offset` of file `ino`, filling any hole with zeros.
    pub fn write(&mut self, ino: Ino, offset: u64, bytes: &[u8]) {
        let data = self.data_mut(ino);
        let start = offset as usize;
        let end = start + bytes.len();
        if data.len() < end {
            data.resize(end, 0);
        }
        data[start..end].copy_from_slice(bytes);
    }

    /// Truncates or extends (with zeros) file `ino` to `size`.
    pub fn set_size(&mut self, ino: Ino, size: u64) {
        self.data_mut(ino).resize(size as usize, 0);
    }

    /// The first path of `ino` in sorted depth-first order, if it still has a name.
    pub fn first_path(&self, ino: Ino) -> Option<String> {
        if self.inode(ino).links == 0 {
            return None;
        }
        let mut found = None;
        self.visit(ROOT, &mut String::new(), &mut |path, child| {
            if found.is_none() && child == ino {
                found = Some(path.to_string());
            }
        });
        found
    }

    /// Every path below the root with its inode, in sorted depth-first order.
    pub fn paths(&self) -> Vec<(String, Ino)> {
        let mut out = Vec::new();
        self.visit(ROOT, &mut String::new(), &mut |path, ino| {
            out.push((path.to_string(), ino))
        });
        out
    }

    fn visit(&self, dir: Ino, prefix: &mut String, each: &mut dyn FnMut(&str, Ino)) {
        for (name, ino) in self.entries(dir) {
            let len = prefix.len();
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(name);
            each(prefix, ino);
            if self.is_dir(ino) {
                self.visit(ino, prefix, each);
            }
            prefix.truncate(len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_with(dirs: &[&str], files: &[&str]) -> Model {
        let mut model = Model::new();
        for dir in dirs {
            model.mkdir(dir).unwrap();
        }
        for file in files {
            model.create(file).unwrap();
        }
        model
    }

    #[test]
    fn path_errors_follow_linux() {
        let mut model = model_with(&["a", "a/b"], &["f"]);
        model.symlink("zz", "s").unwrap();
        assert_eq!(model.mkdir("a"), Err(Errno::EEXIST));
        assert_eq!(model.mkdir("s"), Err(Errno::EEXIST));
        assert_eq!(model.mkdir("f/x"), Err(Errno::ENOTDIR));
        assert_eq!(model.mkdir("s/x"), Err(Errno::ENOENT));
        assert_eq!(model.mkdir("n/x"), Err(Errno::ENOENT));
        assert_eq!(model.rmdir("a"), Err(Errno::ENOTEMPTY));
        assert_eq!(model.rmdir("f"), Err(Errno::ENOTDIR));
        assert_eq!(model.rmdir("s"), Err(Errno::ENOTDIR));
        assert_eq!(model.plan_unlink("a").unwrap_err(), Errno::EISDIR);
        assert_eq!(model.writable_file("a"), Err(Errno::EISDIR));
        assert_eq!(model.writable_file("s"), Err(Errno::ENOENT));
        assert_eq!(model.link("a", "c"), Err(Errno::EPERM));
        assert_eq!(model.link("a", "f"), Err(Errno::EEXIST));
        assert_eq!(model.create("s"), Err(Errno::EEXIST));
    }

    #[test]
    fn rename_checks_in_kernel_order() {
        let mut model = model_with(&["a", "a/b", "a/b/c", "e"], &["f", "g", "a/b/c/x"]);
        assert_eq!(model.plan_rename("a", "a/b/z"), Err(Errno::EINVAL));
        assert_eq!(model.plan_rename("a", "a/b"), Err(Errno::EINVAL));
        assert_eq!(model.plan_rename("a/b/c", "a"), Err(Errno::ENOTEMPTY));
        assert_eq!(model.plan_rename("a/b/c/x", "a/b"), Err(Errno::ENOTEMPTY));
        assert_eq!(model.plan_rename("f", "e"), Err(Errno::EISDIR));
        assert_eq!(model.plan_rename("e", "f"), Err(Errno::ENOTDIR));
        assert_eq!(model.plan_rename("e", "a"), Err(Errno::ENOTEMPTY));
        assert_eq!(model.plan_rename("a", "a"), Ok(RenamePlan::Same));
        model.link("f", "h").unwrap();
        assert_eq!(model.plan_rename("f", "h"), Ok(RenamePlan::Same));
        let plan = model.plan_rename("g", "f").unwrap();
        model.rename(plan);
        assert_eq!(model.attr(model.lookup("h").unwrap()).nlink, 1);
        let plan = model.plan_rename("a/b/c", "e").unwrap();
        model.rename(plan);
        assert_eq!(model.attr(ROOT).nlink, 4);
        assert_eq!(model.lookup("e/x"), model.lookup("e/x"));
        assert!(model.lookup("e/x").is_ok());
    }

    #[test]
    fn unlinked_open_files_live_until_closed() {
        let mut model = Model::new();
        let ino = model.create("f").unwrap();
        model.open_slot(0, ino, false);
        model.write(ino, 10, b"abc");
        let plan = model.plan_unlink("f").unwrap();
        model.unlink(plan);
        assert_eq!(model.attr(ino).nlink, 0);
        assert_eq!(model.data(ino), b"\0\0\0\0\0\0\0\0\0\0abc");
        assert_eq!(model.first_path(ino), None);
        model.close_slot(0);
        assert!(model.inodes[ino].is_none());
    }
}
