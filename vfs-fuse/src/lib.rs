//! The FUSE frontend: serves a [`vfs_core::Namespace`] (one backend URL, or a whole
//! tree of mounts) at a host directory, so unmodified programs — `ls`, `cp`, a test
//! suite — use it through the kernel.
//!
//! Data flows as everywhere else: kernel request -> this crate -> `Namespace` ->
//! backend. Every request that changes something or needs a check becomes a
//! `Namespace` call made with a [`vfs_core::Caller`] built from the request (the
//! requesting uid, gid and supplementary groups; the parent directory as `cwd`, the
//! entry name as a relative path), so the namespace's checks apply to FUSE callers
//! exactly as to the POSIX shim's. Open files are [`vfs_core::FileHandle`]s; reads,
//! writes, `fsync`, `flush` and `release` go to them.
//!
//! ```no_run
//! use std::sync::Arc;
//! use vfs_core::{MountOptions, Namespace, Registry};
//! # fn demo(fs: Arc<dyn vfs_core::Filesystem>) -> std::io::Result<()> {
//! let namespace = Arc::new(Namespace::new(fs, MountOptions::default()));
//! let mounted = vfs_fuse::spawn_mount(namespace, "/mnt/vfs", &vfs_fuse::FuseOptions::default())?;
//! // ... use /mnt/vfs with std::fs or any program ...
//! mounted.unmount()?;
//! # Ok(()) }
//! ```
//!
//! See `docs/fuse.md` for the mapping of FUSE requests to namespace calls, the
//! attribute time-outs and the external suites (pjdfstest, fsx) run through it.

mod convert;
mod fs;
mod inodes;

pub use fs::VfsFuse;

use fuser::{BackgroundSession, Config, MountOption, SessionACL};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use vfs_core::{Location, Namespace};

/// How a namespace is served.
#[derive(Clone, Debug)]
pub struct FuseOptions {
    /// How long the kernel may keep a node's attributes without asking again. Zero
    /// (the default) asks on every `stat`: right whenever anything but this mount can
    /// change the backend (NFS: other clients, the server). A positive value is only
    /// correct when every change comes through this mount (a `ram://` served alone).
    pub attr_ttl: Duration,
    /// How long the kernel may keep a name -> node mapping without a new lookup. The
    /// same rule as `attr_ttl` applies.
    pub entry_ttl: Duration,
    /// Keep the kernel's page cache of a file across opens (`FOPEN_KEEP_CACHE`). Off
    /// by default, so each open rereads data another client may have changed
    /// (close-to-open consistency); only correct when every change comes through
    /// this mount.
    pub keep_cache: bool,
    /// Let users other than the one mounting use the mount (`allow_other`); needed by
    /// suites that switch users, such as pjdfstest.
    pub allow_other: bool,
    /// Mount read-only in the kernel too (the namespace refuses changes itself when
    /// its mount is read-only; this makes the kernel say `EROFS` up front).
    pub read_only: bool,
    /// Let the kernel check permissions from the mode bits (`default_permissions`)
    /// in addition to the namespace. Off by default: the namespace decides.
    pub default_permissions: bool,
    /// Request-handling threads: a slow backend call (NFS) holds one, the others go
    /// on serving.
    pub threads: usize,
    /// The source shown in `/proc/mounts` (`fsname=`), such as the URL.
    pub fs_name: String,
    /// Print every failed request, with the namespace's error context, on stderr.
    pub trace: bool,
}

impl Default for FuseOptions {
    fn default() -> FuseOptions {
        FuseOptions {
            attr_ttl: Duration::ZERO,
            entry_ttl: Duration::ZERO,
            keep_cache: false,
            allow_other: false,
            read_only: false,
            default_permissions: false,
            threads: 4,
            fs_name: "vfs".to_string(),
            trace: false,
        }
    }
}

/// A namespace mounted at a host directory and served by background threads.
///
/// Dropping it unmounts too, but without reporting errors: call
/// [`Mounted::unmount`].
#[derive(Debug)]
pub struct Mounted {
    session: BackgroundSession,
    dir: PathBuf,
}

impl Mounted {
    /// The host directory it is mounted at.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// True once the session ended by itself (someone ran `fusermount3 -u DIR` or
    /// `umount DIR`).
    pub fn is_finished(&self) -> bool {
        self.session.guard.is_finished()
    }

    /// Unmounts and waits for the serving threads to end.
    ///
    /// Errors: the unmount failed (say `EBUSY`: a process still uses the mount; it
    /// is then detached lazily when possible), or a serving thread failed.
    pub fn unmount(self) -> io::Result<()> {
        let ended = if self.is_finished() {
            self.session.join()
        } else {
            self.session.umount_and_join()
        };
        ended.or_else(ended_by_unmount)
    }

    /// Waits until the session ends (the directory was unmounted from outside).
    ///
    /// Errors: a serving thread failed.
    pub fn join(self) -> io::Result<()> {
        self.session.join()
    }
}

/// How the end of a session we unmounted reads. fuser ends cleanly when reading
/// `/dev/fuse` fails with `ENODEV`; Linux's `fuse_dev_do_read` answers
/// `ECONNABORTED` instead when the connection was aborted on its way down, as
/// happened once here (Linux 6.18) when `vfs mount` got SIGINT right after an
/// fsx run on NFS. Either way the unmount asked for is done; anything else is a
/// real failure.
fn ended_by_unmount(error: io::Error) -> io::Result<()> {
    if error.raw_os_error() == Some(libc::ECONNABORTED) {
        Ok(())
    } else {
        Err(error)
    }
}

/// Mounts the root of `namespace` at `dir` and serves it from background threads
/// until [`Mounted::unmount`] (or an unmount from outside).
///
/// Errors: `dir` is missing or not a directory, `/dev/fuse` is missing, the mount
/// was refused (not root and no `fusermount3`, `allow_other` not allowed by
/// `/etc/fuse.conf`).
pub fn spawn_mount(
    namespace: Arc<Namespace>,
    dir: impl AsRef<Path>,
    options: &FuseOptions,
) -> io::Result<Mounted> {
    let root = namespace.root();
    spawn_mount_at(namespace, root, dir, options)
}

/// As [`spawn_mount`], serving the directory `root` of `namespace` (a subtree)
/// instead of its root.
///
/// Errors: as [`spawn_mount`]; `ENOTDIR` when `root` is not a directory.
pub fn spawn_mount_at(
    namespace: Arc<Namespace>,
    root: Location,
    dir: impl AsRef<Path>,
    options: &FuseOptions,
) -> io::Result<Mounted> {
    let dir = dir.as_ref();
    check_mount_point(dir)?;
    if root.vnode().file_type() != vfs_core::FileType::Directory {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            "the served root is not a directory",
        ));
    }
    let filesystem = VfsFuse::new(namespace, root, options.clone());
    let session = fuser::Session::new(filesystem, dir, &session_config(options))
        .map_err(|e| mount_error(dir, e))?
        .spawn()?;
    Ok(Mounted {
        session,
        dir: dir.to_path_buf(),
    })
}

/// The fuser configuration for `options`.
fn session_config(options: &FuseOptions) -> Config {
    let mut mount_options = vec![
        MountOption::FSName(options.fs_name.clone()),
        MountOption::Subtype("vfs".to_string()),
        // Device nodes and set-user-ID programs of a backend are not trusted by the
        // host (FUSE's own default, made explicit).
        MountOption::NoDev,
        MountOption::NoSuid,
    ];
    if options.read_only {
        mount_options.push(MountOption::RO);
    }
    if options.default_permissions {
        mount_options.push(MountOption::DefaultPermissions);
    }
    let mut config = Config::default();
    config.mount_options = mount_options;
    config.acl = if options.allow_other {
        SessionACL::All
    } else {
        SessionACL::Owner
    };
    config.n_threads = Some(options.threads.max(1));
    // Each thread its own /dev/fuse descriptor, so they do not contend on one.
    config.clone_fd = options.threads > 1;
    config
}

/// Clear errors for the usual mistakes before the kernel gives a vaguer one.
fn check_mount_point(dir: &Path) -> io::Result<()> {
    let meta = std::fs::metadata(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("mount point {}: {e}", dir.display())))?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("mount point {} is not a directory", dir.display()),
        ));
    }
    if !Path::new("/dev/fuse").exists() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "/dev/fuse is missing: load the fuse module (modprobe fuse) or run where FUSE is available",
        ));
    }
    Ok(())
}

fn mount_error(dir: &Path, e: io::Error) -> io::Error {
    let hint = match e.kind() {
        io::ErrorKind::NotFound => " (is fuse3 installed? fusermount3 is needed unless root)",
        io::ErrorKind::PermissionDenied => {
            " (mount as root, or allow user_allow_other in /etc/fuse.conf for allow_other)"
        }
        _ => "",
    };
    io::Error::new(
        e.kind(),
        format!("cannot mount on {}: {e}{hint}", dir.display()),
    )
}
