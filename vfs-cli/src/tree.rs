//! The file operations the commands need, on the host's file system (`std::fs`)
//! or on a mounted one (the POSIX shim's `std::fs`-shaped API), with one shape.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::io::IntoRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vfs_posix_shim::fs as shim;

/// Bytes read or written at once when moving file data: large, so that a network
/// backend sends many transfers at a time (NFS pipelines the pieces of one call)
/// instead of waiting for each.
pub const CHUNK: usize = 4 << 20;

/// Where a target's path is looked up.
#[derive(Clone, Debug)]
pub enum Tree {
    /// The host's file system.
    Local,
    /// A file system mounted from a URL, as the root of its own namespace.
    Mounted(shim::Fs),
}

/// The kind of a file, from its mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Unknown,
}

/// What `stat` says about a file, wherever it lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    /// `st_mode`: type and permission bits.
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// 512-byte blocks allocated.
    pub blocks: u64,
    pub blksize: u64,
    pub dev: u64,
    pub ino: u64,
    pub rdev: u64,
    /// Seconds and nanoseconds since the epoch.
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl Stat {
    fn of(metadata: &impl MetadataExt) -> Stat {
        Stat {
            mode: metadata.mode(),
            nlink: metadata.nlink(),
            uid: metadata.uid(),
            gid: metadata.gid(),
            size: metadata.size(),
            blocks: metadata.blocks(),
            blksize: metadata.blksize(),
            dev: metadata.dev(),
            ino: metadata.ino(),
            rdev: metadata.rdev(),
            atime: (metadata.atime(), metadata.atime_nsec()),
            mtime: (metadata.mtime(), metadata.mtime_nsec()),
            ctime: (metadata.ctime(), metadata.ctime_nsec()),
        }
    }

    /// The file's kind.
    pub fn kind(&self) -> Kind {
        match self.mode & 0o170_000 {
            0o100_000 => Kind::File,
            0o040_000 => Kind::Dir,
            0o120_000 => Kind::Symlink,
            0o020_000 => Kind::CharDevice,
            0o060_000 => Kind::BlockDevice,
            0o010_000 => Kind::Fifo,
            0o140_000 => Kind::Socket,
            _ => Kind::Unknown,
        }
    }

    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.kind() == Kind::Dir
    }
}

/// A file open for reading.
pub enum Reader {
    Local(std::fs::File),
    Mounted(shim::File),
}

impl Reader {
    /// Reads until `buf` is full or the file ends; returns the bytes read (0 at the
    /// end), so each chunk goes on in one large write.
    pub fn fill(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(filled)
    }
}

impl Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Reader::Local(file) => file.read(buf),
            Reader::Mounted(file) => file.read(buf),
        }
    }
}

/// A file open for writing; [`Writer::finish`] reports what closing would.
pub enum Writer {
    Local(std::fs::File),
    Mounted(shim::File),
}

impl Writer {
    /// Ends the writing and reports what closing reports: a failed write-back must
    /// not pass for success (dropping a `File` ignores it).
    ///
    /// A local file is closed as cp(1) closes it, checking `close`. A mounted file
    /// is synced first: the shim's `File` can only be closed by dropping it, and on
    /// NFS the sync is the COMMIT that closing would send, so its error is the one
    /// that matters; the close after it has nothing left to write.
    pub fn finish(self) -> io::Result<()> {
        match self {
            Writer::Local(file) => {
                let fd = file.into_raw_fd();
                // SAFETY: `into_raw_fd` gave up ownership of `fd`; it is closed once.
                if unsafe { libc::close(fd) } == 0 {
                    Ok(())
                } else {
                    Err(io::Error::last_os_error())
                }
            }
            Writer::Mounted(file) => file.sync_all(),
        }
    }
}

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Writer::Local(file) => file.write(buf),
            Writer::Mounted(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Writer::Local(file) => file.flush(),
            Writer::Mounted(file) => file.flush(),
        }
    }
}

impl Tree {
    /// True when both are the same file system: the host's, or one mount.
    pub fn same(&self, other: &Tree) -> bool {
        match (self, other) {
            (Tree::Local, Tree::Local) => true,
            (Tree::Mounted(a), Tree::Mounted(b)) => Arc::ptr_eq(a.process(), b.process()),
            _ => false,
        }
    }

    /// The absolute path of `path` without symlinks, `.` or `..`.
    pub fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        match self {
            Tree::Local => std::fs::canonicalize(path),
            Tree::Mounted(fs) => fs.canonicalize(path),
        }
    }

    /// `stat`, following a final symlink.
    pub fn metadata(&self, path: &Path) -> io::Result<Stat> {
        match self {
            Tree::Local => Ok(Stat::of(&std::fs::metadata(path)?)),
            Tree::Mounted(fs) => Ok(Stat::of(&fs.metadata(path)?)),
        }
    }

    /// `lstat`: a final symlink is reported itself.
    pub fn symlink_metadata(&self, path: &Path) -> io::Result<Stat> {
        match self {
            Tree::Local => Ok(Stat::of(&std::fs::symlink_metadata(path)?)),
            Tree::Mounted(fs) => Ok(Stat::of(&fs.symlink_metadata(path)?)),
        }
    }

    /// The names in directory `path`, without `.` and `..`, sorted bytewise (as
    /// `ls` sorts with `LC_ALL=C`).
    pub fn names(&self, path: &Path) -> io::Result<Vec<OsString>> {
        let mut names = match self {
            Tree::Local => std::fs::read_dir(path)?
                .map(|entry| entry.map(|entry| entry.file_name()))
                .collect::<io::Result<Vec<_>>>()?,
            Tree::Mounted(fs) => fs
                .read_dir(path)?
                .map(|entry| entry.map(|entry| entry.file_name()))
                .collect::<io::Result<Vec<_>>>()?,
        };
        // `OsString`s compare as their bytes on Unix.
        names.sort();
        Ok(names)
    }

    /// The target of symlink `path`.
    pub fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        match self {
            Tree::Local => std::fs::read_link(path),
            Tree::Mounted(fs) => fs.read_link(path),
        }
    }

    /// Opens `path` for reading.
    pub fn open(&self, path: &Path) -> io::Result<Reader> {
        match self {
            Tree::Local => Ok(Reader::Local(std::fs::File::open(path)?)),
            Tree::Mounted(fs) => Ok(Reader::Mounted(shim::File::open(fs, path)?)),
        }
    }

    /// Opens `path` for writing, truncated, created with `mode` (less the umask)
    /// if missing; with `exclusive` an existing name fails with `EEXIST`.
    pub fn create(&self, path: &Path, mode: u32, exclusive: bool) -> io::Result<Writer> {
        match self {
            Tree::Local => {
                let mut options = std::fs::OpenOptions::new();
                options.write(true).mode(mode);
                if exclusive {
                    options.create_new(true);
                } else {
                    options.create(true).truncate(true);
                }
                Ok(Writer::Local(options.open(path)?))
            }
            Tree::Mounted(fs) => {
                let mut options = shim::OpenOptions::new();
                options.write(true).mode(mode);
                if exclusive {
                    options.create_new(true);
                } else {
                    options.create(true).truncate(true);
                }
                Ok(Writer::Mounted(options.open(fs, path)?))
            }
        }
    }

    /// Creates directory `path`; with `parents`, also its missing parents, and an
    /// existing directory is fine.
    pub fn create_dir(&self, path: &Path, parents: bool) -> io::Result<()> {
        match (self, parents) {
            (Tree::Local, false) => std::fs::create_dir(path),
            (Tree::Local, true) => std::fs::create_dir_all(path),
            (Tree::Mounted(fs), false) => fs.create_dir(path),
            (Tree::Mounted(fs), true) => fs.create_dir_all(path),
        }
    }

    /// Removes the non-directory `path`.
    pub fn remove_file(&self, path: &Path) -> io::Result<()> {
        match self {
            Tree::Local => std::fs::remove_file(path),
            Tree::Mounted(fs) => fs.remove_file(path),
        }
    }

    /// Removes directory `path` and everything below it, following no symlink.
    pub fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        match self {
            Tree::Local => std::fs::remove_dir_all(path),
            Tree::Mounted(fs) => fs.remove_dir_all(path),
        }
    }

    /// Renames `from` to `to` (POSIX `rename`).
    pub fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        match self {
            Tree::Local => std::fs::rename(from, to),
            Tree::Mounted(fs) => fs.rename(from, to),
        }
    }

    /// Creates symlink `link` pointing at `target`.
    pub fn symlink(&self, target: &Path, link: &Path) -> io::Result<()> {
        match self {
            Tree::Local => std::os::unix::fs::symlink(target, link),
            Tree::Mounted(fs) => fs.symlink(target, link),
        }
    }
}
