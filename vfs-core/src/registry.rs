//! The URL registry: which backend answers which URL scheme.

use crate::errno::{Errno, Result};
use crate::filesystem::Filesystem;
use async_trait::async_trait;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::Arc;
use url::Url;

/// Makes file systems from URLs of one scheme (`ram://`, `nfs://host/export`).
#[async_trait]
pub trait BackendFactory: Send + Sync + 'static {
    /// The URL scheme, lower case, without `://`.
    fn scheme(&self) -> &'static str;

    /// One line on the URL form and its options, for help texts.
    fn usage(&self) -> &'static str;

    /// Mounts the file system `url` names. The scheme has been checked.
    ///
    /// Errors: `EINVAL` (a malformed or unsupported part of the URL, named in the
    /// context), and whatever reaching the file system fails with (`ECONNREFUSED`,
    /// `ETIMEDOUT`, `EACCES`, ...).
    async fn mount(&self, url: &Url) -> Result<Arc<dyn Filesystem>>;
}

/// Schemes and their factories. Frontends fill one with the backends they are built
/// with and mount by URL.
#[derive(Default)]
pub struct Registry {
    factories: RwLock<BTreeMap<&'static str, Arc<dyn BackendFactory>>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Registers `factory` for its scheme, replacing an earlier one.
    pub fn register(&self, factory: Arc<dyn BackendFactory>) {
        self.factories.write().insert(factory.scheme(), factory);
    }

    /// The registered schemes, sorted.
    pub fn schemes(&self) -> Vec<&'static str> {
        self.factories.read().keys().copied().collect()
    }

    /// The usage line of each registered scheme.
    pub fn usages(&self) -> Vec<&'static str> {
        self.factories.read().values().map(|f| f.usage()).collect()
    }

    /// Parses `url` and finds its factory.
    ///
    /// Errors: `EINVAL` for a malformed URL, `ENODEV` for a scheme nobody registered;
    /// the context names the URL and the problem.
    pub fn resolve(&self, url: &str) -> Result<(Url, Arc<dyn BackendFactory>)> {
        let parsed = Url::parse(url)
            .map_err(|e| Errno::EINVAL.with(format!("malformed URL '{url}': {e}")))?;
        let factory = self.factories.read().get(parsed.scheme()).cloned();
        match factory {
            Some(factory) => Ok((parsed, factory)),
            None => Err(Errno::ENODEV.with(format!(
                "unknown URL scheme '{}' in '{url}' (known: {})",
                parsed.scheme(),
                self.schemes().join(", ")
            ))),
        }
    }

    /// Mounts the file system `url` names.
    ///
    /// Errors: as [`Registry::resolve`], then the factory's.
    pub async fn mount(&self, url: &str) -> Result<Arc<dyn Filesystem>> {
        let (parsed, factory) = self.resolve(url)?;
        factory
            .mount(&parsed)
            .await
            .map_err(|e| e.context_prefix(url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_name_the_problem() {
        let registry = Registry::new();
        let malformed = registry.resolve("no scheme here").err().unwrap();
        assert_eq!(malformed.errno(), Errno::EINVAL);
        assert!(malformed
            .to_string()
            .contains("malformed URL 'no scheme here'"));
        let unknown = registry.resolve("zip://archive").err().unwrap();
        assert_eq!(unknown.errno(), Errno::ENODEV);
        assert!(unknown.to_string().contains("unknown URL scheme 'zip'"));
    }
}
