//! URL parsing: any text given as a mount URL is parsed by the registry and, for
//! `nfs://`, into an `NfsUrl`; `ram://` URLs are mounted (cheap, no I/O). Nothing
//! may panic, and an accepted NFS URL must keep what it promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vfs_core::Registry;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let registry = Registry::new();
        vfs_ramfs::register(&registry);
        vfs_nfs::register(&registry);
        registry
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(url) = vfs_nfs::NfsUrl::parse(&text) {
        assert!(!url.host.is_empty(), "accepted an NFS URL without a host");
        assert!(
            !url.path.is_empty(),
            "accepted an NFS URL without an export"
        );
        assert!(!url.timeo.is_zero(), "accepted timeo=0");
    }
    if let Ok((url, _factory)) = registry().resolve(&text) {
        if url.scheme() == "ram" {
            let _ = futures::executor::block_on(registry().mount(&text));
        }
    }
});
