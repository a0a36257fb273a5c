//! The backends built into the `vfs` command and their embedded defaults.

use conformance::{BackendHarness, ScratchMount};
use std::sync::Arc;
use vfs_core::{Errno, Registry, Result};

/// A registry holding every built-in backend.
pub fn registry() -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    vfs_ramfs::register(&registry);
    registry
}

/// The URLs `vfs check` uses when given none: one per built-in backend, each
/// needing no setup.
pub const EMBEDDED_DEFAULTS: &[&str] = &["ram://"];

/// A harness that mounts `url` afresh for every file system the suite needs. A size
/// limit is passed as the `size` query parameter to backends that take one (`ram`);
/// for others those cases are skipped.
pub fn harness(registry: &Arc<Registry>, url: &str) -> Result<BackendHarness> {
    let (parsed, _) = registry.resolve(url)?;
    let takes_size = parsed.scheme() == "ram";
    let registry = registry.clone();
    let url = url.to_string();
    Ok(BackendHarness::new(move |scratch: ScratchMount| {
        let url = match scratch.size_limit {
            None => url.clone(),
            Some(limit) if takes_size => with_query(&url, &format!("size={limit}")),
            Some(_) => return Err(Errno::EOPNOTSUPP.with("no size limit for this backend")),
        };
        futures::executor::block_on(registry.mount(&url))
    }))
}

fn with_query(url: &str, pair: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{pair}")
}
