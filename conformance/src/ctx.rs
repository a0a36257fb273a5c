//! What a case body gets: calls on paths relative to its scratch directory, helpers
//! for the common steps, and the failure type with expected and seen errnos.

use crate::target::{Entry, MountControl, ScratchMount, Target, TargetFile};
use parking_lot::Mutex;
use std::fmt;
use vfs_core::{
    AccessMask, Attr, Capabilities, Errno, Error, FsStat, OpenFlags, Result, SetTime, Timespec,
};

/// Why a case did not pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong, naming the call.
    pub message: String,
    /// The errno the case expected, when it expected one.
    pub expected: Option<Errno>,
    /// The errno the target returned, when it returned one.
    pub seen: Option<Errno>,
    /// The case decided it cannot run here (counted as skipped, not failed).
    pub skipped: bool,
}

impl Failure {
    /// A plain failure.
    pub fn msg(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            expected: None,
            seen: None,
            skipped: false,
        }
    }

    /// `call` should have failed with `expected`; `seen` is what happened instead.
    pub fn wrong_errno(call: &str, expected: Errno, seen: Option<&Error>) -> Failure {
        let message = match seen {
            None => format!("{call}: expected {expected:?}, got success"),
            Some(error) => format!("{call}: expected {expected:?}, got {error:?}"),
        };
        Failure {
            message,
            expected: Some(expected),
            seen: seen.map(Error::errno),
            skipped: false,
        }
    }

    /// `call` should have succeeded.
    pub fn unexpected(call: &str, error: &Error) -> Failure {
        Failure {
            message: format!("{call}: unexpected {error:?}"),
            expected: None,
            seen: Some(error.errno()),
            skipped: false,
        }
    }

    /// The case cannot run on this target.
    pub fn skip(reason: impl Into<String>) -> Failure {
        Failure {
            skipped: true,
            ..Failure::msg(reason)
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::unexpected("call", &error)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match (self.expected, self.seen) {
            (Some(expected), Some(seen)) => write!(f, " [expected {expected:?}, seen {seen:?}]"),
            (Some(expected), None) => write!(f, " [expected {expected:?}, seen success]"),
            (None, Some(seen)) => write!(f, " [expected success, seen {seen:?}]"),
            (None, None) => Ok(()),
        }
    }
}

/// A time far enough in the past that any change of a timestamp is visible.
pub const OLD_TIME: Timespec = Timespec::new(1_000_000_000, 0);

/// A case's view of the target: every relative path is taken relative to the case's
/// directory (its fresh scratch directory, or the fixture directory for the
/// `fixture` and `readonly` cases); absolute paths pass through unchanged.
pub struct Ctx<'a> {
    target: &'a dyn Target,
    root: String,
    mounted: Mutex<Vec<Vec<u8>>>,
}

impl<'a> Ctx<'a> {
    /// A context whose scratch directory is `root` (absolute).
    pub fn new(target: &'a dyn Target, root: String) -> Ctx<'a> {
        Ctx {
            target,
            root,
            mounted: Mutex::new(Vec::new()),
        }
    }

    /// The absolute path of the scratch directory.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The target's capabilities.
    pub fn caps(&self) -> Capabilities {
        self.target.capabilities()
    }

    /// The target itself.
    pub fn target(&self) -> &dyn Target {
        self.target
    }

    /// `rel` made absolute: relative paths are joined to the scratch directory; an
    /// empty path stays empty (so `ENOENT` for it can be checked).
    pub fn path(&self, rel: impl AsRef<[u8]>) -> Vec<u8> {
        let rel = rel.as_ref();
        if rel.is_empty() || rel.starts_with(b"/") {
            return rel.to_vec();
        }
        // A fixture directory may be the namespace root, "/": no "//" then.
        let root = self.root.trim_end_matches('/');
        let mut full = Vec::with_capacity(root.len() + 1 + rel.len());
        full.extend_from_slice(root.as_bytes());
        full.push(b'/');
        full.extend_from_slice(rel);
        full
    }

    /// `open`.
    pub fn open(
        &self,
        rel: impl AsRef<[u8]>,
        flags: OpenFlags,
        mode: u32,
    ) -> Result<Box<dyn TargetFile>> {
        self.target.open(&self.path(rel), flags, mode)
    }
    /// `stat`.
    pub fn stat(&self, rel: impl AsRef<[u8]>) -> Result<Attr> {
        self.target.stat(&self.path(rel))
    }
    /// `lstat`.
    pub fn lstat(&self, rel: impl AsRef<[u8]>) -> Result<Attr> {
        self.target.lstat(&self.path(rel))
    }
    /// `mkdir`.
    pub fn mkdir(&self, rel: impl AsRef<[u8]>, mode: u32) -> Result<()> {
        self.target.mkdir(&self.path(rel), mode)
    }
    /// `rmdir`.
    pub fn rmdir(&self, rel: impl AsRef<[u8]>) -> Result<()> {
        self.target.rmdir(&self.path(rel))
    }
    /// `unlink`.
    pub fn unlink(&self, rel: impl AsRef<[u8]>) -> Result<()> {
        self.target.unlink(&self.path(rel))
    }
    /// `rename`.
    pub fn rename(&self, old: impl AsRef<[u8]>, new: impl AsRef<[u8]>) -> Result<()> {
        self.target.rename(&self.path(old), &self.path(new))
    }
    /// `link`.
    pub fn link(&self, old: impl AsRef<[u8]>, new: impl AsRef<[u8]>) -> Result<()> {
        self.target.link(&self.path(old), &self.path(new))
    }
    /// `symlink(target, rel)`: `target` is stored as given, never joined.
    pub fn symlink(&self, target: impl AsRef<[u8]>, rel: impl AsRef<[u8]>) -> Result<()> {
        self.target.symlink(target.as_ref(), &self.path(rel))
    }
    /// `mknod(rel, mode, rdev)`.
    pub fn mknod(&self, rel: impl AsRef<[u8]>, mode: u32, rdev: u64) -> Result<()> {
        self.target.mknod(&self.path(rel), mode, rdev)
    }
    /// `readlink`.
    pub fn readlink(&self, rel: impl AsRef<[u8]>) -> Result<Vec<u8>> {
        self.target.readlink(&self.path(rel))
    }
    /// `truncate`.
    pub fn truncate(&self, rel: impl AsRef<[u8]>, length: u64) -> Result<()> {
        self.target.truncate(&self.path(rel), length)
    }
    /// `chmod`.
    pub fn chmod(&self, rel: impl AsRef<[u8]>, mode: u32) -> Result<()> {
        self.target.chmod(&self.path(rel), mode)
    }
    /// `chown`/`lchown`.
    pub fn chown(
        &self,
        rel: impl AsRef<[u8]>,
        uid: Option<u32>,
        gid: Option<u32>,
        follow: bool,
    ) -> Result<()> {
        self.target.chown(&self.path(rel), uid, gid, follow)
    }
    /// `utimensat`.
    pub fn utimens(
        &self,
        rel: impl AsRef<[u8]>,
        atime: Option<SetTime>,
        mtime: Option<SetTime>,
        follow: bool,
    ) -> Result<()> {
        self.target.utimens(&self.path(rel), atime, mtime, follow)
    }
    /// Directory listing without `.`/`..`, in listing order.
    pub fn read_dir(&self, rel: impl AsRef<[u8]>) -> Result<Vec<Entry>> {
        self.target.read_dir(&self.path(rel))
    }
    /// `statvfs`.
    pub fn statfs(&self, rel: impl AsRef<[u8]>) -> Result<FsStat> {
        self.target.statfs(&self.path(rel))
    }
    /// `access`.
    pub fn access(&self, rel: impl AsRef<[u8]>, mask: AccessMask) -> Result<()> {
        self.target.access(&self.path(rel), mask)
    }

    /// The sorted names in directory `rel`, as text.
    pub fn names(&self, rel: impl AsRef<[u8]>) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .read_dir(rel)?
            .into_iter()
            .map(|entry| String::from_utf8_lossy(&entry.name).into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    /// True when `rel` exists (without following a final symlink).
    pub fn exists(&self, rel: impl AsRef<[u8]>) -> bool {
        self.lstat(rel).is_ok()
    }

    /// Creates (or truncates) regular file `rel` with mode 0644 holding `data`.
    pub fn write_file(&self, rel: impl AsRef<[u8]>, data: &[u8]) -> Result<()> {
        let mut file = self.open(
            rel,
            OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::TRUNCATE,
            0o644,
        )?;
        let mut done = 0;
        while done < data.len() {
            let n = file.pwrite(&data[done..], done as u64)?;
            if n == 0 {
                return Err(Errno::EIO.with("pwrite wrote nothing"));
            }
            done += n;
        }
        file.close()
    }

    /// The whole content of regular file `rel`.
    pub fn read_file(&self, rel: impl AsRef<[u8]>) -> Result<Vec<u8>> {
        let mut file = self.open(rel, OpenFlags::RDONLY, 0)?;
        let content = read_all(file.as_mut())?;
        file.close()?;
        Ok(content)
    }

    /// Sets atime and mtime of `rel` to [`OLD_TIME`], so a later change is visible
    /// whatever the clock's granularity.
    pub fn age(&self, rel: impl AsRef<[u8]>) -> Result<()> {
        self.utimens(
            rel,
            Some(SetTime::At(OLD_TIME)),
            Some(SetTime::At(OLD_TIME)),
            true,
        )
    }

    /// Mount control; skips the case when the target has none.
    pub fn mounts(&self) -> std::result::Result<&dyn MountControl, Failure> {
        self.target
            .mounts()
            .ok_or_else(|| Failure::skip("target cannot mount"))
    }

    /// Mounts a fresh file system on directory `rel`; the runner unmounts it after the
    /// case if the case did not. A target that cannot honour `options` skips the case.
    pub fn mount_scratch(
        &self,
        rel: impl AsRef<[u8]>,
        options: ScratchMount,
    ) -> std::result::Result<(), Failure> {
        let path = self.path(rel);
        match self.mounts()?.mount_scratch(&path, options) {
            Ok(()) => {
                self.mounted.lock().push(path);
                Ok(())
            }
            Err(e) if e.errno() == Errno::EOPNOTSUPP => {
                Err(Failure::skip(format!("target cannot mount {options:?}")))
            }
            Err(e) => Err(Failure::unexpected("mount_scratch", &e)),
        }
    }

    /// Unmounts what is mounted on `rel`.
    pub fn unmount(&self, rel: impl AsRef<[u8]>) -> std::result::Result<Result<()>, Failure> {
        let path = self.path(rel);
        let result = self.mounts()?.unmount(&path);
        if result.is_ok() {
            let mut mounted = self.mounted.lock();
            if let Some(at) = mounted.iter().rposition(|p| *p == path) {
                mounted.remove(at);
            }
        }
        Ok(result)
    }

    /// Unmounts what the case left mounted, newest first.
    pub(crate) fn unmount_leftovers(&self) {
        let Some(control) = self.target.mounts() else {
            return;
        };
        let leftovers = std::mem::take(&mut *self.mounted.lock());
        for path in leftovers.iter().rev() {
            let _ = control.unmount(path);
        }
    }
}

/// Reads `file` from offset 0 to end of file.
pub fn read_all(file: &mut dyn TargetFile) -> Result<Vec<u8>> {
    let mut content = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.pread(&mut buf, content.len() as u64)?;
        if n == 0 {
            return Ok(content);
        }
        content.extend_from_slice(&buf[..n]);
    }
}
