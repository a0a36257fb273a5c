//! The inode table: every node of the image, built once from the archive's members
//! and never changed afterwards, so serving it needs no locks at all.

use crate::tar::{Kind, Member, Meta};
use std::collections::BTreeMap;
use std::ops::Range;
use vfs_core::{Errno, Error, FileType, Name, Result};

/// The root directory's inode number. Inode `n` is `Tree::nodes[n - 1]`.
pub(crate) const ROOT: u64 = 1;

/// What a node holds.
pub(crate) enum Body {
    /// File data, a range of [`Tree::archive`].
    File(Range<usize>),
    /// The parent directory, and the entries sorted by name (the listing order).
    Dir {
        parent: u64,
        entries: BTreeMap<Name, u64>,
    },
    /// The link target.
    Symlink(Vec<u8>),
}

/// One node: its body and the metadata the archive recorded for it.
pub(crate) struct Node {
    pub body: Body,
    pub meta: Meta,
    /// Names referring to it, plus `.` and the subdirectories' `..` for a directory;
    /// 0 for a node a later member replaced.
    pub nlink: u64,
}

impl Node {
    pub(crate) fn file_type(&self) -> FileType {
        match self.body {
            Body::File(_) => FileType::Regular,
            Body::Dir { .. } => FileType::Directory,
            Body::Symlink(_) => FileType::Symlink,
        }
    }
}

/// The whole image: the archive bytes (file data is served from them in place) and
/// the nodes.
pub(crate) struct Tree {
    pub archive: Vec<u8>,
    pub nodes: Vec<Node>,
}

fn bad(path: &[u8], problem: &str) -> Error {
    let path = String::from_utf8_lossy(path);
    Errno::EINVAL.with(format!("tar member '{path}': {problem}"))
}

impl Tree {
    /// Builds the tree the members describe, in archive order as `tar -x` would:
    /// missing parent directories are implied (mode 0755, owned by root, with the
    /// member's mtime), a later member replaces an earlier one of the same path (a
    /// directory over a directory only updates its metadata), and a hard link names
    /// the node of an earlier member.
    ///
    /// Errors: `EINVAL` naming the member: `..` in a path, a path through a
    /// non-directory, a hard link to a directory or to a path not seen before.
    pub(crate) fn build(archive: Vec<u8>, members: Vec<Member>) -> Result<Tree> {
        let root_meta = Meta {
            mode: 0o755,
            uid: 0,
            gid: 0,
            mtime: 0,
        };
        let mut tree = Tree {
            archive,
            nodes: Vec::new(),
        };
        tree.push(new_dir(ROOT), root_meta);
        for member in members {
            tree.add(member)?;
        }
        tree.count_links();
        Ok(tree)
    }

    /// The node with inode number `ino`.
    pub(crate) fn node(&self, ino: u64) -> &Node {
        &self.nodes[(ino - 1) as usize]
    }

    fn add(&mut self, member: Member) -> Result<()> {
        let names = components(&member.path)?;
        let Some((last, parents)) = names.split_last() else {
            // `./` itself: the archive describes the root directory.
            if !matches!(member.kind, Kind::Dir) {
                return Err(bad(&member.path, "the root must be a directory"));
            }
            self.nodes[0].meta = member.meta;
            return Ok(());
        };
        let mut dir = ROOT;
        for name in parents {
            dir = match self.child(dir, name) {
                Some(ino) if self.dir(ino).is_some() => ino,
                Some(_) => return Err(bad(&member.path, &format!("'{name}' is not a directory"))),
                None => {
                    let implied = Meta {
                        mode: 0o755,
                        uid: 0,
                        gid: 0,
                        ..member.meta
                    };
                    let ino = self.push(new_dir(dir), implied);
                    self.dir_mut(dir).insert(name.clone(), ino);
                    ino
                }
            };
        }
        let existing = self.child(dir, last);
        let ino = match member.kind {
            Kind::Dir => match existing {
                Some(ino) if self.dir(ino).is_some() => {
                    self.nodes[(ino - 1) as usize].meta = member.meta;
                    return Ok(());
                }
                _ => self.push(new_dir(dir), member.meta),
            },
            Kind::File(data) => self.push(Body::File(data), member.meta),
            Kind::Symlink(target) => self.push(Body::Symlink(target), member.meta),
            Kind::HardLink(target) => match self.find(&target) {
                None => return Err(bad(&member.path, "hard link to a path no member had")),
                Some(ino) if self.dir(ino).is_some() => {
                    return Err(bad(&member.path, "hard link to a directory"))
                }
                Some(ino) => ino,
            },
        };
        self.dir_mut(dir).insert(last.clone(), ino);
        Ok(())
    }

    /// Adds a node no name refers to yet; returns its inode number.
    fn push(&mut self, body: Body, meta: Meta) -> u64 {
        self.nodes.push(Node {
            body,
            meta,
            nlink: 0,
        });
        self.nodes.len() as u64
    }

    /// The entries of directory `ino`; `None` for another type.
    pub(crate) fn dir(&self, ino: u64) -> Option<&BTreeMap<Name, u64>> {
        match &self.node(ino).body {
            Body::Dir { entries, .. } => Some(entries),
            _ => None,
        }
    }

    /// What `name` names in directory `dir`.
    fn child(&self, dir: u64, name: &Name) -> Option<u64> {
        self.dir(dir)?.get(name).copied()
    }

    fn dir_mut(&mut self, ino: u64) -> &mut BTreeMap<Name, u64> {
        match &mut self.nodes[(ino - 1) as usize].body {
            Body::Dir { entries, .. } => entries,
            _ => unreachable!("only directories get entries"),
        }
    }

    /// The node at archive path `path`, resolved as tar resolves hard-link targets:
    /// from the root, no symlinks followed.
    fn find(&self, path: &[u8]) -> Option<u64> {
        let names = components(path).ok()?;
        names
            .iter()
            .try_fold(ROOT, |ino, name| self.child(ino, name))
    }

    /// Sets every `nlink` by walking the tree from the root, so that nodes later
    /// members replaced count nothing and keep 0.
    fn count_links(&mut self) {
        let mut counts = vec![0u64; self.nodes.len()];
        counts[0] = 2; // the root's `.` and `..`
        let mut dirs = vec![ROOT];
        while let Some(dir) = dirs.pop() {
            for &child in self
                .dir(dir)
                .into_iter()
                .flat_map(|entries| entries.values())
            {
                let index = (child - 1) as usize;
                if self.dir(child).is_some() {
                    // Its name here and its own `.`; its `..` counts for `dir`.
                    counts[index] += 2;
                    counts[(dir - 1) as usize] += 1;
                    dirs.push(child);
                } else {
                    counts[index] += 1;
                }
            }
        }
        for (node, count) in self.nodes.iter_mut().zip(counts) {
            node.nlink = count;
        }
    }
}

fn new_dir(parent: u64) -> Body {
    Body::Dir {
        parent,
        entries: BTreeMap::new(),
    }
}

/// The names of archive path `path`; leading `/` and `./`, empty components and `.`
/// are dropped. `..` is refused: an image must not reach outside its root.
fn components(path: &[u8]) -> Result<Vec<Name>> {
    path.split(|&b| b == b'/')
        .filter(|part| !part.is_empty() && *part != b".")
        .map(|part| match part {
            b".." => Err(bad(path, "'..' in a member path")),
            _ => Name::new(part).map_err(|e| bad(path, &e.to_string())),
        })
        .collect()
}
