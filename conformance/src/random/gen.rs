//! Generating ops: each op depends only on the seed, its index and the model state
//! (never on what the target answered), so a seed always yields the same sequence.
//!
//! Names come from a tiny pool and paths are shallow, so collisions and errnos are
//! frequent; most paths are picked among existing ones so successes are too.

use super::model::Model;
use super::ops::{Op, SLOTS};
use super::rng::Rng;
use vfs_core::{Capabilities, FileType};

/// A full consistency pass is generated as every `CHECK_EVERY`-th op.
pub const CHECK_EVERY: usize = 500;

/// The name pool.
const NAMES: [&str; 4] = ["a", "b", "c", "d"];

/// Symlink targets: none names anything that can exist, so every symlink dangles.
const SYMLINK_TARGETS: [&str; 3] = ["zz", "zz/y", "nowhere"];

/// Directories deeper than this get no new children from `mkdir`/`create`.
const MAX_PARENT_DEPTH: usize = 2;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Create,
    Open,
    Close,
    Reopen,
    Write,
    Pread,
    Ftruncate,
    Fstat,
    Truncate,
    Mkdir,
    Rmdir,
    Unlink,
    Rename,
    Link,
    Symlink,
    Stat,
    Lstat,
    Readlink,
    ReadDir,
}

/// The op mix with every capability; `Write` is a `pwrite`, or an `append` on a
/// slot opened with `O_APPEND`.
const MIX: [(Kind, u32); 19] = [
    (Kind::Create, 7),
    (Kind::Open, 4),
    (Kind::Close, 2),
    (Kind::Reopen, 3),
    (Kind::Write, 16),
    (Kind::Pread, 10),
    (Kind::Ftruncate, 3),
    (Kind::Fstat, 3),
    (Kind::Truncate, 2),
    (Kind::Mkdir, 7),
    (Kind::Rmdir, 5),
    (Kind::Unlink, 6),
    (Kind::Rename, 11),
    (Kind::Link, 4),
    (Kind::Symlink, 3),
    (Kind::Stat, 5),
    (Kind::Lstat, 3),
    (Kind::Readlink, 1),
    (Kind::ReadDir, 2),
];

/// One existing path, as the generator picks them.
#[derive(Clone, Debug)]
struct Known {
    path: String,
    file_type: FileType,
    depth: usize,
}

/// Makes the op sequence of one seed.
pub(crate) struct Generator {
    rng: Rng,
    caps: Capabilities,
    kinds: Vec<Kind>,
    weights: Vec<u32>,
    /// The model version `known` was built for.
    seen_version: Option<u64>,
    known: Vec<Known>,
}

impl Generator {
    /// The generator for `seed` on a target with `caps`.
    pub fn new(seed: u64, caps: Capabilities) -> Generator {
        let allowed = |kind: Kind| match kind {
            Kind::Stat | Kind::Lstat | Kind::ReadDir => true,
            Kind::Readlink => caps.symlinks,
            Kind::Link => caps.write && caps.hard_links,
            Kind::Symlink => caps.write && caps.symlinks,
            _ => caps.write,
        };
        let (kinds, weights) = MIX
            .iter()
            .filter(|(kind, _)| allowed(*kind))
            .copied()
            .unzip();
        Generator {
            rng: Rng::new(seed),
            caps,
            kinds,
            weights,
            seen_version: None,
            known: Vec::new(),
        }
    }

    /// The op at `index`, given the model after every earlier op.
    pub fn next(&mut self, model: &Model, index: usize) -> Op {
        if (index + 1) % CHECK_EVERY == 0 {
            return Op::Check;
        }
        if self.seen_version != Some(model.version()) {
            self.known = model
                .paths()
                .into_iter()
                .map(|(path, ino)| Known {
                    depth: path.split('/').count(),
                    file_type: model.file_type(ino),
                    path,
                })
                .collect();
            self.seen_version = Some(model.version());
        }
        let kind = self.kinds[self.rng.weighted(&self.weights)];
        self.make(kind, model)
    }

    fn make(&mut self, kind: Kind, model: &Model) -> Op {
        match kind {
            Kind::Create => Op::Create {
                slot: self.slot_to_fill(model),
                path: if self.rng.chance(85) {
                    self.new_path()
                } else {
                    self.some_path()
                },
            },
            Kind::Open => self.open(model),
            Kind::Close
            | Kind::Reopen
            | Kind::Write
            | Kind::Pread
            | Kind::Ftruncate
            | Kind::Fstat => match self.open_slot(model) {
                Some(slot) => self.slot_op(kind, slot, model),
                None => self.open(model),
            },
            Kind::Truncate => {
                let path = self.existing_or(FileType::Regular, 70);
                let size = match model.writable_file(&path) {
                    Ok(ino) => self.new_size(model.size(ino)),
                    Err(_) => self.new_size(0),
                };
                Op::Truncate { path, size }
            }
            Kind::Mkdir => Op::Mkdir {
                path: if self.rng.chance(80) {
                    self.new_path()
                } else {
                    self.some_path()
                },
            },
            Kind::Rmdir => Op::Rmdir {
                path: self.existing_or(FileType::Directory, 60),
            },
            Kind::Unlink => Op::Unlink {
                path: if self.rng.chance(60) {
                    self.pick_path(|k| k.file_type != FileType::Directory)
                        .unwrap_or_else(|| self.some_path())
                } else {
                    self.some_path()
                },
            },
            Kind::Rename => self.rename(),
            Kind::Link => {
                let from = self.existing_or(FileType::Regular, 70);
                let to = if self.rng.chance(70) {
                    self.new_path()
                } else {
                    self.some_path()
                };
                Op::Link { from, to }
            }
            Kind::Symlink => Op::Symlink {
                target: self.rng.pick(&SYMLINK_TARGETS).to_string(),
                path: if self.rng.chance(80) {
                    self.new_path()
                } else {
                    self.some_path()
                },
            },
            Kind::Stat => Op::Stat {
                path: self.some_path(),
            },
            Kind::Lstat => Op::Lstat {
                path: self.some_path(),
            },
            Kind::Readlink => Op::Readlink {
                path: self.existing_or(FileType::Symlink, 50),
            },
            Kind::ReadDir => Op::ReadDir {
                path: if self.rng.chance(30) {
                    String::new()
                } else {
                    self.existing_or(FileType::Directory, 70)
                },
            },
        }
    }

    fn open(&mut self, model: &Model) -> Op {
        let slot = self.slot_to_fill(model);
        let path = self.existing_or(FileType::Regular, 80);
        let append = self.caps.atomic_append && self.rng.chance(25);
        Op::Open { slot, path, append }
    }

    fn slot_op(&mut self, kind: Kind, slot: u8, model: &Model) -> Op {
        let open = model
            .slot(usize::from(slot))
            .expect("slot chosen among open ones");
        let size = model.size(open.ino);
        match kind {
            Kind::Close => Op::Close { slot },
            Kind::Reopen => Op::Reopen { slot },
            Kind::Fstat => Op::Fstat { slot },
            Kind::Ftruncate => Op::Ftruncate {
                slot,
                size: self.new_size(size),
            },
            Kind::Pread => Op::Pread {
                slot,
                offset: self.offset(size, true),
                len: self.read_len(),
            },
            _ if open.append => Op::Append {
                slot,
                len: self.write_len(),
                seed: self.rng.next_u64() as u32,
            },
            _ => Op::Pwrite {
                slot,
                offset: self.offset(size, self.caps.sparse_files),
                len: self.write_len(),
                seed: self.rng.next_u64() as u32,
            },
        }
    }

    fn rename(&mut self) -> Op {
        let from = match self.rng.below(100) {
            0..60 => self.pick_path(|_| true),
            60..80 => self.pick_path(|k| k.file_type == FileType::Directory),
            _ => None,
        }
        .unwrap_or_else(|| self.random_path());
        let to = match self.rng.below(100) {
            0..45 => self.new_path(),
            45..70 => self
                .pick_path(|_| true)
                .unwrap_or_else(|| self.random_path()),
            // Into its own subtree (EINVAL when a directory).
            70..77 => format!("{from}/{}", self.name()),
            // Onto an ancestor (ENOTEMPTY).
            77..82 => from.split('/').next().unwrap_or_default().to_string(),
            82..85 => from.clone(),
            _ => self.random_path(),
        };
        Op::Rename { from, to }
    }

    /// A slot currently open in the model, if any.
    fn open_slot(&mut self, model: &Model) -> Option<u8> {
        let open: Vec<u8> = (0..SLOTS as u8)
            .filter(|&s| model.slot(usize::from(s)).is_some())
            .collect();
        (!open.is_empty()).then(|| *self.rng.pick(&open))
    }

    /// A slot to open a file into: mostly a free one.
    fn slot_to_fill(&mut self, model: &Model) -> u8 {
        let free: Vec<u8> = (0..SLOTS as u8)
            .filter(|&s| model.slot(usize::from(s)).is_none())
            .collect();
        if !free.is_empty() && self.rng.chance(70) {
            *self.rng.pick(&free)
        } else {
            self.rng.below(SLOTS as u64) as u8
        }
    }

    fn name(&mut self) -> &'static str {
        NAMES[self.rng.below(NAMES.len() as u64) as usize]
    }

    /// A path of one to three names from the pool.
    fn random_path(&mut self) -> String {
        let depth = match self.rng.below(100) {
            0..40 => 1,
            40..75 => 2,
            _ => 3,
        };
        let mut path = self.name().to_string();
        for _ in 1..depth {
            path.push('/');
            path.push_str(self.name());
        }
        path
    }

    /// A uniformly chosen existing path matching `filter`.
    fn pick_path(&mut self, filter: impl Fn(&Known) -> bool) -> Option<String> {
        let matching: Vec<usize> = (0..self.known.len())
            .filter(|&i| filter(&self.known[i]))
            .collect();
        if matching.is_empty() {
            return None;
        }
        let at = *self.rng.pick(&matching);
        Some(self.known[at].path.clone())
    }

    /// With `percent` chance an existing path of `file_type`, otherwise (or when there
    /// is none) any path.
    fn existing_or(&mut self, file_type: FileType, percent: u64) -> String {
        let wanted = if self.rng.chance(percent) {
            self.pick_path(|k| k.file_type == file_type)
        } else {
            None
        };
        wanted.unwrap_or_else(|| self.some_path())
    }

    /// Mostly an existing path of any type, sometimes a random one.
    fn some_path(&mut self) -> String {
        let existing = if self.rng.chance(75) {
            self.pick_path(|_| true)
        } else {
            None
        };
        existing.unwrap_or_else(|| self.random_path())
    }

    /// A pool name in the root or in an existing shallow directory.
    fn new_path(&mut self) -> String {
        let dirs: Vec<usize> = (0..self.known.len())
            .filter(|&i| {
                self.known[i].file_type == FileType::Directory
                    && self.known[i].depth <= MAX_PARENT_DEPTH
            })
            .collect();
        // The root counts as one more directory.
        let at = self.rng.below(dirs.len() as u64 + 1) as usize;
        let name = self.name();
        match dirs.get(at) {
            Some(&i) => format!("{}/{name}", self.known[i].path),
            _ => name.to_string(),
        }
    }

    /// An offset for a file of `size`: mostly inside or near its end, sometimes far
    /// out (only when `beyond` allows holes).
    fn offset(&mut self, size: u64, beyond: bool) -> u64 {
        let offset = match self.rng.below(100) {
            0..45 => self.rng.range(0, size),
            45..75 => size.saturating_sub(self.rng.below(4 * KIB)) + self.rng.below(4 * KIB),
            75..92 => self.rng.below(64 * KIB),
            _ => self.rng.below(MIB),
        };
        if beyond {
            offset
        } else {
            offset.min(size)
        }
    }

    fn write_len(&mut self) -> u32 {
        let max = match self.rng.below(100) {
            0..60 => 512,
            60..86 => 8 * KIB,
            86..97 => 64 * KIB,
            _ => 256 * KIB,
        };
        self.rng.range(1, max) as u32
    }

    fn read_len(&mut self) -> u32 {
        let max = match self.rng.below(100) {
            0..50 => 512,
            50..80 => 8 * KIB,
            _ => 128 * KIB,
        };
        self.rng.range(1, max) as u32
    }

    /// A new size for a file of `size` (never larger without sparse files).
    fn new_size(&mut self, size: u64) -> u64 {
        let new = match self.rng.below(100) {
            0..15 => 0,
            15..45 => self.rng.range(0, size),
            45..70 => size.saturating_sub(512) + self.rng.below(1024),
            70..90 => self.rng.below(64 * KIB),
            _ => self.rng.below(MIB),
        };
        if self.caps.sparse_files {
            new
        } else {
            new.min(size)
        }
    }
}
