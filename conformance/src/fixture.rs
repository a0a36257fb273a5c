//! The fixture: a small, fixed tree the read-only cases (areas `fixture` and
//! `readonly`) look at instead of building their own files, so that a backend
//! without `write` is checked too.
//!
//! A writable target never needs to know about it: the runner builds the tree
//! itself, in a fresh scratch directory, through the target's own calls. A
//! read-only backend ships it instead: build your image from [`FIXTURE`] (every
//! entry your capabilities can hold, see [`entries_for`]), and hand the suite
//! instances holding it at their root with
//! [`BackendHarness::read_only_with_fixture`](crate::BackendHarness::read_only_with_fixture):
//!
//! ```
//! use conformance::fixture::{FixtureKind, FIXTURE};
//!
//! for entry in FIXTURE {
//!     match &entry.kind {
//!         FixtureKind::Dir { mode } => { /* directory `entry.path`, permission bits `mode` */ }
//!         FixtureKind::File { contents, mode } => {
//!             let _bytes = contents.bytes(); // regular file with these bytes
//!         }
//!         FixtureKind::Symlink { target } => { /* symlink to `target`, stored as given */ }
//!         FixtureKind::HardLink { target } => { /* another name for the file `target` */ }
//!     }
//! }
//! ```
//!
//! The tree (paths relative to the fixture directory; parents always come before
//! their children, a hard link's target before the link):
//!
//! ```text
//! big.bin                  307207 bytes of pattern_byte(offset)
//! dir/                     0755
//! dir/a.txt                "alpha\n"
//! dir/b.txt                "bravo bravo\n"
//! dir/sub/                 0750
//! dir/sub/deep.txt         "deep down\n"
//! dir/sub/deeper/          0755, empty
//! empty                    0 bytes
//! empty-dir/               0755, empty
//! hard/                    0755
//! hard/one                 "linked\n"
//! hard/two                 hard link to hard/one
//! hello.txt                "hello, world\n"
//! links/                   0755
//! links/chain              -> to-hello             (a chain of two)
//! links/dangling           -> ../no-such-file
//! links/deep               -> ../dir/sub/deep.txt
//! links/loop               -> loop                 (ELOOP)
//! links/through-dir        -> to-dir/sub           (a chain through a directory link)
//! links/to-dir             -> ../dir
//! links/to-hello           -> ../hello.txt
//! name with spaces.txt     "spaces in the name\n"
//! run.sh                   "#!/bin/sh\necho hi\n", 0755
//! ünïcødé 名前.txt          "unicode name\n"
//! ```
//!
//! Files are mode 0644 unless shown. Symlinks are relative, so the tree means the
//! same wherever it is mounted. Modes are checked only on targets declaring
//! `permissions`.

use crate::target::Target;
use std::borrow::Cow;
use vfs_core::{Capabilities, Errno, FileType, OpenFlags, Result};

/// What a fixture file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contents {
    /// Exactly these bytes.
    Bytes(&'static [u8]),
    /// This many bytes of [`pattern_byte`]: byte `i` is `pattern_byte(i)`.
    Pattern(usize),
}

impl Contents {
    /// The length in bytes.
    pub const fn len(&self) -> usize {
        match self {
            Contents::Bytes(bytes) => bytes.len(),
            Contents::Pattern(len) => *len,
        }
    }

    /// True for an empty file.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes.
    pub fn bytes(&self) -> Cow<'static, [u8]> {
        match self {
            Contents::Bytes(bytes) => Cow::Borrowed(bytes),
            Contents::Pattern(len) => Cow::Owned((0..*len as u64).map(pattern_byte).collect()),
        }
    }
}

/// The byte at `offset` of a pattern file: it repeats at no power-of-two period and
/// changes with every 4 KiB page, so a misplaced block or page reads differently.
pub const fn pattern_byte(offset: u64) -> u8 {
    (offset % 251) as u8 ^ (offset >> 12) as u8
}

/// What one fixture entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixtureKind {
    /// A directory with these permission bits.
    Dir {
        /// Permission bits.
        mode: u32,
    },
    /// A regular file.
    File {
        /// Its data.
        contents: Contents,
        /// Permission bits.
        mode: u32,
    },
    /// A symbolic link; the target is stored as given (always relative).
    Symlink {
        /// The link's target.
        target: &'static str,
    },
    /// Another name for the regular file at `target` (a fixture path listed
    /// earlier): the two share an inode and have `nlink` 2.
    HardLink {
        /// The fixture path of the file.
        target: &'static str,
    },
}

/// One entry of the fixture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixtureEntry {
    /// Relative to the fixture directory, `/`-separated, UTF-8.
    pub path: &'static str,
    /// What is there.
    pub kind: FixtureKind,
}

const fn dir(path: &'static str, mode: u32) -> FixtureEntry {
    FixtureEntry {
        path,
        kind: FixtureKind::Dir { mode },
    }
}

const fn file(path: &'static str, contents: &'static [u8], mode: u32) -> FixtureEntry {
    FixtureEntry {
        path,
        kind: FixtureKind::File {
            contents: Contents::Bytes(contents),
            mode,
        },
    }
}

const fn symlink(path: &'static str, target: &'static str) -> FixtureEntry {
    FixtureEntry {
        path,
        kind: FixtureKind::Symlink { target },
    }
}

/// The length of `big.bin`: a few hundred KiB, not a multiple of any block size.
pub const BIG_LEN: usize = 300 * 1024 + 7;

/// The fixture tree, parents first (see the [module documentation](self)).
pub const FIXTURE: &[FixtureEntry] = &[
    FixtureEntry {
        path: "big.bin",
        kind: FixtureKind::File {
            contents: Contents::Pattern(BIG_LEN),
            mode: 0o644,
        },
    },
    dir("dir", 0o755),
    file("dir/a.txt", b"alpha\n", 0o644),
    file("dir/b.txt", b"bravo bravo\n", 0o644),
    dir("dir/sub", 0o750),
    file("dir/sub/deep.txt", b"deep down\n", 0o644),
    dir("dir/sub/deeper", 0o755),
    file("empty", b"", 0o644),
    dir("empty-dir", 0o755),
    dir("hard", 0o755),
    file("hard/one", b"linked\n", 0o644),
    FixtureEntry {
        path: "hard/two",
        kind: FixtureKind::HardLink { target: "hard/one" },
    },
    file("hello.txt", b"hello, world\n", 0o644),
    dir("links", 0o755),
    symlink("links/chain", "to-hello"),
    symlink("links/dangling", "../no-such-file"),
    symlink("links/deep", "../dir/sub/deep.txt"),
    symlink("links/loop", "loop"),
    symlink("links/through-dir", "to-dir/sub"),
    symlink("links/to-dir", "../dir"),
    symlink("links/to-hello", "../hello.txt"),
    file("name with spaces.txt", b"spaces in the name\n", 0o644),
    file("run.sh", b"#!/bin/sh\necho hi\n", 0o755),
    file("ünïcødé 名前.txt", b"unicode name\n", 0o644),
];

impl FixtureEntry {
    /// The type `lstat` reports for it (a hard link is a regular file).
    pub const fn file_type(&self) -> FileType {
        match self.kind {
            FixtureKind::Dir { .. } => FileType::Directory,
            FixtureKind::File { .. } | FixtureKind::HardLink { .. } => FileType::Regular,
            FixtureKind::Symlink { .. } => FileType::Symlink,
        }
    }

    /// True when a target with `caps` holds this entry: symlinks need `symlinks`,
    /// the second name of a hard link needs `hard_links`.
    pub const fn held_with(&self, caps: &Capabilities) -> bool {
        match self.kind {
            FixtureKind::Symlink { .. } => caps.symlinks,
            FixtureKind::HardLink { .. } => caps.hard_links,
            FixtureKind::Dir { .. } | FixtureKind::File { .. } => true,
        }
    }

    /// The file's contents, following a hard link to its file; `None` for a
    /// directory or symlink.
    pub fn contents(&self) -> Option<Contents> {
        match self.kind {
            FixtureKind::File { contents, .. } => Some(contents),
            FixtureKind::HardLink { target } => entry(target).and_then(|e| e.contents()),
            _ => None,
        }
    }

    /// The permission bits (a hard link has its file's); `None` for a symlink.
    pub fn mode(&self) -> Option<u32> {
        match self.kind {
            FixtureKind::Dir { mode } | FixtureKind::File { mode, .. } => Some(mode),
            FixtureKind::HardLink { target } => entry(target).and_then(|e| e.mode()),
            FixtureKind::Symlink { .. } => None,
        }
    }

    /// The last component of the path.
    pub fn name(&self) -> &'static str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }

    /// The directory holding it, `""` for the fixture directory itself.
    pub fn parent(&self) -> &'static str {
        self.path.rsplit_once('/').map_or("", |(parent, _)| parent)
    }
}

/// The entries a target with `caps` holds, in [`FIXTURE`] order: what a backend
/// builds its image from.
pub fn entries_for(caps: &Capabilities) -> impl Iterator<Item = &'static FixtureEntry> + '_ {
    FIXTURE.iter().filter(move |entry| entry.held_with(caps))
}

/// The entry at `path`.
pub fn entry(path: &str) -> Option<&'static FixtureEntry> {
    FIXTURE.iter().find(|entry| entry.path == path)
}

/// The entries directly in directory `dir` (`""` for the fixture directory) that a
/// target with `caps` holds, as `(name, type)` sorted by name.
pub fn children(dir: &str, caps: &Capabilities) -> Vec<(&'static str, FileType)> {
    let mut out: Vec<_> = entries_for(caps)
        .filter(|entry| entry.parent() == dir)
        .map(|entry| (entry.name(), entry.file_type()))
        .collect();
    out.sort();
    out
}

/// The `nlink` a target with `caps` reports for `entry`: 2 for both names of a hard
/// link pair (with `hard_links`), 2 plus its subdirectories for a directory (only
/// meaningful with `dir_link_counts`), 1 otherwise.
pub fn nlink(entry: &FixtureEntry, caps: &Capabilities) -> u64 {
    match entry.kind {
        FixtureKind::Dir { .. } => 2 + subdirectories(entry.path),
        FixtureKind::HardLink { .. } => 2,
        FixtureKind::File { .. } => {
            let linked = entries_for(caps).any(|other| {
                matches!(other.kind, FixtureKind::HardLink { target } if target == entry.path)
            });
            1 + u64::from(linked)
        }
        FixtureKind::Symlink { .. } => 1,
    }
}

/// The number of directories directly in `dir` (`""` for the fixture directory).
pub fn subdirectories(dir: &str) -> u64 {
    FIXTURE
        .iter()
        .filter(|entry| entry.parent() == dir && entry.file_type() == FileType::Directory)
        .count() as u64
}

/// Builds the fixture in the existing, empty directory `dir` (absolute) of `target`,
/// through the target's own calls: every entry the target's capabilities can hold.
///
/// Errors: the first call that fails.
pub fn build(target: &dyn Target, dir: &str) -> Result<()> {
    let caps = target.capabilities();
    let at = |path: &str| format!("{}/{path}", dir.trim_end_matches('/')).into_bytes();
    for entry in entries_for(&caps) {
        let path = at(entry.path);
        match entry.kind {
            FixtureKind::Dir { mode } => target.mkdir(&path, mode)?,
            FixtureKind::File { contents, mode } => {
                let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
                let mut file = target.open(&path, flags, mode)?;
                let data = contents.bytes();
                let mut done = 0;
                while done < data.len() {
                    let end = (done + 64 * 1024).min(data.len());
                    let n = file.pwrite(&data[done..end], done as u64)?;
                    if n == 0 {
                        return Err(Errno::EIO.with("pwrite wrote nothing"));
                    }
                    done += n;
                }
                file.close()?;
            }
            FixtureKind::Symlink { target: to } => target.symlink(to.as_bytes(), &path)?,
            FixtureKind::HardLink { target: to } => target.link(&at(to), &path)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_and_link_targets_come_first() {
        for (index, entry) in FIXTURE.iter().enumerate() {
            let earlier = &FIXTURE[..index];
            if !entry.parent().is_empty() {
                assert!(
                    earlier
                        .iter()
                        .any(|e| e.path == entry.parent() && e.file_type() == FileType::Directory),
                    "{}: parent not listed before",
                    entry.path
                );
            }
            if let FixtureKind::HardLink { target } = entry.kind {
                assert!(
                    earlier
                        .iter()
                        .any(|e| e.path == target && matches!(e.kind, FixtureKind::File { .. })),
                    "{}: hard link target not a file listed before",
                    entry.path
                );
            }
            assert!(
                !FIXTURE[index + 1..].iter().any(|e| e.path == entry.path),
                "{}: listed twice",
                entry.path
            );
        }
    }

    #[test]
    fn the_pattern_file_is_big_and_uneven() {
        let entry = entry("big.bin").unwrap();
        let data = entry.contents().unwrap().bytes();
        assert_eq!(data.len(), BIG_LEN);
        assert_ne!(data[..4096], data[4096..8192]);
        assert_eq!(data[5000], pattern_byte(5000));
    }
}
