//! Five seconds of the stress runner on ramfs and on the in-process memfs NFS
//! server: no panic, no deadlock (watchdog), no error in the operations or the
//! final consistency pass.

use futures::executor::block_on;
use std::sync::Arc;
use std::time::Duration;
use vfs_core::{MountOptions, Namespace, Registry};
use vfs_nfs::memfs_server::MemfsServer;
use vfs_torture::stress::run_stress;
use vfs_torture::watchdog::run_with_deadline;

fn stress(url: String) {
    let report = run_with_deadline("stress", Duration::from_secs(120), move || {
        let registry = Registry::new();
        vfs_ramfs::register(&registry);
        vfs_nfs::register(&registry);
        let fs = block_on(registry.mount(&url)).unwrap();
        let hard_links = fs.capabilities().hard_links;
        let ns = Arc::new(Namespace::new(fs, MountOptions::default()));
        run_stress(ns, "", 16, Duration::from_secs(5), 7, hard_links)
    })
    .unwrap_or_else(|abnormal| panic!("stress: {abnormal}"));
    assert!(report.ops > 0);
    assert_eq!(report.errors, 0, "{:#?}", report.messages);
}

#[test]
fn ramfs() {
    stress("ram://".to_string());
}

#[test]
fn memfs() {
    stress(MemfsServer::start().unwrap().url());
}
