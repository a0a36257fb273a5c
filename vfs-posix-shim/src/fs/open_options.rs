//! [`OpenOptions`]: how to open a file, checked as std checks it.

use super::{File, Fs};
use std::io;
use std::path::Path;
use vfs_core::OpenFlags;

/// How to open a file ([`std::fs::OpenOptions`]): set the options, then
/// [`OpenOptions::open`] with the context.
///
/// ```
/// use std::io::Write;
/// use std::sync::Arc;
/// use vfs_posix_shim::fs::{Fs, OpenOptions};
///
/// let vfs = vfs_posix_shim::Vfs::from_url("ram://").unwrap();
/// let fs = Fs::new(Arc::new(vfs.process()));
/// let mut log = OpenOptions::new().append(true).create(true).open(&fs, "/log")?;
/// log.write_all(b"started\n")?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions {
    read: bool,
    write: bool,
    append: bool,
    truncate: bool,
    create: bool,
    create_new: bool,
    mode: u32,
}

/// std's message when the access mode does not allow the creation options.
const CREATION_NEEDS_WRITE: &str = "creating or truncating a file requires write or append access";

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// Every option off, mode `0o666`.
    pub fn new() -> OpenOptions {
        OpenOptions {
            read: false,
            write: false,
            append: false,
            truncate: false,
            create: false,
            create_new: false,
            mode: 0o666,
        }
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.read = read;
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.write = write;
        self
    }

    /// Open for writing, every write at the end of the file (`O_APPEND`).
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.append = append;
        self
    }

    /// Truncate an existing file to length 0 (`O_TRUNC`); needs `write`.
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.truncate = truncate;
        self
    }

    /// Create the file if it does not exist (`O_CREAT`); needs `write` or
    /// `append`.
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.create = create;
        self
    }

    /// Create the file, failing if the name exists (`O_CREAT | O_EXCL`); `create`
    /// and `truncate` are then ignored. Needs `write` or `append`.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.create_new = create_new;
        self
    }

    /// The mode of a created file, before the umask (default `0o666`;
    /// `std::os::unix::fs::OpenOptionsExt::mode`).
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        self.mode = mode;
        self
    }

    /// Opens `path` in `fs`'s process with these options
    /// ([`std::fs::OpenOptions::open`]). The descriptor is close-on-exec, as std's
    /// are.
    ///
    /// Errors: `InvalidInput` for options std refuses (no access mode; `create`,
    /// `create_new` or `truncate` without `write`/`append`; `truncate` with
    /// `append` but not `create_new`), then the errors of `open` (`ENOENT`,
    /// `EEXIST`, `EISDIR`, `EACCES`, `EMFILE`, ...).
    pub fn open(&self, fs: &Fs, path: impl AsRef<Path>) -> io::Result<File> {
        let flags = self.access_mode()? | self.creation_mode()? | OpenFlags::CLOEXEC;
        let fd = fs.on_path(path.as_ref(), |posix, path| {
            posix.open(path, flags, self.mode)
        })?;
        Ok(File::from_raw_fd(fs, fd))
    }

    /// The access-mode flags, checked first as std checks them.
    fn access_mode(&self) -> io::Result<OpenFlags> {
        match (self.read, self.write, self.append) {
            (true, false, false) => Ok(OpenFlags::RDONLY),
            (false, true, false) => Ok(OpenFlags::WRONLY),
            (true, true, false) => Ok(OpenFlags::RDWR),
            (false, _, true) => Ok(OpenFlags::WRONLY | OpenFlags::APPEND),
            (true, _, true) => Ok(OpenFlags::RDWR | OpenFlags::APPEND),
            (false, false, false) => Err(invalid_input(
                if self.create || self.create_new || self.truncate {
                    CREATION_NEEDS_WRITE
                } else {
                    "must specify at least one of read, write, or append access"
                },
            )),
        }
    }

    /// The creation flags, after std's checks against the access mode.
    fn creation_mode(&self) -> io::Result<OpenFlags> {
        let refused = match (self.write, self.append) {
            (true, false) => false,
            (false, false) => self.truncate || self.create || self.create_new,
            (_, true) => self.truncate && !self.create_new,
        };
        if refused {
            return Err(invalid_input(CREATION_NEEDS_WRITE));
        }
        Ok(match (self.create, self.truncate, self.create_new) {
            (_, _, true) => OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
            (true, true, false) => OpenFlags::CREATE | OpenFlags::TRUNCATE,
            (true, false, false) => OpenFlags::CREATE,
            (false, true, false) => OpenFlags::TRUNCATE,
            (false, false, false) => OpenFlags::empty(),
        })
    }
}

fn invalid_input(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}
