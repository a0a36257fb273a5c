//! [`DirBuilder`]: how to create directories.

use super::Fs;
use std::io;
use std::path::Path;

/// How to create a directory ([`std::fs::DirBuilder`]): set the options, then
/// [`DirBuilder::create`] with the context. The mode comes through
/// [`std::os::unix::fs::DirBuilderExt`].
#[derive(Clone, Debug)]
pub struct DirBuilder {
    mode: u32,
    recursive: bool,
}

impl Default for DirBuilder {
    fn default() -> DirBuilder {
        DirBuilder::new()
    }
}

impl DirBuilder {
    /// Not recursive, mode `0o777`.
    pub fn new() -> DirBuilder {
        DirBuilder {
            mode: 0o777,
            recursive: false,
        }
    }

    /// Also create missing parents, and accept an existing directory.
    pub fn recursive(&mut self, recursive: bool) -> &mut DirBuilder {
        self.recursive = recursive;
        self
    }

    /// Creates directory `path` in `fs`'s process, with the mode minus the umask
    /// ([`std::fs::DirBuilder::create`]).
    ///
    /// Recursive creation works as std's: from `path` upwards, `mkdir` until one
    /// succeeds or finds a directory, then down again creating the missing ones; a
    /// directory someone else makes meanwhile is accepted.
    ///
    /// Errors: `EEXIST` (not recursive, or something other than a directory in
    /// the way), `ENOENT`, `ENOTDIR`, `EACCES`, `EROFS`, ...
    pub fn create(&self, fs: &Fs, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        if self.recursive {
            self.create_all(fs, path)
        } else {
            self.mkdir(fs, path)
        }
    }

    fn mkdir(&self, fs: &Fs, path: &Path) -> io::Result<()> {
        fs.on_path(path, |posix, path| posix.mkdir(path, self.mode))
    }

    fn create_all(&self, fs: &Fs, path: &Path) -> io::Result<()> {
        // The root and the empty path need no directory made.
        let needs_mkdir = |dir: &Path| !dir.as_os_str().is_empty() && dir.parent().is_some();
        let mut missing = 0;
        for ancestor in path.ancestors().take_while(|dir| needs_mkdir(dir)) {
            match self.mkdir(fs, ancestor) {
                Ok(()) => break,
                Err(error) if error.kind() == io::ErrorKind::NotFound => missing += 1,
                // Only for AlreadyExists: a file in the way must stay an error, and
                // other errors need no extra stat.
                Err(error)
                    if error.kind() == io::ErrorKind::AlreadyExists && fs.is_dir(ancestor) =>
                {
                    break
                }
                Err(error) => return Err(error),
            }
        }
        let missing: Vec<&Path> = path.ancestors().take(missing).collect();
        for dir in missing.into_iter().rev() {
            match self.mkdir(fs, dir) {
                Err(error) if error.kind() != io::ErrorKind::AlreadyExists || !fs.is_dir(dir) => {
                    return Err(error)
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl std::os::unix::fs::DirBuilderExt for DirBuilder {
    fn mode(&mut self, mode: u32) -> &mut DirBuilder {
        self.mode = mode;
        self
    }
}
