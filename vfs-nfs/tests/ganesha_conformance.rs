//! The shared conformance suite, and a short run of its random mode, on
//! nfs-ganesha: the backend against a real server, with the capabilities its mount
//! probe finds there.
//!
//! Every file system the suite asks for is a fresh directory of the export mounted
//! by its URL (as `vfs check` does), so instances and parallel tests never meet; the
//! directories go when the test ends.

mod support;

use conformance::{BackendHarness, ScratchMount};
use futures::executor::block_on;
use parking_lot::Mutex;
use std::sync::Arc;
use support::TestDir;
use vfs_core::{Errno, Filesystem};
use vfs_nfs::NfsFs;

/// A harness mounting a fresh directory for every instance; the directories are
/// kept in `made` (and removed when the caller drops it).
fn harness(label: &'static str, made: &Arc<Mutex<Vec<TestDir>>>) -> BackendHarness {
    let made = made.clone();
    BackendHarness::new(move |scratch: ScratchMount| {
        if scratch.size_limit.is_some() {
            return Err(Errno::EOPNOTSUPP.with("no size limit on a shared export"));
        }
        let dir = TestDir::new(label);
        let fs = block_on(NfsFs::mount(&dir.url("")))?;
        made.lock().push(dir);
        Ok(Arc::new(fs) as Arc<dyn Filesystem>)
    })
}

#[test]
fn conformance_suite_on_ganesha() {
    let made = Arc::new(Mutex::new(Vec::new()));
    let report = conformance::assert_backend_conforms(&harness("suite", &made));
    // The counts show in `cargo test -- --nocapture`: how much of the suite ran.
    eprintln!("ganesha: {}", report.summary());
    assert!(report.passed() > 0, "{}", report.summary());
    // The root instance and the ones the namespace cases mounted inside it.
    assert!(made.lock().len() >= 2, "{} instance(s)", made.lock().len());
}

#[test]
fn conformance_random_on_ganesha() {
    let made = Arc::new(Mutex::new(Vec::new()));
    let harness = harness("random", &made);
    for seed in 1..=2 {
        conformance::assert_backend_random(&harness, seed, 1_500);
    }
}
