//! Named cases and what they need.

use crate::ctx::{Ctx, Failure};
use std::fmt;
use vfs_core::Capabilities;

/// The result of one case body.
pub type CaseResult = Result<(), Failure>;

/// The area a case belongs to; the first part of its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Area {
    /// `open` and file creation.
    Open,
    /// Reading.
    Read,
    /// Writing.
    Write,
    /// `truncate`/`ftruncate`.
    Truncate,
    /// `stat` and attribute changes.
    Stat,
    /// `mkdir`.
    Mkdir,
    /// `rmdir`.
    Rmdir,
    /// `unlink`.
    Unlink,
    /// `rename`.
    Rename,
    /// Hard links.
    Link,
    /// `symlink` and `readlink`.
    Symlink,
    /// `mknod`: FIFOs, sockets and device nodes.
    Mknod,
    /// Directory listings.
    Readdir,
    /// Mounts and cross-mount behaviour.
    Namespace,
    /// Name and path validation and resolution.
    Names,
    /// Looking at the fixture tree: stat, reads, listings, lookups, symlinks,
    /// hard links, without changing anything.
    Fixture,
    /// Every change refused with `EROFS` on a read-only file system holding the
    /// fixture.
    ReadOnly,
    /// Permission checks, made by an ordinary user on nodes root prepared.
    Permission,
}

impl Area {
    /// The prefix used in case names (`"rename"`).
    pub fn prefix(self) -> &'static str {
        match self {
            Area::Open => "open",
            Area::Read => "read",
            Area::Write => "write",
            Area::Truncate => "truncate",
            Area::Stat => "stat",
            Area::Mkdir => "mkdir",
            Area::Rmdir => "rmdir",
            Area::Unlink => "unlink",
            Area::Rename => "rename",
            Area::Link => "link",
            Area::Symlink => "symlink",
            Area::Mknod => "mknod",
            Area::Readdir => "readdir",
            Area::Namespace => "namespace",
            Area::Names => "names",
            Area::Fixture => "fixture",
            Area::ReadOnly => "readonly",
            Area::Permission => "permission",
        }
    }
}

/// What a case runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Setup {
    /// A fresh empty directory it fills itself (so the case needs `write`).
    Empty,
    /// A directory holding the [fixture](crate::fixture) tree, which the case must
    /// not change. On a target with `write` the runner builds the tree in a fresh
    /// scratch directory; on one without, the case runs in the target's
    /// [`fixture_dir`](crate::Target::fixture_dir) and is skipped when it has none.
    Fixture,
    /// The fixture tree on a **read-only** file system, for the cases checking
    /// `EROFS`. On a target without `write`, its `fixture_dir`; on one with `write`,
    /// the runner mounts a fresh file system, builds the tree in it and makes it
    /// read-only ([`MountControl::remount_read_only`](crate::MountControl::remount_read_only)),
    /// and skips the case when the target cannot.
    ReadOnlyFixture,
}

/// One named check.
#[derive(Clone, Copy)]
pub struct Case {
    /// The area; the case is reported as `area::name`.
    pub area: Area,
    /// Unique within its area, snake_case.
    pub name: &'static str,
    /// Capabilities the target must declare for the case to run.
    pub requires: Capabilities,
    /// The case mounts file systems (needs [`crate::MountControl`]).
    pub needs_mounts: bool,
    /// What the body runs in (its `ctx.root()`).
    pub setup: Setup,
    /// The body.
    pub run: fn(&Ctx) -> CaseResult,
}

impl Case {
    /// A case needing only `requires`.
    pub const fn new(
        area: Area,
        name: &'static str,
        requires: Capabilities,
        run: fn(&Ctx) -> CaseResult,
    ) -> Case {
        Case {
            area,
            name,
            requires,
            needs_mounts: false,
            setup: Setup::Empty,
            run,
        }
    }

    /// The same case, run in a directory holding the fixture ([`Setup::Fixture`]).
    /// Its `requires` must not ask for `write`.
    pub const fn on_fixture(mut self) -> Case {
        self.setup = Setup::Fixture;
        self
    }

    /// The same case, run on a read-only file system holding the fixture
    /// ([`Setup::ReadOnlyFixture`]).
    pub const fn on_read_only_fixture(mut self) -> Case {
        self.setup = Setup::ReadOnlyFixture;
        self
    }

    /// The same case, also needing mount control.
    pub const fn with_mounts(mut self) -> Case {
        self.needs_mounts = true;
        self
    }

    /// `area::name`.
    pub fn full_name(&self) -> String {
        format!("{}::{}", self.area.prefix(), self.name)
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Case({})", self.full_name())
    }
}

/// Capability sets cases ask for, combined with [`needs::all`].
pub mod needs {
    use vfs_core::Capabilities;

    /// Reading only.
    pub const NOTHING: Capabilities = Capabilities::NONE;
    /// Serving symlinks (`readlink`, following them), without writing: for the
    /// fixture cases.
    pub const READ_SYMLINKS: Capabilities = Capabilities {
        symlinks: true,
        ..Capabilities::NONE
    };
    /// Serving hard links with true link counts, without writing: for the fixture
    /// cases.
    pub const READ_HARD_LINKS: Capabilities = Capabilities {
        hard_links: true,
        ..Capabilities::NONE
    };
    /// Writing.
    pub const WRITE: Capabilities = Capabilities {
        write: true,
        ..Capabilities::NONE
    };
    /// Hard links (and writing).
    pub const HARD_LINKS: Capabilities = Capabilities {
        hard_links: true,
        ..WRITE
    };
    /// Symlinks (and writing).
    pub const SYMLINKS: Capabilities = Capabilities {
        symlinks: true,
        ..WRITE
    };
    /// Holes (and writing).
    pub const SPARSE: Capabilities = Capabilities {
        sparse_files: true,
        ..WRITE
    };
    /// Stored mode bits (and writing).
    pub const PERMISSIONS: Capabilities = Capabilities {
        permissions: true,
        ..WRITE
    };
    /// Stored ownership (and writing).
    pub const OWNERSHIP: Capabilities = Capabilities {
        ownership: true,
        ..WRITE
    };
    /// Timestamps (and writing).
    pub const TIMESTAMPS: Capabilities = Capabilities {
        timestamps: true,
        ..WRITE
    };
    /// `O_NOATIME` honoured (with timestamps and writing).
    pub const NOATIME: Capabilities = Capabilities {
        noatime: true,
        ..TIMESTAMPS
    };
    /// A symlink's own times settable (with symlinks, timestamps and writing).
    pub const SYMLINK_TIMES: Capabilities = Capabilities {
        symlink_times: true,
        symlinks: true,
        ..TIMESTAMPS
    };
    /// Directory link counts (and writing).
    pub const DIR_NLINK: Capabilities = Capabilities {
        dir_link_counts: true,
        ..WRITE
    };
    /// Open files surviving unlink (and writing).
    pub const UNLINKED_OPEN: Capabilities = Capabilities {
        unlinked_open_files: true,
        ..WRITE
    };
    /// Atomic append (and writing).
    pub const APPEND: Capabilities = Capabilities {
        atomic_append: true,
        ..WRITE
    };
    /// Space accounting (and writing).
    pub const SPACE: Capabilities = Capabilities {
        space_accounting: true,
        ..WRITE
    };
    /// `mknod` of FIFOs, sockets and devices (and writing).
    pub const SPECIAL_FILES: Capabilities = Capabilities {
        special_files: true,
        ..WRITE
    };

    /// The union of `sets`.
    pub const fn all(sets: &[Capabilities]) -> Capabilities {
        let mut out = Capabilities::NONE;
        let mut i = 0;
        while i < sets.len() {
            let s = &sets[i];
            out.write |= s.write;
            out.hard_links |= s.hard_links;
            out.symlinks |= s.symlinks;
            out.sparse_files |= s.sparse_files;
            out.permissions |= s.permissions;
            out.ownership |= s.ownership;
            out.timestamps |= s.timestamps;
            out.noatime |= s.noatime;
            out.symlink_times |= s.symlink_times;
            out.dir_link_counts |= s.dir_link_counts;
            out.unlinked_open_files |= s.unlinked_open_files;
            out.atomic_append |= s.atomic_append;
            out.space_accounting |= s.space_accounting;
            out.special_files |= s.special_files;
            i += 1;
        }
        out
    }
}
