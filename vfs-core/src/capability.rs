//! What a backend supports, declared up front.

/// The features a backend declares, so the namespace, the conformance suite and
/// callers decide without trial and error. A backend sets only what it really does:
/// the conformance suite runs every case whose required capabilities are declared
/// and skips the others, so an over-declared flag shows up as failures.
///
/// Construct with struct-update syntax from [`Capabilities::NONE`] or
/// [`Capabilities::POSIX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// Files can be written (otherwise the whole backend is read-only).
    pub write: bool,
    /// `link` creates hard links and `nlink` counts them.
    pub hard_links: bool,
    /// `symlink` and `readlink` work.
    pub symlinks: bool,
    /// Writing past end of file leaves a hole that reads as zeros, and `size` can
    /// grow by truncation.
    pub sparse_files: bool,
    /// Mode bits are stored as set by `create`, `mkdir` and `setattr`.
    pub permissions: bool,
    /// `uid`/`gid` are stored as set by create and `setattr`.
    pub ownership: bool,
    /// `atime`/`mtime` can be set and `mtime`/`ctime` follow changes.
    pub timestamps: bool,
    /// Reads through a file opened with `O_NOATIME` leave `atime` alone (a
    /// network file system cannot promise this: its server sets `atime` on READ).
    pub noatime: bool,
    /// `setattr` sets a symlink's own times (some servers silently ignore them).
    pub symlink_times: bool,
    /// A directory's `nlink` is 2 plus its number of subdirectories.
    pub dir_link_counts: bool,
    /// A file unlinked while open stays readable and writable until closed.
    pub unlinked_open_files: bool,
    /// `OpenFile::append` appends atomically.
    pub atomic_append: bool,
    /// `statfs` reports real space figures and `ENOSPC` is returned when full.
    pub space_accounting: bool,
    /// `mknod` makes FIFOs, sockets and character and block device nodes, which
    /// `stat` and listings then report with their type (and device number).
    pub special_files: bool,
}

impl Capabilities {
    /// Nothing beyond reading.
    pub const NONE: Capabilities = Capabilities {
        write: false,
        hard_links: false,
        symlinks: false,
        sparse_files: false,
        permissions: false,
        ownership: false,
        timestamps: false,
        noatime: false,
        symlink_times: false,
        dir_link_counts: false,
        unlinked_open_files: false,
        atomic_append: false,
        space_accounting: false,
        special_files: false,
    };

    /// Everything a local POSIX file system such as tmpfs offers.
    pub const POSIX: Capabilities = Capabilities {
        write: true,
        hard_links: true,
        symlinks: true,
        sparse_files: true,
        permissions: true,
        ownership: true,
        timestamps: true,
        noatime: true,
        symlink_times: true,
        dir_link_counts: true,
        unlinked_open_files: true,
        atomic_append: true,
        space_accounting: true,
        special_files: true,
    };

    /// True when every capability in `required` is also in `self`.
    pub fn covers(&self, required: &Capabilities) -> bool {
        let have = self.as_array();
        required
            .as_array()
            .iter()
            .zip(have)
            .all(|(need, has)| !need || has)
    }

    /// The names of the capabilities in `required` that `self` lacks.
    pub fn missing(&self, required: &Capabilities) -> Vec<&'static str> {
        let have = self.as_array();
        Self::NAMES
            .iter()
            .zip(required.as_array().iter().zip(have))
            .filter(|(_, (need, has))| **need && !has)
            .map(|(name, _)| *name)
            .collect()
    }

    /// Rejects contradictory declarations: a read-only backend cannot declare what
    /// only writing exercises (appends, unlinking open files, making special files).
    pub fn validate(&self) -> Result<(), String> {
        if !self.write && (self.atomic_append || self.unlinked_open_files || self.special_files) {
            return Err("a backend without `write` cannot declare `atomic_append`, \
                        `unlinked_open_files` or `special_files`"
                .to_string());
        }
        Ok(())
    }

    const NAMES: [&'static str; 14] = [
        "write",
        "hard_links",
        "symlinks",
        "sparse_files",
        "permissions",
        "ownership",
        "timestamps",
        "noatime",
        "symlink_times",
        "dir_link_counts",
        "unlinked_open_files",
        "atomic_append",
        "space_accounting",
        "special_files",
    ];

    fn as_array(&self) -> [bool; 14] {
        [
            self.write,
            self.hard_links,
            self.symlinks,
            self.sparse_files,
            self.permissions,
            self.ownership,
            self.timestamps,
            self.noatime,
            self.symlink_times,
            self.dir_link_counts,
            self.unlinked_open_files,
            self.atomic_append,
            self.space_accounting,
            self.special_files,
        ]
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities::NONE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_and_missing() {
        let links = Capabilities {
            hard_links: true,
            ..Capabilities::NONE
        };
        assert!(Capabilities::POSIX.covers(&links));
        assert!(!Capabilities::NONE.covers(&links));
        assert_eq!(Capabilities::NONE.missing(&links), vec!["hard_links"]);
        assert!(Capabilities::NONE.covers(&Capabilities::NONE));
    }

    #[test]
    fn read_only_backend_cannot_declare_write_features() {
        assert!(Capabilities::POSIX.validate().is_ok());
        let bad = Capabilities {
            atomic_append: true,
            ..Capabilities::NONE
        };
        assert!(bad.validate().unwrap_err().contains("atomic_append"));
        let read_only_tree = Capabilities {
            symlinks: true,
            hard_links: true,
            ..Capabilities::NONE
        };
        assert!(read_only_tree.validate().is_ok());
    }
}
