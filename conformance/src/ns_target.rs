//! Running the suite on a backend: a [`vfs_core::Namespace`] driven as a [`Target`].

use crate::target::{Entry, MountControl, ScratchMount, Target, TargetFile};
use async_trait::async_trait;
use futures::executor::block_on;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use vfs_core::{
    AccessMask, Attr, Caller, Capabilities, Errno, FileHandle, Filesystem, FsStat, MountOptions,
    Namespace, OpenFlags, Result, SetAttr, SetTime, Vnode,
};

/// Makes fresh file systems of the backend under test.
pub type MakeFilesystem = dyn Fn(ScratchMount) -> Result<Arc<dyn Filesystem>> + Send + Sync;

/// How to get instances of a backend for the suite: the one function a backend
/// author writes (the Fuchsia-style harness).
///
/// `make` gets the wanted [`ScratchMount`] options; it returns `EOPNOTSUPP` for a
/// `size_limit` it cannot honour (those cases are skipped). `read_only` is applied by
/// the namespace, so `make` may ignore it.
///
/// A read-only backend cannot be handed empty instances to fill: it uses
/// [`BackendHarness::read_only_with_fixture`] instead.
#[derive(Clone)]
pub struct BackendHarness {
    make: Arc<MakeFilesystem>,
    /// Instances are read-only and hold the fixture at their root.
    fixture_at_root: bool,
}

impl BackendHarness {
    /// A harness calling `make` for every file system the suite needs.
    pub fn new(
        make: impl Fn(ScratchMount) -> Result<Arc<dyn Filesystem>> + Send + Sync + 'static,
    ) -> BackendHarness {
        BackendHarness {
            make: Arc::new(make),
            fixture_at_root: false,
        }
    }

    /// A harness for a read-only backend: `make` returns a fresh instance holding
    /// the [fixture](crate::fixture) tree at its root (every entry the backend's
    /// capabilities can hold, see [`crate::fixture::entries_for`]).
    ///
    /// Its target runs the `fixture` and `readonly` cases on the namespace root and
    /// skips the cases that need `write`. It offers no mount control: the namespace
    /// cases need fresh, empty file systems, which such a backend cannot make.
    pub fn read_only_with_fixture(
        make: impl Fn() -> Result<Arc<dyn Filesystem>> + Send + Sync + 'static,
    ) -> BackendHarness {
        BackendHarness {
            make: Arc::new(move |_| make()),
            fixture_at_root: true,
        }
    }

    /// A namespace target whose root is a fresh instance.
    pub fn target(&self) -> Result<NamespaceTarget> {
        let fs = (self.make)(ScratchMount::default())?;
        let namespace = Arc::new(Namespace::new(fs, MountOptions::default()));
        Ok(if self.fixture_at_root {
            NamespaceTarget::new(namespace, "/", None).with_fixture_dir("/")
        } else {
            NamespaceTarget::new(namespace, "/", Some(self.clone()))
        })
    }
}

/// A namespace driven synchronously with `futures::executor::block_on`, as a blocking
/// C caller would. Scratch directories are created under `base`.
pub struct NamespaceTarget {
    namespace: Arc<Namespace>,
    caller: Caller,
    base: String,
    harness: Option<BackendHarness>,
    next_scratch: AtomicU64,
    fixture_dir: Option<String>,
    /// Ids of the read-only bind mounts [`MountControl::remount_read_only`] made.
    read_only_binds: Mutex<Vec<u64>>,
}

impl NamespaceTarget {
    /// A target on `namespace` whose scratch directories go under the absolute
    /// directory `base`; `harness`, when given, makes file systems for mount cases.
    pub fn new(
        namespace: Arc<Namespace>,
        base: &str,
        harness: Option<BackendHarness>,
    ) -> NamespaceTarget {
        let caller = namespace.root_caller();
        NamespaceTarget {
            namespace,
            caller,
            base: base.trim_end_matches('/').to_string(),
            harness,
            next_scratch: AtomicU64::new(0),
            fixture_dir: None,
            read_only_binds: Mutex::new(Vec::new()),
        }
    }

    /// The same target, telling the suite that `dir` (absolute) holds the
    /// [fixture](crate::fixture) tree: see [`Target::fixture_dir`].
    pub fn with_fixture_dir(mut self, dir: &str) -> NamespaceTarget {
        self.fixture_dir = Some(dir.to_string());
        self
    }

    /// The id of the mount whose root `path` names.
    fn mount_id(&self, path: &[u8]) -> Result<u64> {
        let location = block_on(self.namespace.resolve(&self.caller, path, true))?;
        Ok(location.mount().id())
    }

    /// The namespace under test.
    pub fn namespace(&self) -> &Arc<Namespace> {
        &self.namespace
    }
}

impl Target for NamespaceTarget {
    fn describe(&self) -> String {
        self.namespace
            .mounts()
            .first()
            .map_or_else(|| "namespace".to_string(), |root| root.source.clone())
    }

    fn capabilities(&self) -> Capabilities {
        self.namespace.root().mount().capabilities()
    }

    fn scratch_dir(&self, case: &str) -> Result<String> {
        let n = self.next_scratch.fetch_add(1, Ordering::Relaxed);
        let dir = format!("{}/{case}-{n}", self.base);
        self.mkdir(dir.as_bytes(), 0o755)?;
        Ok(dir)
    }

    fn mounts(&self) -> Option<&dyn MountControl> {
        self.harness.as_ref().map(|_| self as &dyn MountControl)
    }

    fn fixture_dir(&self) -> Option<String> {
        self.fixture_dir.clone()
    }

    fn as_user(&self, creds: &vfs_core::Credentials) -> Option<Box<dyn Target + '_>> {
        let mut user = NamespaceTarget::new(self.namespace.clone(), &self.base, None);
        user.caller.creds = creds.clone();
        Some(Box::new(user))
    }

    fn open(&self, path: &[u8], flags: OpenFlags, mode: u32) -> Result<Box<dyn TargetFile>> {
        let handle = block_on(self.namespace.open(&self.caller, path, flags, mode))?;
        Ok(Box::new(NamespaceFile {
            handle: Some(handle),
        }))
    }

    fn stat(&self, path: &[u8]) -> Result<Attr> {
        block_on(self.namespace.stat(&self.caller, path))
    }

    fn lstat(&self, path: &[u8]) -> Result<Attr> {
        block_on(self.namespace.lstat(&self.caller, path))
    }

    fn mkdir(&self, path: &[u8], mode: u32) -> Result<()> {
        block_on(self.namespace.mkdir(&self.caller, path, mode))
    }

    fn rmdir(&self, path: &[u8]) -> Result<()> {
        block_on(self.namespace.rmdir(&self.caller, path))
    }

    fn unlink(&self, path: &[u8]) -> Result<()> {
        block_on(self.namespace.unlink(&self.caller, path))
    }

    fn rename(&self, old: &[u8], new: &[u8]) -> Result<()> {
        block_on(self.namespace.rename(&self.caller, old, new))
    }

    fn link(&self, old: &[u8], new: &[u8]) -> Result<()> {
        block_on(self.namespace.link(&self.caller, old, new))
    }

    fn symlink(&self, target: &[u8], path: &[u8]) -> Result<()> {
        block_on(self.namespace.symlink(&self.caller, target, path))
    }

    fn mknod(&self, path: &[u8], mode: u32, rdev: u64) -> Result<()> {
        block_on(self.namespace.mknod(&self.caller, path, mode, rdev))
    }

    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>> {
        block_on(self.namespace.readlink(&self.caller, path))
    }

    fn truncate(&self, path: &[u8], length: u64) -> Result<()> {
        block_on(self.namespace.truncate(&self.caller, path, length))
    }

    fn chmod(&self, path: &[u8], mode: u32) -> Result<()> {
        let changes = SetAttr {
            mode: Some(mode & 0o7777),
            ..SetAttr::default()
        };
        block_on(self.namespace.setattr(&self.caller, path, &changes, true)).map(drop)
    }

    fn chown(&self, path: &[u8], uid: Option<u32>, gid: Option<u32>, follow: bool) -> Result<()> {
        let changes = SetAttr {
            uid,
            gid,
            ..SetAttr::default()
        };
        block_on(self.namespace.setattr(&self.caller, path, &changes, follow)).map(drop)
    }

    fn utimens(
        &self,
        path: &[u8],
        atime: Option<SetTime>,
        mtime: Option<SetTime>,
        follow: bool,
    ) -> Result<()> {
        let changes = SetAttr {
            atime,
            mtime,
            ..SetAttr::default()
        };
        block_on(self.namespace.setattr(&self.caller, path, &changes, follow)).map(drop)
    }

    fn read_dir(&self, path: &[u8]) -> Result<Vec<Entry>> {
        let entries = block_on(self.namespace.read_dir(&self.caller, path))?;
        Ok(entries.into_iter().map(entry_of).collect())
    }

    fn statfs(&self, path: &[u8]) -> Result<FsStat> {
        block_on(self.namespace.statfs(&self.caller, path))
    }

    fn access(&self, path: &[u8], mask: AccessMask) -> Result<()> {
        block_on(self.namespace.access(&self.caller, path, mask))
    }
}

impl MountControl for NamespaceTarget {
    fn mount_scratch(&self, path: &[u8], options: ScratchMount) -> Result<()> {
        let harness = self.harness.as_ref().ok_or(Errno::EOPNOTSUPP)?;
        let fs = (harness.make)(options)?;
        let mount_options = MountOptions {
            read_only: options.read_only,
        };
        block_on(self.namespace.mount(&self.caller, path, fs, mount_options))
    }

    /// Unmounts `path`; a read-only bind made by `remount_read_only` goes together
    /// with the mount below it.
    fn unmount(&self, path: &[u8]) -> Result<()> {
        let id = self.mount_id(path)?;
        block_on(self.namespace.unmount(&self.caller, path))?;
        let was_bind = {
            let mut binds = self.read_only_binds.lock();
            let at = binds.iter().position(|&bind| bind == id);
            at.map(|at| binds.remove(at)).is_some()
        };
        if was_bind {
            block_on(self.namespace.unmount(&self.caller, path))?;
        }
        Ok(())
    }

    /// The namespace cannot change a mount's options, so this mounts the same
    /// instance again on `path`, read-only, over itself: a read-only bind mount
    /// (`mount --bind -o ro`). The bind never calls the instance's `unmount`; the
    /// mount below does, once, when `unmount(path)` removes both.
    fn remount_read_only(&self, path: &[u8]) -> Result<()> {
        let fs = {
            let location = block_on(self.namespace.resolve(&self.caller, path, true))?;
            if !location.is_mount_root() {
                return Err(Errno::EINVAL.with("not a mount point"));
            }
            location.mount().filesystem().clone()
        };
        let bind = Arc::new(ReadOnlyBind { fs });
        let options = MountOptions { read_only: true };
        block_on(self.namespace.mount(&self.caller, path, bind, options))?;
        let id = self.mount_id(path)?;
        self.read_only_binds.lock().push(id);
        Ok(())
    }
}

/// A second mount of an instance already mounted: everything is the instance's
/// except `unmount`, left to the original mount.
struct ReadOnlyBind {
    fs: Arc<dyn Filesystem>,
}

#[async_trait]
impl Filesystem for ReadOnlyBind {
    fn root(&self) -> Arc<dyn Vnode> {
        self.fs.root()
    }

    fn capabilities(&self) -> Capabilities {
        self.fs.capabilities()
    }

    fn describe(&self) -> String {
        format!("{} (read-only bind)", self.fs.describe())
    }

    async fn statfs(&self) -> Result<FsStat> {
        self.fs.statfs().await
    }

    async fn sync(&self) -> Result<()> {
        self.fs.sync().await
    }
}

fn entry_of(entry: vfs_core::DirEntry) -> Entry {
    Entry {
        name: entry.name.as_bytes().to_vec(),
        file_type: entry.file_type,
        ino: entry.ino,
    }
}

/// An open [`FileHandle`] without a file offset: appends go through
/// [`FileHandle::append`].
struct NamespaceFile {
    handle: Option<FileHandle>,
}

impl NamespaceFile {
    fn handle(&self) -> Result<&FileHandle> {
        self.handle.as_ref().ok_or_else(|| Errno::EBADF.into())
    }
}

impl TargetFile for NamespaceFile {
    fn pread(&mut self, buf: &mut [u8], offset: u64) -> Result<usize> {
        block_on(self.handle()?.read_at(offset, buf))
    }

    fn pwrite(&mut self, data: &[u8], offset: u64) -> Result<usize> {
        block_on(self.handle()?.write_at(offset, data))
    }

    fn append(&mut self, data: &[u8]) -> Result<usize> {
        let handle = self.handle()?;
        if !handle.flags().contains(OpenFlags::APPEND) {
            return Err(Errno::EINVAL.with("append on a file not opened with O_APPEND"));
        }
        block_on(handle.append(data)).map(|(_, written)| written)
    }

    fn ftruncate(&mut self, length: u64) -> Result<()> {
        block_on(self.handle()?.truncate(length))
    }

    fn fstat(&mut self) -> Result<Attr> {
        block_on(self.handle()?.getattr())
    }

    fn fsync(&mut self) -> Result<()> {
        block_on(self.handle()?.fsync(false))
    }

    fn read_dir(&mut self) -> Result<Vec<Entry>> {
        match block_on(self.handle()?.read_dir_all()) {
            Ok(entries) => Ok(entries.into_iter().map(entry_of).collect()),
            // A directory removed while open: getdents says ENOENT and C's readdir,
            // which this call stands for, turns that into the end of the listing.
            Err(e) if e.errno() == Errno::ENOENT => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    fn close(mut self: Box<Self>) -> Result<()> {
        match self.handle.take() {
            Some(handle) => block_on(handle.close()),
            None => Err(Errno::EBADF.into()),
        }
    }
}

impl Drop for NamespaceFile {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            let _ = block_on(handle.close());
        }
    }
}
