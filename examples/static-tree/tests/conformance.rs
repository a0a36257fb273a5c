//! The shared conformance suite on the tar backend, with one macro. A read-only
//! backend cannot build the files the cases need, so it serves the suite's fixture
//! tree instead: each instance is the fixture as a tar archive, and the `fixture`
//! and `readonly` cases run on it. The cases that build their own files need
//! `write` and are skipped. What the sample image serves is checked by
//! tests/image.rs.

mod support;

use std::sync::Arc;
use vfs_core::Filesystem;
use vfs_example_static_tree::StaticTree;

/// A fresh instance holding the fixture at its root.
fn make() -> vfs_core::Result<Arc<dyn Filesystem>> {
    Ok(Arc::new(StaticTree::from_tar(
        support::fixture_tar(),
        "tar: fixture",
    )?))
}

conformance::conformance_tests!(read_only_with_fixture: make);

/// The counts: every fixture and read-only case passes, and cases are skipped only
/// because they need `write`.
#[test]
fn skips_only_for_missing_write() {
    let target = conformance::BackendHarness::read_only_with_fixture(make)
        .target()
        .unwrap();
    let report = conformance::run_all(&target);
    eprintln!("tar: {}", report.summary());
    assert_eq!(report.failed(), 0, "{}", report.summary());
    for (name, outcome) in &report.results {
        match outcome {
            conformance::Outcome::Skipped(reason) => assert!(
                reason.starts_with("needs ") && reason.contains("write"),
                "{name}: {reason}"
            ),
            conformance::Outcome::Passed => {}
            conformance::Outcome::Failed(failure) => panic!("{name}: {failure}"),
        }
        let on_fixture = name.starts_with("fixture::") || name.starts_with("readonly::");
        let passed = matches!(outcome, conformance::Outcome::Passed);
        assert_eq!(on_fixture, passed, "{name}: {outcome:?}");
    }
    let random = conformance::random::run(&target, 1, 100).unwrap();
    assert!(random.not_run.is_some(), "random mode needs write");
}
