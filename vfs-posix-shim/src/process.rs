//! The shared world ([`Vfs`]) and one process-like context in it ([`Process`]).

use crate::fd_table::{FdTable, DEFAULT_FD_LIMIT};
use crate::locks::LockManager;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use vfs_core::sole_thread::{SoleMutex, SoleReadGuard, SoleRwLock, SoleThread};
use vfs_core::{Caller, Credentials, Location, MountOptions, Namespace, Registry, Result};

/// What every process of one namespace shares: the namespace, the URL registry used
/// by `mount`, and the advisory locks (so locks are enforced among all its users).
pub struct Vfs {
    namespace: Arc<Namespace>,
    registry: Arc<Registry>,
    pub(crate) locks: LockManager,
    next_pid: AtomicU64,
    next_flock_owner: AtomicU64,
}

impl Vfs {
    /// A world over `namespace`, mounting URLs through `registry`.
    pub fn new(namespace: Arc<Namespace>, registry: Arc<Registry>) -> Arc<Vfs> {
        Arc::new(Vfs {
            namespace,
            registry,
            locks: LockManager::new(),
            next_pid: AtomicU64::new(1),
            next_flock_owner: AtomicU64::new(1),
        })
    }

    /// A world whose root is the file system `url` names, with the built-in backends
    /// (`ram://`) registered.
    ///
    /// ```
    /// let vfs = vfs_posix_shim::Vfs::from_url("ram://").unwrap();
    /// let process = vfs.process();
    /// assert_eq!(process.blocking().getcwd().unwrap(), b"/");
    /// ```
    ///
    /// Errors: those of [`Registry::mount`].
    pub fn from_url(url: &str) -> Result<Arc<Vfs>> {
        let registry = Arc::new(Registry::new());
        vfs_ramfs::register(&registry);
        let fs = futures::executor::block_on(registry.mount(url))?;
        Ok(Vfs::new(
            Arc::new(Namespace::new(fs, MountOptions::default())),
            registry,
        ))
    }

    /// The namespace.
    pub fn namespace(&self) -> &Arc<Namespace> {
        &self.namespace
    }

    /// The registry `mount` uses.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// A new process: no descriptors, cwd at the root, umask 022, superuser.
    pub fn process(self: &Arc<Self>) -> Process {
        let sole = SoleThread::new();
        Process {
            vfs: self.clone(),
            pid: self.next_pid.fetch_add(1, Ordering::Relaxed),
            fds: SoleMutex::new(&sole, FdTable::new(DEFAULT_FD_LIMIT)),
            caller: SoleRwLock::new(
                &sole,
                Arc::new(Caller {
                    cwd: self.namespace.root(),
                    creds: Credentials::root(),
                }),
            ),
            umask: AtomicU32::new(0o022),
        }
    }

    pub(crate) fn next_flock_owner(&self) -> u64 {
        self.next_flock_owner.fetch_add(1, Ordering::Relaxed)
    }
}

/// A process-like context: descriptor table, cwd, umask and credentials, shared by
/// any number of threads (`Send + Sync`). Its calls come in two forms: `async`
/// methods on `Process`, and the same calls blocking through
/// [`Process::blocking`].
pub struct Process {
    pub(crate) vfs: Arc<Vfs>,
    pub(crate) pid: u64,
    /// The descriptor table. Like `caller`, a lock the process's only thread
    /// skips while it has no other (see [`vfs_core::sole_thread`]).
    pub(crate) fds: SoleMutex<FdTable>,
    /// The working directory and credentials, together: every call takes both, and
    /// one shared snapshot costs it one lock and one reference count.
    caller: SoleRwLock<Arc<Caller>>,
    pub(crate) umask: AtomicU32,
}

impl Process {
    /// The world this process lives in.
    pub fn vfs(&self) -> &Arc<Vfs> {
        &self.vfs
    }

    /// The id owning this process's record locks (what `F_GETLK` reports as pid).
    pub fn pid(&self) -> u64 {
        self.pid
    }

    /// Sets the file-creation mask and returns the previous one (`umask`).
    pub fn umask(&self, mask: u32) -> u32 {
        self.umask.swap(mask & 0o777, Ordering::Relaxed)
    }

    /// The credentials calls are made with.
    pub fn credentials(&self) -> Credentials {
        self.caller.read().creds.clone()
    }

    /// Changes the credentials calls are made with.
    pub fn set_credentials(&self, creds: Credentials) {
        let mut caller = self.caller.write();
        *caller = Arc::new(Caller {
            cwd: caller.cwd.clone(),
            creds,
        });
    }

    /// Sets the most descriptors this process may hold (`RLIMIT_NOFILE`); open
    /// descriptors above it stay open.
    pub fn set_fd_limit(&self, limit: usize) {
        let mut fds = self.fds.lock();
        *fds = std::mem::replace(&mut *fds, FdTable::new(limit)).with_limit(limit);
    }

    /// The most descriptors this process may hold.
    pub fn fd_limit(&self) -> usize {
        self.fds.lock().limit()
    }

    /// Who makes the calls, and from where.
    pub(crate) fn caller(&self) -> Arc<Caller> {
        self.caller.read().clone()
    }

    /// [`Process::caller`] borrowed, for a call that finishes without waiting:
    /// it saves the reference count, and `chdir` or `set_credentials` wait for it.
    pub(crate) fn caller_borrowed(&self) -> SoleReadGuard<'_, Arc<Caller>> {
        self.caller.read()
    }

    /// Makes `cwd` the working directory.
    pub(crate) fn set_cwd(&self, cwd: Location) {
        let mut caller = self.caller.write();
        *caller = Arc::new(Caller {
            cwd,
            creds: caller.creds.clone(),
        });
    }

    pub(crate) fn namespace(&self) -> &Namespace {
        &self.vfs.namespace
    }

    pub(crate) fn masked(&self, mode: u32) -> u32 {
        mode & 0o7777 & !self.umask.load(Ordering::Relaxed)
    }
}
