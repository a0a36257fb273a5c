//! The `tar://` URL scheme.

use crate::fs::StaticTree;
use async_trait::async_trait;
use std::sync::Arc;
use vfs_core::{BackendFactory, Errno, Filesystem, Registry, Result, Url};

/// Mounts `tar:///absolute/path/to/image.tar`: reads the archive with `std::fs`
/// and serves its tree read-only. The URL takes no host, query or fragment.
#[derive(Clone, Copy, Debug, Default)]
pub struct TarFactory;

/// Registers [`TarFactory`] for the `tar` scheme.
pub fn register(registry: &Registry) {
    registry.register(Arc::new(TarFactory));
}

#[async_trait]
impl BackendFactory for TarFactory {
    fn scheme(&self) -> &'static str {
        "tar"
    }

    fn usage(&self) -> &'static str {
        "tar:///ABSOLUTE/PATH.tar  a tar archive's tree, read-only, in memory"
    }

    async fn mount(&self, url: &Url) -> Result<Arc<dyn Filesystem>> {
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Errno::EINVAL.with("a tar URL takes no query or fragment"));
        }
        let has_host = url.host_str().is_some_and(|host| !host.is_empty());
        let path = match url.to_file_path() {
            Ok(path) if !has_host && url.path().len() > 1 => path,
            _ => {
                return Err(Errno::EINVAL.with(format!(
                    "'{url}' names no local file: write tar:///absolute/path.tar"
                )))
            }
        };
        // Reading the whole archive blocks this task once, at mount time: vfs-core
        // has no executor to hand the read to, and every later call is in memory.
        Ok(Arc::new(StaticTree::load(&path)?))
    }
}
