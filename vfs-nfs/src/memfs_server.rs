//! An NFSv3 server in this process (nfs3_server's memfs), so NFS can be tried and
//! tested with no setup: `vfs check` with no URL and the crate's own tests use it.
//!
//! memfs is a small server: it has no symlinks (it claims them in FSINFO but
//! refuses SYMLINK), no holes (a WRITE past end of file is refused), no MKNOD,
//! and it ignores modes, owners and times. [`MemfsServer::url`] declares those gaps with
//! `caps=`, so the conformance suite skips what the server cannot do instead of
//! the gaps being hidden.

use nfs3_server::memfs::{MemFs, MemFsConfig};
use nfs3_server::tcp::{NFSTcp, NFSTcpListener};
use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};
use vfs_core::{Errno, Result};

/// What memfs lacks but its replies do not tell.
pub const MEMFS_GAPS: &str =
    "caps=nosymlinks,nosparse,nopermissions,noownership,notimestamps,nospecial_files";

/// The servers' own threads: apart from the client's I/O threads, as a remote
/// server would be.
fn runtime() -> Result<&'static Runtime> {
    static RUNTIME: OnceLock<std::io::Result<Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("vfs-nfs-memfs")
                .enable_all()
                .build()
        })
        .as_ref()
        .map_err(|e| Errno::EIO.with(format!("cannot start the memfs server's thread: {e}")))
}

/// A running memfs server with an empty export, serving on 127.0.0.1 until the
/// process ends.
pub struct MemfsServer {
    port: u16,
}

impl MemfsServer {
    /// Starts a new server on a free port of 127.0.0.1.
    ///
    /// Errors: `EIO` when its thread or socket cannot be set up.
    pub fn start() -> Result<MemfsServer> {
        let runtime = runtime()?;
        let fs = MemFs::new(MemFsConfig::default())
            .map_err(|e| Errno::EIO.with(format!("cannot build an empty memfs: {e}")))?;
        let listener = runtime
            .block_on(NFSTcpListener::bind("127.0.0.1:0", fs))
            .map_err(|e| Errno::EIO.with(format!("memfs server cannot listen: {e}")))?;
        let port = listener.get_listen_port();
        runtime.spawn(async move {
            let _ = listener.handle_forever().await;
        });
        Ok(MemfsServer { port })
    }

    /// The URL of the export, with the server's gaps declared ([`MEMFS_GAPS`]).
    pub fn url(&self) -> String {
        let port = self.port;
        format!("nfs://127.0.0.1/?nfsport={port}&mountport={port}&{MEMFS_GAPS}")
    }
}
