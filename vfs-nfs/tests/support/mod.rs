//! What the tests against a real NFSv3 server (nfs-ganesha) share: the server's
//! URL, a fresh directory of the export per test, and small namespace helpers.
//!
//! The server is `VFS_TEST_NFS_URL` when set, else the one `scripts/nfs-server
//! start` runs (started, or found running, once per test process). Tests that look
//! at the exported directory itself find it at `VFS_TEST_NFS_EXPORT_DIR`, else at
//! the script's default `/dev/shm/vfs-nfs-export`.

// Each test file compiles this module on its own and uses only part of it; every
// item is used by some ganesha test file.
#![allow(dead_code)]

use futures::executor::block_on;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use vfs_core::{url_with_option, url_with_path};
use vfs_core::{Errno, FileType, MountOptions, Namespace, OpenFlags, Result};
use vfs_nfs::NfsFs;

/// The URL of the export the tests use.
pub fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("VFS_TEST_NFS_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => start_server(),
    })
}

/// Runs `scripts/nfs-server start` (idempotent) and returns the URL on the last
/// line of its output.
fn start_server() -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/nfs-server");
    let output = Command::new(&script)
        .arg("start")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "{} start failed ({}):\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let url = stdout.lines().last().unwrap_or("").trim().to_string();
    assert!(
        url.starts_with("nfs://"),
        "{} start printed no URL:\n{stdout}",
        script.display()
    );
    url
}

/// The exported directory as this machine sees it.
pub fn export_dir() -> PathBuf {
    match std::env::var_os("VFS_TEST_NFS_EXPORT_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from("/dev/shm/vfs-nfs-export"),
    }
}

/// Mounts `url` and makes it the root of a new namespace.
pub fn mount(url: &str) -> Arc<Namespace> {
    let fs = block_on(NfsFs::mount(url)).unwrap_or_else(|e| panic!("mount {url}: {e}"));
    Arc::new(Namespace::new(Arc::new(fs), MountOptions::default()))
}

/// The whole export, mounted once per process without attribute caching: it makes
/// and removes the per-test directories, whatever the test's own mounts cached.
fn base() -> &'static Namespace {
    static BASE: OnceLock<Arc<Namespace>> = OnceLock::new();
    BASE.get_or_init(|| mount(&url_with_option(server_url(), "noac")))
}

/// A fresh directory of the export for one test, removed (with everything in it)
/// when dropped: tests run in parallel and share the server.
pub struct TestDir {
    name: String,
}

impl TestDir {
    /// Makes `vfs-nfs-test-PID-N-label` in the export's root.
    pub fn new(label: &str) -> TestDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "vfs-nfs-test-{}-{}-{label}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let ns = base();
        block_on(ns.mkdir(&ns.root_caller(), format!("/{name}"), 0o777))
            .unwrap_or_else(|e| panic!("mkdir {name} in {}: {e}", server_url()));
        TestDir { name }
    }

    /// Its name in the export's root.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL mounting it, with `options` (`&`-separated, may be empty) added.
    pub fn url(&self, options: &str) -> String {
        let url = url_with_path(server_url(), &self.name);
        if options.is_empty() {
            url
        } else {
            url_with_option(&url, options)
        }
    }

    /// The URL of `relative` inside it, as libnfs's tools take it.
    pub fn file_url(&self, relative: &str) -> String {
        url_with_path(server_url(), &format!("{}/{relative}", self.name))
    }

    /// Mounts it (with `options`).
    pub fn mount(&self, options: &str) -> Arc<Namespace> {
        mount(&self.url(options))
    }

    /// Where it is on this machine, for tests that look behind the server's back.
    /// Panics when the export directory is not where [`export_dir`] says.
    pub fn local(&self) -> PathBuf {
        let path = export_dir().join(&self.name);
        assert!(
            path.is_dir(),
            "{} does not exist: set VFS_TEST_NFS_EXPORT_DIR to the directory {} exports",
            path.display(),
            server_url()
        );
        path
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let removed = remove_tree(base(), &format!("/{}", self.name));
        match removed {
            Ok(()) => {}
            // A failing test is reported as it is; its leftovers only get a note.
            Err(e) if std::thread::panicking() => eprintln!("cannot remove {}: {e}", self.name),
            Err(e) => panic!("cannot remove test directory {}: {e}", self.name),
        }
    }
}

/// Removes `path` with everything below it.
pub fn remove_tree(ns: &Namespace, path: &str) -> Result<()> {
    let me = ns.root_caller();
    let attr = match block_on(ns.lstat(&me, path)) {
        Err(e) if e.errno() == Errno::ENOENT => return Ok(()),
        other => other?,
    };
    if attr.file_type != FileType::Directory {
        return block_on(ns.unlink(&me, path));
    }
    for entry in block_on(ns.read_dir(&me, path))? {
        remove_tree(ns, &format!("{path}/{}", entry.name))?;
    }
    block_on(ns.rmdir(&me, path))
}

/// Creates (or truncates) `path` and writes `data` into it; closes it, which
/// commits the data.
pub fn write_file(ns: &Namespace, path: &str, data: &[u8]) -> Result<()> {
    let me = ns.root_caller();
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::TRUNCATE;
    let file = block_on(ns.open(&me, path, flags, 0o644))?;
    let mut done = 0;
    while done < data.len() {
        let n = block_on(file.write_at(done as u64, &data[done..]))?;
        assert!(n > 0, "write_at of {path} at {done} wrote nothing");
        done += n;
    }
    block_on(file.close())
}

/// The whole contents of `path`.
pub fn read_file(ns: &Namespace, path: &str) -> Result<Vec<u8>> {
    let me = ns.root_caller();
    let file = block_on(ns.open(&me, path, OpenFlags::RDONLY, 0))?;
    let mut data = Vec::new();
    let mut chunk = vec![0; 1 << 20];
    loop {
        let n = block_on(file.read_at(data.len() as u64, &mut chunk))?;
        if n == 0 {
            break;
        }
        data.extend_from_slice(&chunk[..n]);
    }
    block_on(file.close())?;
    Ok(data)
}

/// Deterministic pseudo-random bytes (xorshift), different for every `seed`:
/// content that no off-by-one or misplaced block can reproduce by accident.
pub fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}
