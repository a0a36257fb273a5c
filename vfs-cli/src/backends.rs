//! The backends built into the `vfs` command and their embedded defaults.

use conformance::{BackendHarness, NamespaceTarget, ScratchMount};
use futures::executor::block_on;
use parking_lot::Mutex;
use std::sync::Arc;
use vfs_core::{
    url_with_option, url_with_path, Errno, Filesystem, MountOptions, Name, Namespace, NewNode,
    Registry, Result,
};
use vfs_nfs::memfs_server::MemfsServer;

/// A registry holding every built-in backend.
pub fn registry() -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    vfs_ramfs::register(&registry);
    vfs_nfs::register(&registry);
    registry
}

/// The URLs `vfs check` uses when given none: one per built-in backend, each
/// needing no setup. NFS runs against a memfs server started in this process,
/// its gaps declared in its URL.
///
/// Errors: `EIO` when the memfs server cannot start.
pub fn embedded_defaults() -> Result<Vec<String>> {
    Ok(vec!["ram://".to_string(), MemfsServer::start()?.url()])
}

/// A harness giving the suite a fresh, empty file system of `url`'s kind each time
/// it asks.
///
/// A `ram://` URL is simply mounted again (each mount is a new, empty instance; a
/// size limit becomes the `size` query parameter). Any other URL names shared
/// storage, so each instance is a new directory `vfs-check-PID-N` made in the URL's
/// root and mounted by the URL extended with that path; those directories are
/// removed again by [`Instances::remove_all`]. Size-limited instances are refused
/// there (those cases are skipped).
pub fn harness(registry: &Arc<Registry>, url: &str) -> Result<(BackendHarness, Instances)> {
    let (parsed, _) = registry.resolve(url)?;
    let registry = registry.clone();
    let url = url.to_string();
    if parsed.scheme() == "ram" {
        let harness = BackendHarness::new(move |scratch: ScratchMount| {
            let url = match scratch.size_limit {
                None => url.clone(),
                Some(limit) => url_with_option(&url, &format!("size={limit}")),
            };
            block_on(registry.mount(&url))
        });
        return Ok((harness, Instances::default()));
    }
    let base = block_on(registry.mount(&url))?;
    let instances = Instances {
        base: Some(base.clone()),
        made: Arc::new(Mutex::new(Vec::new())),
    };
    let made = instances.made.clone();
    let harness = BackendHarness::new(move |scratch: ScratchMount| {
        if scratch.size_limit.is_some() {
            return Err(Errno::EOPNOTSUPP.with("no size limit on shared storage"));
        }
        let name = Name::new(format!(
            "vfs-check-{}-{}",
            std::process::id(),
            made.lock().len()
        ))?;
        let owner = NewNode {
            mode: 0o755,
            uid: 0,
            gid: 0,
        };
        block_on(base.root().mkdir(&name, &owner))?;
        made.lock().push(name.clone());
        block_on(registry.mount(&url_with_path(&url, &name.to_string())))
    });
    Ok((harness, instances))
}

/// The directories a harness made on shared storage.
#[derive(Default)]
pub struct Instances {
    base: Option<Arc<dyn Filesystem>>,
    made: Arc<Mutex<Vec<Name>>>,
}

impl Instances {
    /// Removes every directory the harness made, with what the suite left in them.
    ///
    /// Errors: the first removal that failed (the others are still tried).
    pub fn remove_all(&self) -> Result<()> {
        let Some(base) = &self.base else {
            return Ok(());
        };
        let namespace = Namespace::new(base.clone(), MountOptions::default());
        let target = NamespaceTarget::new(Arc::new(namespace), "/", None);
        let mut first_error = None;
        for name in self.made.lock().drain(..) {
            if let Err(e) = conformance::remove_tree(&target, format!("/{name}").as_bytes()) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
