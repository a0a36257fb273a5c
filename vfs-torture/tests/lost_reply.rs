//! Calls whose reply is lost after the server did the work, against nfs-ganesha
//! (`VFS_TEST_NFS_URL`, else the server `scripts/nfs-server start` runs) through
//! the fault proxy, which cuts the connection just before the reply: an
//! `open(O_CREAT|O_EXCL)` whose EXCLUSIVE CREATE is sent again must open its own
//! file (not `EEXIST`), and an unlink whose REMOVE is sent again must succeed.
//! (tests/faults.rs does the REMOVE against memfs too.) Timing is left to a
//! generous watchdog.

use std::sync::OnceLock;
use std::time::Duration;
use vfs_torture::faults;
use vfs_torture::ganesha;
use vfs_torture::report::Verdict;
use vfs_torture::watchdog::run_with_deadline;

/// The server's URL, found once per test process.
fn ganesha_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("VFS_TEST_NFS_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => ganesha::start().unwrap_or_else(|e| panic!("no NFS server: {e}")),
    })
    .clone()
}

fn passes(name: &str, scenario: impl FnOnce() -> Verdict + Send + 'static) {
    let verdict = run_with_deadline(name, Duration::from_secs(120), scenario)
        .unwrap_or_else(|abnormal| panic!("{name}: {abnormal}"));
    assert!(verdict.passed, "{}: {}", verdict.name, verdict.detail);
}

#[test]
fn exclusive_create_whose_reply_was_lost_opens_its_file() {
    let url = ganesha_url();
    passes("lost CREATE reply", move || {
        faults::lost_exclusive_create_reply(&url)
    });
}

#[test]
fn remove_whose_reply_was_lost_succeeds() {
    let url = ganesha_url();
    passes("lost REMOVE reply", move || faults::lost_remove_reply(&url));
}
