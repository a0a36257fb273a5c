//! The shared conformance suite: named, capability-gated cases grouped by area, each
//! checking results and errnos, and a seeded random mode, run by every backend, by
//! `vfs check URL`, and against the Linux kernel as the oracle.
//!
//! The cases speak to a [`Target`]: [`KernelTarget`] makes real system calls on a
//! host directory, [`NamespaceTarget`] drives a [`vfs_core::Namespace`]. A case is
//! right when the kernel passes it; a backend is right when it passes too. A backend
//! author runs everything from their own tests with one macro:
//!
//! ```ignore
//! conformance::conformance_tests!(|_scratch| Ok(std::sync::Arc::new(MyFs::new()) as _));
//! ```

mod case;
pub mod cases;
mod ctx;
pub mod fixture;
mod kernel;
mod ns_target;
pub mod random;
mod runner;
mod target;

pub use case::{needs, Area, Case, CaseResult, Setup};
pub use ctx::{read_all, Ctx, Failure, OLD_TIME};
pub use kernel::KernelTarget;
pub use ns_target::{BackendHarness, MakeFilesystem, NamespaceTarget};
pub use runner::{remove_tree, run_cases, Outcome, Report, Selection};
pub use target::{Entry, MountControl, ScratchMount, Target, TargetFile};

/// Runs every case on `target`, printing nothing.
pub fn run_all(target: &dyn Target) -> Report {
    run_cases(target, &cases::all(), &Selection::default(), &mut |_, _| {})
}

/// Runs the whole suite on a backend and panics listing every failure: the body of
/// a backend's conformance test. Returns the report, for tests that check more.
pub fn assert_backend_conforms(harness: &BackendHarness) -> Report {
    let target = harness
        .target()
        .unwrap_or_else(|e| panic!("cannot make the backend: {e}"));
    let report = run_all(&target);
    let failures: Vec<String> = report
        .failures()
        .map(|(name, failure)| format!("{name}: {failure}"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}\n{}",
        failures.len(),
        failures.join("\n"),
        report.summary()
    );
    report
}

/// Runs the random mode on a backend for `seed` and `ops` and panics with the
/// shortest failing sequence if the backend diverges from the model.
pub fn assert_backend_random(harness: &BackendHarness, seed: u64, ops: usize) {
    let target = harness
        .target()
        .unwrap_or_else(|e| panic!("cannot make the backend: {e}"));
    if let Err(failure) = random::run(&target, seed, ops) {
        panic!("{failure}");
    }
}

/// Generates a backend's conformance tests from one expression: a closure
/// `Fn(ScratchMount) -> vfs_core::Result<Arc<dyn Filesystem>>` making fresh
/// instances. Defines the tests `conformance_suite` and `conformance_random`.
///
/// A read-only backend writes `conformance_tests!(read_only_with_fixture: make)`
/// with a closure `Fn() -> vfs_core::Result<Arc<dyn Filesystem>>` making fresh
/// instances holding the [fixture] tree at their root (see
/// [`BackendHarness::read_only_with_fixture`]).
#[macro_export]
macro_rules! conformance_tests {
    (read_only_with_fixture: $make:expr) => {
        $crate::conformance_tests!(@harness $crate::BackendHarness::read_only_with_fixture($make));
    };
    (@harness $harness:expr) => {
        #[test]
        fn conformance_suite() {
            $crate::assert_backend_conforms(&$harness);
        }

        #[test]
        fn conformance_random() {
            for seed in 1..=3 {
                $crate::assert_backend_random(&$harness, seed, 5_000);
            }
        }
    };
    ($make:expr) => {
        $crate::conformance_tests!(@harness $crate::BackendHarness::new($make));
    };
}

/// Fails the case unless `call` fails with `errno`.
///
/// ```ignore
/// expect_errno!(ctx.rmdir("full"), Errno::ENOTEMPTY);
/// ```
#[macro_export]
macro_rules! expect_errno {
    ($call:expr, $errno:expr) => {
        match $call {
            Ok(_) => {
                return Err($crate::Failure::wrong_errno(
                    stringify!($call),
                    $errno,
                    None,
                ))
            }
            Err(e) if e.errno() == $errno => {}
            Err(e) => {
                return Err($crate::Failure::wrong_errno(
                    stringify!($call),
                    $errno,
                    Some(&e),
                ))
            }
        }
    };
}

/// The value of `call`, or fails the case naming the call and the errno it gave.
#[macro_export]
macro_rules! check {
    ($call:expr) => {
        match $call {
            Ok(value) => value,
            Err(e) => return Err($crate::Failure::unexpected(stringify!($call), &e)),
        }
    };
}

/// Fails the case with the formatted message unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            return Err($crate::Failure::msg(format!($($message)+)));
        }
    };
}

/// Fails the case unless `left == right`, showing both.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (left, right) => {
                if left != right {
                    return Err($crate::Failure::msg(format!(
                        "{} == {}: {:?} != {:?}",
                        stringify!($left),
                        stringify!($right),
                        left,
                        right
                    )));
                }
            }
        }
    };
}
